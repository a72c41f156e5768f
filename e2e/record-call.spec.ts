import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { expect, type Page, test } from '@playwright/test';
import type { RecordingInfo } from '../packages/sdk/src/protocol.js';
import { outputDir, SERVER_URL } from './env.js';
import { countStreams, decodeErrors, maxVolume, probe } from './probe.js';

const RECORD_MS = 11_000;
const TRACKS = ['local-audio', 'local-video', 'remote-audio', 'remote-video'];

test('records a two-party call, produces the outputs, and deletes every trace of it', async ({ page }) => {
  const root = outputDir();
  const t0 = Date.now();
  const lap = (what: string) => console.log(`[e2e] +${((Date.now() - t0) / 1000).toFixed(1)} s ${what}`);
  page.on('console', (msg) => msg.type() === 'error' && console.log(`[page error] ${msg.text()}`));
  page.on('pageerror', (error) => console.log(`[page exception] ${error.message}`));
  const status = page.getByTestId('status');

  await page.goto('/');
  await expect(status).toHaveAttribute('data-state', 'idle', { timeout: 60_000 });
  expect(await videoSize(page, 'local-video')).toEqual({ width: 640, height: 360 });

  lap('call running');
  await page.getByTestId('record').click();
  await expect(status).toHaveAttribute('data-state', 'recording');
  const clickedRecord = Date.now();
  const recordingId = (await page.getByTestId('recording-id').getAttribute('data-recording-id')) ?? '';
  expect(recordingId).toMatch(/^[A-Za-z0-9_-]{1,64}$/);

  // Every track records and uploads while the call runs, not only at the end.
  for (const track of TRACKS) {
    const uploaded = page.getByTestId(`track-${track}`).locator('[data-field="uploaded"]');
    await expect
      .poll(async () => Number(await uploaded.getAttribute('data-value')), { timeout: 30_000 })
      .toBeGreaterThan(0);
  }
  lap('every track uploading');
  await page.waitForTimeout(Math.max(0, RECORD_MS - (Date.now() - clickedRecord)));
  await page.getByTestId('stop').click();
  const clickedStop = Date.now();
  lap('stop clicked');

  await expect(status).toHaveAttribute('data-state', 'completed', { timeout: 240_000 });
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

  const info = await api<RecordingInfo>(`/v1/recordings/${recordingId}`);
  expect(info.status).toBe('completed');
  expect(info.tracks.map((t) => `${t.participantId}-${t.kind}:${t.status}`).sort()).toEqual(
    TRACKS.map((t) => `${t}:complete`),
  );
  // Every byte each recorder produced is in storage: the page's counters and the server agree.
  for (const track of info.tracks) {
    const row = page.locator(`[data-track-id="${track.id}"]`);
    await expect(row.locator('[data-field="state"]')).toHaveText('ended');
    const recorded = Number(await row.locator('[data-field="recorded"]').getAttribute('data-value'));
    expect(Number(await row.locator('[data-field="uploaded"]').getAttribute('data-value'))).toBe(recorded);
    expect(track.bytes, `${track.participantId} ${track.kind} bytes in storage`).toBe(recorded);
  }
  const span = (tracks: RecordingInfo['tracks']) =>
    (Math.max(...tracks.map((t) => t.endedAt ?? Number.NaN)) - Math.min(...tracks.map((t) => t.startedAt))) /
    1000;
  const callSpan = span(info.tracks);
  // The recorders' own timestamps agree with the test's stopwatch (video recorders start up to ~1.3 s late).
  expect(callSpan).toBeGreaterThanOrEqual(10);
  expect(callSpan).toBeLessThanOrEqual((clickedStop - clickedRecord) / 1000 + 1);

  for (const participantId of ['local', 'remote']) {
    const output = info.outputs.find((o) => o.kind === 'participant' && o.participantId === participantId);
    if (!output) throw new Error(`no output for participant ${participantId}`);
    const media = await probe(output.location);
    expect(countStreams(media, 'audio'), `${participantId} audio streams`).toBe(1);
    expect(countStreams(media, 'video'), `${participantId} video streams`).toBe(1);
    // A remote audio track that nothing plays records silence (see PLATFORM.md); both tones are loud.
    expect(await maxVolume(output.location), `${participantId} loudest sample, dBFS`).toBeGreaterThan(-30);
    const recorded = span(info.tracks.filter((t) => t.participantId === participantId));
    expect(
      Math.abs(media.duration - recorded),
      `${participantId}: ${media.duration} s vs ${recorded} s`,
    ).toBeLessThanOrEqual(1);
  }

  const composite = info.outputs.find((o) => o.kind === 'composite');
  if (!composite) throw new Error('no composite output');
  expect(existsSync(composite.location)).toBe(true);
  const compositeMedia = await probe(composite.location);
  expect(countStreams(compositeMedia, 'video')).toBe(1);
  expect(countStreams(compositeMedia, 'audio')).toBe(1);
  expect(
    Math.abs(compositeMedia.duration - callSpan),
    `composite ${compositeMedia.duration} s vs ${callSpan} s`,
  ).toBeLessThanOrEqual(1);
  expect(Math.abs(compositeMedia.duration - (info.duration ?? Number.NaN))).toBeLessThanOrEqual(1);

  expect(info.thumbnails.map((t) => t.position).sort((a, b) => a - b)).toEqual([0, 25, 50, 75, 100]);
  for (const thumbnail of info.thumbnails) {
    const path = join(root, thumbnail.key);
    const image = await probe(path);
    expect(image.streams.map((s) => [s.codec_name, s.width])).toEqual([['mjpeg', 320]]);
    expect(await decodeErrors(path), `decoding ${thumbnail.key}`).toBe('');
  }

  lap('files on disk verified');
  // What a person sees: playable players and loaded thumbnails.
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
  // Delete through the page's list; then nothing of the recording may remain on disk.
  const item = page.getByTestId(`recording-${recordingId}`);
  await expect(item).toHaveAttribute('data-status', 'completed');
  await page.getByTestId(`delete-${recordingId}`).click();
  await expect(item).toHaveCount(0);
  await expect(page.getByTestId('result')).toBeHidden();
  expect((await fetchApi(`/v1/recordings/${recordingId}`)).status).toBe(404);
  expect(existsSync(join(root, recordingId))).toBe(false);
  expect(existsSync(join(root, '.state', `${recordingId}.json`))).toBe(false);
  expect(readdirSync(root, { recursive: true }).filter((p) => String(p).includes(recordingId))).toEqual([]);
  lap('deleted');
});

async function videoSize(page: Page, testId: string) {
  const video = page.getByTestId(testId);
  await expect.poll(() => video.evaluate((v: HTMLVideoElement) => v.videoWidth)).toBeGreaterThan(0);
  return video.evaluate((v: HTMLVideoElement) => ({ width: v.videoWidth, height: v.videoHeight }));
}

let adminToken: string | undefined;

async function fetchApi(path: string): Promise<Response> {
  adminToken ??= ((await (await fetch(`${SERVER_URL}/demo/admin-token`)).json()) as { token: string }).token;
  return fetch(`${SERVER_URL}${path}`, { headers: { authorization: `Bearer ${adminToken}` } });
}

async function api<T>(path: string): Promise<T> {
  const response = await fetchApi(path);
  if (!response.ok) throw new Error(`GET ${path}: HTTP ${response.status} ${await response.text()}`);
  return (await response.json()) as T;
}
