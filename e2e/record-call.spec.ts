import { mkdir } from 'node:fs/promises';
import { expect, type Page } from '@playwright/test';
import type { RecordingInfo, TrackInfo } from '../packages/sdk/src/protocol.js';
import { backend } from './demo.js';
import { countStreams, decodeErrors, maxVolume, probe } from './probe.js';
import { type StorageUnderTest, test } from './storage.js';

const RECORD_MS = 11_000;
const TRACKS = ['local-audio', 'local-video', 'remote-audio', 'remote-video'];

// Runs once per storage (projects in playwright.config.ts): `store` is where the recording goes.
test('records a two-party call, produces the outputs, and deletes every trace of it', async ({
  page,
  store,
}) => {
  const t0 = Date.now();
  const lap = (what: string) =>
    console.log(`[e2e ${store.name}] +${((Date.now() - t0) / 1000).toFixed(1)} s ${what}`);
  page.on('console', (msg) => msg.type() === 'error' && console.log(`[page error] ${msg.text()}`));
  page.on('pageerror', (error) => console.log(`[page exception] ${error.message}`));
  const puts = recordPuts(page);
  const api = backend(store.serverUrl);
  const downloads = test.info().outputPath('downloads');
  await mkdir(downloads, { recursive: true });
  const status = page.getByTestId('status');

  await page.goto(store.pagePath);
  await expect(status).toHaveAttribute('data-state', 'idle', { timeout: 60_000 });
  expect(await videoSize(page, 'local-video')).toEqual({ width: 640, height: 360 });

  lap('call running');
  await page.getByTestId('record').click();
  await expect(status).toHaveAttribute('data-state', 'recording');
  const clickedRecord = Date.now();
  const recordingId = (await page.getByTestId('recording-id').getAttribute('data-recording-id')) ?? '';
  expect(recordingId).toMatch(/^[A-Za-z0-9_-]{1,64}$/);

  // Tracks upload while the call runs, not only at the end: each one as soon as it fills a part.
  for (const track of store.multipartTracks) {
    const uploaded = page.getByTestId(`track-${track}`).locator('[data-field="uploaded"]');
    await expect
      .poll(async () => Number(await uploaded.getAttribute('data-value')), { timeout: 30_000 })
      .toBeGreaterThan(0);
  }
  lap('tracks uploading');
  await page.waitForTimeout(Math.max(0, RECORD_MS - (Date.now() - clickedRecord)));
  await page.getByTestId('stop').click();
  const clickedStop = Date.now();
  lap('stop clicked');

  await expect(status).toHaveAttribute('data-state', /^(completed|failed)$/, { timeout: 240_000 });
  expect(await status.textContent()).toMatch(/^Completed/);
  lap('completed');
  const events = page.getByTestId('event-log');
  for (const name of [
    'recordingStarted',
    'recordingProcessing',
    'thumbnailsGenerated',
    'recordingUploaded',
    'recordingCompleted',
  ]) {
    await expect(events.locator(`[data-event="${name}"]`).first()).toBeAttached();
  }
  await expect(events.locator('[data-event="recordingUploaded"]')).toContainText(
    JSON.stringify(store.expected),
  );

  const info = await api.get<RecordingInfo>(`/v1/recordings/${recordingId}`);
  expect(info.status).toBe('completed');
  expect(info.storage).toEqual(store.expected);
  expect(info.tracks.map((t) => `${t.participantId}-${t.kind}:${t.status}`).sort()).toEqual(
    TRACKS.map((t) => `${t}:complete`),
  );
  // Every byte each recorder produced is in storage: the page's counters, the server and the
  // storage itself agree.
  for (const track of info.tracks) {
    const row = page.locator(`[data-track-id="${track.id}"]`);
    await expect(row.locator('[data-field="state"]')).toHaveText('ended');
    const recorded = Number(await row.locator('[data-field="recorded"]').getAttribute('data-value'));
    expect(Number(await row.locator('[data-field="uploaded"]').getAttribute('data-value'))).toBe(recorded);
    expect(track.bytes, `${track.participantId} ${track.kind} bytes per the server`).toBe(recorded);
    expect(
      await store.size(trackKey(info.id, track)),
      `${track.participantId} ${track.kind} bytes stored`,
    ).toBe(recorded);
  }
  const partCounts = expectPartsUploadedToStorage(puts, store, info);
  lap(`tracks verified in storage (parts per track: ${partCounts.join(', ')})`);

  const span = (tracks: RecordingInfo['tracks']) =>
    (Math.max(...tracks.map((t) => t.endedAt ?? Number.NaN)) - Math.min(...tracks.map((t) => t.startedAt))) /
    1000;
  const callSpan = span(info.tracks);
  // The recorders' own timestamps agree with the test's stopwatch (video recorders start up to ~1.3 s late).
  expect(callSpan).toBeGreaterThanOrEqual(10);
  expect(callSpan).toBeLessThanOrEqual((clickedStop - clickedRecord) / 1000 + 1);

  for (const output of info.outputs) expect(output.location).toBe(store.location(output.key));
  for (const participantId of ['local', 'remote']) {
    const output = info.outputs.find((o) => o.kind === 'participant' && o.participantId === participantId);
    if (!output) throw new Error(`no output for participant ${participantId}`);
    const path = await store.file(output.key, downloads);
    const media = await probe(path);
    expect(countStreams(media, 'audio'), `${participantId} audio streams`).toBe(1);
    expect(countStreams(media, 'video'), `${participantId} video streams`).toBe(1);
    // A remote audio track that nothing plays records silence (see PLATFORM.md); both tones are loud.
    expect(await maxVolume(path), `${participantId} loudest sample, dBFS`).toBeGreaterThan(-30);
    const recorded = span(info.tracks.filter((t) => t.participantId === participantId));
    expect(
      Math.abs(media.duration - recorded),
      `${participantId}: ${media.duration} s vs ${recorded} s`,
    ).toBeLessThanOrEqual(1);
  }

  const composite = info.outputs.find((o) => o.kind === 'composite');
  if (!composite) throw new Error('no composite output');
  const compositeMedia = await probe(await store.file(composite.key, downloads));
  expect(countStreams(compositeMedia, 'video')).toBe(1);
  expect(countStreams(compositeMedia, 'audio')).toBe(1);
  expect(
    Math.abs(compositeMedia.duration - callSpan),
    `composite ${compositeMedia.duration} s vs ${callSpan} s`,
  ).toBeLessThanOrEqual(1);
  expect(Math.abs(compositeMedia.duration - (info.duration ?? Number.NaN))).toBeLessThanOrEqual(1);

  expect(info.thumbnails.map((t) => t.position).sort((a, b) => a - b)).toEqual([0, 25, 50, 75, 100]);
  for (const thumbnail of info.thumbnails) {
    const path = await store.file(thumbnail.key, downloads);
    const image = await probe(path);
    expect(image.streams.map((s) => [s.codec_name, s.width])).toEqual([['mjpeg', 320]]);
    expect(await decodeErrors(path), `decoding ${thumbnail.key}`).toBe('');
  }

  lap('outputs verified');
  // What a person sees: playable players and loaded thumbnails (from signed URLs into the storage).
  for (const player of ['composite-player', 'participant-player-local', 'participant-player-remote']) {
    const video = page.getByTestId(player);
    await expect(video).toBeVisible();
    await expect.poll(() => video.evaluate((v: HTMLVideoElement) => v.readyState)).toBeGreaterThanOrEqual(1);
  }
  for (const position of [0, 25, 50, 75, 100]) {
    const img = page.getByTestId(`thumbnail-${position}`);
    await expect(img).toBeVisible();
    await expect.poll(() => img.evaluate((i: HTMLImageElement) => i.complete && i.naturalWidth)).toBe(320);
  }
  await page.screenshot({ path: test.info().outputPath('completed.png'), fullPage: true });

  lap('page verified');
  // Delete through the page's list; then nothing of the recording may remain in storage or state.
  expect(await store.leftovers(recordingId), 'the recording before delete').not.toEqual([]);
  const item = page.getByTestId(`recording-${recordingId}`);
  await expect(item).toHaveAttribute('data-status', 'completed');
  await page.getByTestId(`delete-${recordingId}`).click();
  await expect(item).toHaveCount(0);
  await expect(page.getByTestId('result')).toBeHidden();
  expect((await api.fetch(`/v1/recordings/${recordingId}`)).status).toBe(404);
  expect(await store.leftovers(recordingId), 'the recording after delete').toEqual([]);
  lap('deleted');
});

/** Every PUT the page sends, from now on. */
function recordPuts(page: Page): string[] {
  const urls: string[] = [];
  page.on('request', (request) => {
    if (request.method() === 'PUT') urls.push(request.url());
  });
  return urls;
}

/**
 * The browser PUT every part straight to the storage (the backend got only the track
 * registrations), each track in whole parts numbered 1..n, n = ceil(bytes / partSize).
 * Returns the part counts.
 */
function expectPartsUploadedToStorage(
  puts: string[],
  store: StorageUnderTest,
  info: RecordingInfo,
): number[] {
  const registration = (url: string) => url.startsWith(`${store.serverUrl}/v1/recordings/${info.id}/tracks/`);
  expect(
    puts.filter((url) => !registration(url) && !store.partOf(url)),
    'PUTs to neither',
  ).toEqual([]);
  // A retried part is PUT twice under the same number; what counts is which numbers arrived.
  const perUpload = new Map<string, Set<number>>();
  for (const part of puts.flatMap((url) => store.partOf(url) ?? [])) {
    perUpload.set(part.upload, (perUpload.get(part.upload) ?? new Set()).add(part.partNumber));
  }
  const numbers = [...perUpload.values()].map((set) => [...set].sort((a, b) => a - b));
  const byCount = (a: number, b: number) => a - b;
  const expected = info.tracks.map((t) => Math.ceil((t.bytes ?? 0) / store.partSize)).sort(byCount);
  expect(numbers.map((n) => n.length).sort(byCount), 'parts per track').toEqual(expected);
  for (const n of numbers) expect(n).toEqual(n.map((_, i) => i + 1));
  for (const track of info.tracks.filter((t) =>
    store.multipartTracks.includes(`${t.participantId}-${t.kind}`),
  )) {
    expect(track.bytes, `${track.participantId} ${track.kind} fills more than one part`).toBeGreaterThan(
      store.partSize,
    );
  }
  return expected;
}

function trackKey(recordingId: string, track: TrackInfo): string {
  expect(track.mimeType).toMatch(/^(audio|video)\/webm/);
  return `${recordingId}/tracks/${track.id}.webm`;
}

async function videoSize(page: Page, testId: string) {
  const video = page.getByTestId(testId);
  await expect.poll(() => video.evaluate((v: HTMLVideoElement) => v.videoWidth)).toBeGreaterThan(0);
  return video.evaluate((v: HTMLVideoElement) => ({ width: v.videoWidth, height: v.videoHeight }));
}
