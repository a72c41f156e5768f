import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { expect, type Page } from '@playwright/test';
import type { RecordingInfo } from '../packages/sdk/src/protocol.js';
import { killGroup } from '../packages/server/test/support/spawned-server.js';
import { LOCAL_PART_SIZE, REPO_ROOT } from './env.js';

/** What the SDK says one track recorded: the bytes storage must hold in the end. */
export interface SdkTrack {
  trackId: string;
  recordedBytes: number;
  /** CRC-32, 8 hex digits. */
  crc32: string;
}

/** The demo backend's API with its admin token. */
export function backend(serverUrl: string) {
  let adminToken: string | undefined;
  const fetchApi = async (path: string): Promise<Response> => {
    adminToken ??= ((await (await fetch(`${serverUrl}/demo/admin-token`)).json()) as { token: string }).token;
    return fetch(`${serverUrl}${path}`, { headers: { authorization: `Bearer ${adminToken}` } });
  };
  return {
    fetch: fetchApi,
    async get<T>(path: string): Promise<T> {
      const response = await fetchApi(path);
      if (!response.ok) throw new Error(`GET ${path}: HTTP ${response.status} ${await response.text()}`);
      return (await response.json()) as T;
    },
  };
}

/** Page errors in the test's output: the first clue when a flow stalls. */
export function logPageErrors(page: Page): void {
  page.on('console', (msg) => msg.type() === 'error' && console.log(`[page error] ${msg.text()}`));
  page.on('pageerror', (error) => console.log(`[page exception] ${error.message}`));
}

/** Opens the demo, waits for the call, clicks Record; resolves with the recording id. */
export async function startRecording(page: Page, path = '/'): Promise<string> {
  const status = page.getByTestId('status');
  await page.goto(path);
  await expect(status).toHaveAttribute('data-state', 'idle', { timeout: 60_000 });
  await page.getByTestId('record').click();
  await expect(status).toHaveAttribute('data-state', 'recording');
  const recordingId = (await page.getByTestId('recording-id').getAttribute('data-recording-id')) ?? '';
  expect(recordingId).toMatch(/^[A-Za-z0-9_-]{1,64}$/);
  return recordingId;
}

/** Recorded bytes of every track row so far, by track id. */
export async function recordedSoFar(page: Page): Promise<Map<string, number>> {
  const rows = await page
    .locator('[data-track-id]')
    .evaluateAll((trs) =>
      trs.map((tr) => [
        (tr as HTMLElement).dataset.trackId ?? '',
        Number(tr.querySelector<HTMLElement>('[data-field="recorded"]')?.dataset.value ?? 0),
      ]),
    );
  return new Map(rows as [string, number][]);
}

/** Clicks Stop and waits for the page to report processing done; resolves with the SDK's tracks. */
export async function stopAndComplete(
  page: Page,
  /** Runs once the uploads are done and processing started. */
  whileProcessing: () => Promise<void> = async () => {},
): Promise<SdkTrack[]> {
  const status = page.getByTestId('status');
  const t0 = Date.now();
  const lap = (what: string) =>
    console.log(`[e2e] stop +${((Date.now() - t0) / 1000).toFixed(1)} s: ${what}`);
  await page.getByTestId('stop').click();
  // `processing` once every byte is confirmed in storage and the recording is stopped.
  await expect(status).toHaveAttribute('data-state', /^(processing|completed|failed)$/, { timeout: 120_000 });
  lap('uploads done, processing');
  await whileProcessing();
  await expect(status).toHaveAttribute('data-state', /^(completed|failed)$/, { timeout: 240_000 });
  lap(`processing over: ${await status.textContent()}`);
  expect(await status.textContent()).toMatch(/^Completed/);
  return page.locator('[data-track-id]').evaluateAll((trs) =>
    trs.map((tr) => {
      const row = tr as HTMLElement;
      return {
        trackId: row.dataset.trackId ?? '',
        recordedBytes: Number(row.querySelector<HTMLElement>('[data-field="recorded"]')?.dataset.value),
        crc32: row.dataset.crc32 ?? '',
      };
    }),
  );
}

/**
 * Every track the SDK reports is stored on local disk (`<root>/<rid>/tracks/<trackId>.webm`) with
 * exactly its byte count and CRC-32, the server agrees, and processing completed.
 */
export async function expectStoredAsRecorded(
  root: string,
  info: RecordingInfo,
  tracks: readonly SdkTrack[],
): Promise<void> {
  await expectTracksStored((key) => readFile(join(root, ...key.split('/'))), info, tracks);
}

/**
 * Every track the SDK reports is stored (`<rid>/tracks/<trackId>.webm`, read with `read`, from
 * any storage) with exactly its byte count and CRC-32, the server agrees, and processing completed.
 */
export async function expectTracksStored(
  read: (key: string) => Promise<Buffer>,
  info: RecordingInfo,
  tracks: readonly SdkTrack[],
): Promise<void> {
  expect(tracks.length, 'tracks the SDK reports').toBe(4);
  expect(info.tracks.map((t) => t.id).sort()).toEqual(tracks.map((t) => t.trackId).sort());
  for (const track of tracks) {
    expect(track.crc32, `${track.trackId} CRC-32 per the SDK`).toMatch(/^[0-9a-f]{8}$/);
    expect(track.recordedBytes, `${track.trackId} bytes per the SDK`).toBeGreaterThan(0);
    // First, so a track that never completed shows the server's view of it (status, error).
    const serverTrack = info.tracks.find((t) => t.id === track.trackId);
    expect(serverTrack, `${track.trackId} on the server`).toMatchObject({ status: 'complete' });
    const stored = await read(`${info.id}/tracks/${track.trackId}.webm`);
    expect(
      { bytes: stored.length, crc32: crc32(stored).toString(16).padStart(8, '0') },
      `${track.trackId} stored`,
    ).toEqual({ bytes: track.recordedBytes, crc32: track.crc32 });
    expect(serverTrack?.bytes).toBe(track.recordedBytes);
  }
  expect(info.status, 'processing').toBe('completed');
}

/** Polls the server until the recording's processing is over; resolves with its final info. */
export async function processed(
  api: ReturnType<typeof backend>,
  recordingId: string,
): Promise<RecordingInfo> {
  let info: RecordingInfo | undefined;
  await expect
    .poll(
      async () => {
        info = await api.get<RecordingInfo>(`/v1/recordings/${recordingId}`);
        return info.status;
      },
      { timeout: 240_000, intervals: [1000] },
    )
    .toMatch(/^(completed|failed)$/);
  if (!info) throw new Error('no recording info');
  return info;
}

/** A demo backend of the test's own, in a child process it can `kill -9` and start again. */
export interface OwnBackend {
  url: string;
  /** `kill -9`, then reap what it left (ffmpeg). */
  kill(): Promise<void>;
  stop(): Promise<void>;
}

/** Local disk in `dir`, with 64 KiB parts: every track uploads several parts during a short call. */
export function localBackendEnv(dir: string): Record<string, string> {
  return {
    RECORDING_OUTPUT_DIR: dir,
    RECORDING_PART_SIZE: String(LOCAL_PART_SIZE),
    RECORDING_MIN_PART_SIZE: String(LOCAL_PART_SIZE),
  };
}

/**
 * Starts `node --import tsx packages/demo/server/main.ts` (not the `tsx` CLI, whose server runs
 * in a grandchild a kill would miss) on `port`, storing as `storageEnv` says (default: local disk
 * in `dir` with 64 KiB parts); resolves once /healthz answers.
 */
export async function startOwnBackend(
  port: number,
  dir: string,
  storageEnv: Record<string, string> = localBackendEnv(dir),
): Promise<OwnBackend> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'packages/demo/server/main.ts'], {
    cwd: REPO_ROOT,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      ...process.env,
      PORT: String(port),
      HOST: '127.0.0.1',
      ...storageEnv,
    },
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = once(child, 'exit');
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null)
      throw new Error(`backend exited before it listened:\n${output}`);
    const healthy = await fetch(`${url}/healthz`).then(
      (r) => r.ok,
      () => false, // not listening yet
    );
    if (healthy) break;
    if (Date.now() > deadline) throw new Error(`backend did not start:\n${output}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const end = async (signal: NodeJS.Signals) => {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    await exited;
    killGroup(child.pid as number);
  };
  return { url, kill: () => end('SIGKILL'), stop: () => end('SIGTERM') };
}
