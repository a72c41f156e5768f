import { createHash } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test } from '@playwright/test';
import type { RecordingInfo } from '../packages/sdk/src/protocol.js';
import { startFaultProxy } from '../packages/server/test/support/fault-proxy.js';
import {
  backend,
  expectStoredAsRecorded,
  logPageErrors,
  processed,
  recordedSoFar,
  type SdkTrack,
  startOwnBackend,
  startRecording,
  stopAndComplete,
} from './demo.js';
import { outputDir, SERVER_PORT, SERVER_URL } from './env.js';

/**
 * Faults a real call meets (issue 4), on local disk. Each test ends the same way: every track
 * file in storage holds exactly the bytes the SDK says its recorder produced (count and CRC-32),
 * and processing completed.
 */
const root = outputDir();
const api = backend(SERVER_URL);
/** The local provider's part uploads: `PUT /v1/uploads/<rid>/<uploadId>/<partNumber>?expires=&signature=`. */
const PARTS = `${SERVER_URL}/v1/uploads/**`;

test.beforeEach(({ page }, testInfo) => {
  // These tests read the tracks straight off the local provider's disk.
  const storage = (testInfo.project.use as { storage?: string }).storage ?? 'local';
  test.skip(storage !== 'local', 'local disk only');
  logPageErrors(page);
});

test('offline for 15 s mid-call: recording goes on, uploads resume, every byte stored', async ({
  page,
  context,
}) => {
  const recordingId = await startRecording(page);
  await page.waitForTimeout(3_000);
  await context.setOffline(true);
  const atOffline = await recordedSoFar(page);
  await page.waitForTimeout(15_000);
  // Recording never stops because the network did.
  const beforeOnline = await recordedSoFar(page);
  for (const [trackId, bytes] of atOffline) {
    expect(beforeOnline.get(trackId), `${trackId} recorded while offline`).toBeGreaterThan(bytes);
  }
  await context.setOffline(false);
  await page.waitForTimeout(2_000);
  const tracks = await stopAndComplete(page);
  await expectStoredAsRecorded(root, await processed(api, recordingId), tracks);
});

test('page reloaded mid-call: the app recovers the recording after the reload', async ({ page }) => {
  const recordingId = await startRecording(page);
  await page.waitForTimeout(7_000);
  const beforeReload = await recordedSoFar(page);
  // The SDK's beforeunload guard asks to stay while bytes are unsent: leave anyway.
  page.on('dialog', (dialog) => void dialog.accept());
  await page.reload();
  const recovered = page.getByTestId(`recovered-${recordingId}`);
  await expect(recovered).toHaveAttribute('data-status', 'stopped', { timeout: 120_000 });
  const tracks = await recovered.locator('[data-track-id]').evaluateAll((items) =>
    items.map((item) => {
      const data = (item as HTMLElement).dataset;
      return {
        trackId: data.trackId ?? '',
        status: data.status,
        recordedBytes: Number(data.recordedBytes),
        crc32: data.crc32 ?? '',
      };
    }),
  );
  for (const track of tracks) {
    expect(track.status, `${track.trackId} recovered`).toBe('complete');
    // The journal holds at least what the page had counted before it went away.
    expect(track.recordedBytes).toBeGreaterThanOrEqual(beforeReload.get(track.trackId) ?? Number.NaN);
  }
  await expectStoredAsRecorded(root, await processed(api, recordingId), tracks);
});

test('storage fails 10 % of part uploads with 503: retried, every byte stored once', async ({ page }) => {
  const proxy = await startFaultProxy({
    target: SERVER_URL,
    failRatio: 0.1,
    seed: 4,
    failStatus: 503,
    match: (req) => req.method === 'PUT' && (req.url ?? '').startsWith('/v1/uploads/'),
  });
  try {
    // Part uploads go through the proxy; the page's API calls go straight to the backend.
    await page.route(PARTS, (route) => {
      const url = new URL(route.request().url());
      return route.continue({ url: `${proxy.url}${url.pathname}${url.search}` });
    });
    const recordingId = await startRecording(page);
    await page.waitForTimeout(10_000);
    const tracks = await stopAndComplete(page);
    const info = await processed(api, recordingId);
    console.log(
      `[faults] proxy: ${JSON.stringify({ ...proxy.stats, forwarded: proxy.stats.forwarded.length })}`,
    );
    expect(proxy.stats.failed, 'injected failures').toBeGreaterThan(0);
    // Every part of every track went through the proxy.
    const parts = info.tracks.reduce((n, t) => n + Math.ceil((t.bytes ?? 0) / (64 * 1024)), 0);
    expect(new Set(proxy.stats.forwarded).size, 'distinct parts stored through the proxy').toBe(parts);
    await expectStoredAsRecorded(root, info, tracks);
  } finally {
    await proxy.close();
  }
});

test('every part uploaded twice more (before and alongside the page’s own): stored bytes exact', async ({
  page,
}) => {
  const replays: Promise<void>[] = [];
  const answers: { part: string; status: number; etag: string | null; md5: string }[] = [];
  const replay = async (url: string, body: Buffer, contentType: string | undefined) => {
    const response = await fetch(url, {
      method: 'PUT',
      body: new Uint8Array(body),
      headers: contentType ? { 'content-type': contentType } : {},
    });
    answers.push({
      part: new URL(url).pathname,
      status: response.status,
      etag: response.headers.get('etag'),
      md5: `"${createHash('md5').update(body).digest('hex')}"`,
    });
  };
  await page.route(PARTS, async (route) => {
    const request = route.request();
    if (request.method() !== 'PUT') return route.continue();
    const body = request.postDataBuffer() ?? Buffer.alloc(0);
    const contentType = await request.headerValue('content-type');
    await replay(request.url(), body, contentType ?? undefined);
    await route.continue();
    // A third copy racing the page's own PUT of the same part.
    replays.push(replay(request.url(), body, contentType ?? undefined));
  });
  const recordingId = await startRecording(page);
  await page.waitForTimeout(8_000);
  const tracks: SdkTrack[] = await stopAndComplete(page);
  await Promise.all(replays);
  const info = await processed(api, recordingId);
  expect(answers.length, 'parts replayed').toBeGreaterThan(8);
  for (const answer of answers) {
    expect(answer.status, `replay of ${answer.part}`).toBe(200);
    expect(answer.etag).toBe(answer.md5);
  }
  await expectStoredAsRecorded(root, info, tracks);
});

test('backend killed with kill -9 mid-call and restarted 5 s later: every byte stored', async ({ page }) => {
  // A backend of this test's own (same port and directory across the restart: signed URLs stay valid).
  const dir = mkdtempSync(join(tmpdir(), 'callrec-e2e-kill-'));
  const port = SERVER_PORT + 50;
  let server = await startOwnBackend(port, dir);
  try {
    const recordingId = await startRecording(page, `/?server=${encodeURIComponent(server.url)}`);
    await page.waitForTimeout(4_000);
    await server.kill();
    const killedAt = Date.now();
    await page.waitForTimeout(5_000);
    server = await startOwnBackend(port, dir);
    console.log(`[e2e] backend back ${((Date.now() - killedAt) / 1000).toFixed(1)} s after kill -9`);
    await page.waitForTimeout(3_000);
    const tracks = await stopAndComplete(page);
    await expectStoredAsRecorded(dir, await processed(backend(server.url), recordingId), tracks);
  } finally {
    await server.stop();
  }
});

test('backend killed with kill -9 while processing and restarted: processing finishes, bytes exact', async ({
  page,
}) => {
  const dir = mkdtempSync(join(tmpdir(), 'callrec-e2e-kill-'));
  const port = SERVER_PORT + 51;
  let server = await startOwnBackend(port, dir);
  try {
    const recordingId = await startRecording(page, `/?server=${encodeURIComponent(server.url)}`);
    await page.waitForTimeout(8_000);
    const tracks = await stopAndComplete(page, async () => {
      await page.waitForTimeout(1_500);
      const before = await backend(server.url).get<RecordingInfo>(`/v1/recordings/${recordingId}`);
      expect(before.status, 'killed while').toBe('processing');
      await server.kill();
      server = await startOwnBackend(port, dir);
    });
    const info = await processed(backend(server.url), recordingId);
    // Picked up again after the restart, without duplicated outputs.
    const keys = info.outputs.map((o) => o.key);
    expect(new Set(keys).size, `outputs ${keys.join(', ')}`).toBe(keys.length);
    expect(info.outputs.filter((o) => o.kind === 'composite')).toHaveLength(1);
    await expectStoredAsRecorded(dir, info, tracks);
  } finally {
    await server.stop();
  }
});
