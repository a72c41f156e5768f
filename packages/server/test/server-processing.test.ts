import { execFile } from 'node:child_process';
import { access, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { RecordingEventMap, RecordingInfo } from '@callrec/sdk/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import { registerBody, removeDir, startServer, type TestServer, tokenFor } from './support/server-app.js';

const exec = promisify(execFile);
const PART = 64 * 1024;
let server: TestServer | undefined;

afterEach(async () => {
  await server?.close();
  if (server) await removeDir(server.dir);
  server = undefined;
});

/** Media like MediaRecorder's: WebM written to a pipe, so without Duration or Cues. */
async function recorderLikeWebm(kind: 'audio' | 'video'): Promise<Buffer> {
  const input =
    kind === 'video'
      ? ['-f', 'lavfi', '-i', 'testsrc=size=320x240:rate=30', '-c:v', 'libvpx', '-b:v', '500k']
      : ['-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000', '-c:a', 'libopus', '-b:a', '64k'];
  const { stdout } = await exec('ffmpeg', ['-v', 'error', ...input, '-t', '3', '-f', 'webm', 'pipe:1'], {
    encoding: 'buffer',
    maxBuffer: 16 * 1024 * 1024,
  });
  return stdout;
}

async function start(): Promise<TestServer> {
  server = await startServer({
    env: {
      RECORDING_MIN_PART_SIZE: String(PART),
      RECORDING_PART_SIZE: String(PART),
      RECORDING_COMPOSITE_WIDTH: '320',
      RECORDING_COMPOSITE_HEIGHT: '240',
      RECORDING_COMPOSITE_FPS: '15',
    },
  });
  return server;
}

/** Uploads `bytes` as one track through the HTTP API, in parts of PART bytes, and completes it. */
async function uploadTrack(
  s: TestServer,
  id: string,
  trackId: string,
  kind: 'audio' | 'video',
  bytes: Buffer,
) {
  const token = tokenFor(id);
  const track = `/v1/recordings/${id}/tracks/${trackId}`;
  expect((await s.request('PUT', track, { token, json: registerBody(`p-${trackId}`, kind) })).status).toBe(
    201,
  );
  const count = Math.ceil(bytes.length / PART);
  const partNumbers = Array.from({ length: count }, (_, i) => i + 1);
  const { parts: signed } = await (
    await s.request('POST', `${track}/parts`, { token, json: { partNumbers } })
  ).json();
  const parts = [];
  for (const { partNumber, url } of signed) {
    const res = await s.request('PUT', url, {
      body: bytes.subarray((partNumber - 1) * PART, partNumber * PART),
    });
    expect(res.status).toBe(200);
    parts.push({ partNumber, etag: res.headers.get('etag') ?? '' });
  }
  const done = await s.request('POST', `${track}/complete`, {
    token,
    json: { parts, bytes: bytes.length, endedAt: Date.now() },
  });
  expect(done.status).toBe(200);
}

function nextEvent<K extends keyof RecordingEventMap>(s: TestServer, names: K[]) {
  return new Promise<{ name: K; data: RecordingEventMap[K] }>((resolve) => {
    for (const name of names) s.callrec.events.on(name, (data) => resolve({ name, data }));
  });
}

describe('processing a stopped recording', () => {
  it('produces participant files, a composite and thumbnails in storage', async () => {
    const s = await start();
    const id = 'rec-proc';
    const token = tokenFor(id);
    const seen: string[] = [];
    s.callrec.events.onAny((e) => seen.push(e.name));
    await s.request('POST', '/v1/recordings', { token, json: { roomId: 'room' } });
    await uploadTrack(s, id, 'cam', 'video', await recorderLikeWebm('video'));
    await uploadTrack(s, id, 'mic', 'audio', await recorderLikeWebm('audio'));

    const finished = nextEvent(s, ['recordingCompleted', 'recordingFailed']);
    const stop = await s.request('POST', `/v1/recordings/${id}/stop`, {
      token,
      json: { stoppedAt: Date.now() },
    });
    expect(stop.status).toBe(202);
    const { name, data } = await finished;
    expect(name, JSON.stringify(data)).toBe('recordingCompleted');
    const completed = data as RecordingEventMap['recordingCompleted'];
    expect(completed.outputPath).toBe(join(s.dir, id, 'composite.webm'));
    expect(completed.fileSize).toBeGreaterThan(0);
    expect(completed.duration).toBeGreaterThan(2);
    expect(seen.slice(-4)).toEqual([
      'recordingProcessing',
      'thumbnailsGenerated',
      'recordingUploaded',
      'recordingCompleted',
    ]);

    const info: RecordingInfo = await (await s.request('GET', `/v1/recordings/${id}`, { token })).json();
    expect(info.status).toBe('completed');
    expect(info.outputs.map((o) => o.key).sort()).toEqual([
      `${id}/composite.webm`,
      `${id}/participants/p-cam.webm`,
      `${id}/participants/p-mic.webm`,
    ]);
    for (const output of info.outputs) {
      expect(await s.callrec.storage.size(output.key)).toBe(output.size);
      expect(output.size).toBeGreaterThan(0);
    }
    expect(info.thumbnails.map((t) => t.position)).toEqual([0, 25, 50, 75, 100]);
    for (const thumb of info.thumbnails) expect(await s.callrec.storage.size(thumb.key)).toBeGreaterThan(0);
    const composite = info.outputs.find((o) => o.kind === 'composite');
    const res = await s.request('GET', composite?.url ?? '');
    expect(res.status).toBe(200);
    expect(Buffer.from(await res.arrayBuffer())).toEqual(await readFile(completed.outputPath));
  });

  it('reports ffmpeg failures in recordingFailed and keeps the source tracks', async () => {
    const s = await start();
    const id = 'rec-bad';
    const token = tokenFor(id);
    await s.request('POST', '/v1/recordings', { token, json: { roomId: 'room' } });
    await uploadTrack(s, id, 'cam', 'video', Buffer.alloc(3000, 7));
    const finished = nextEvent(s, ['recordingCompleted', 'recordingFailed']);
    await s.request('POST', `/v1/recordings/${id}/stop`, { token });
    const { name, data } = await finished;
    expect(name).toBe('recordingFailed');
    const { error } = data as RecordingEventMap['recordingFailed'];
    expect(error.code).toBe('processing_failed');
    expect(error.details).toMatchObject({ exitCode: expect.any(Number), stderrTail: expect.any(String) });
    expect((error.details as { inputs: string[] }).inputs.length).toBeGreaterThan(0);
    await access(join(s.dir, id, 'tracks', 'cam.webm'));
    const info: RecordingInfo = await (await s.request('GET', `/v1/recordings/${id}`, { token })).json();
    expect(info).toMatchObject({ status: 'failed', error: { code: 'processing_failed' } });
    expect(s.logger.errors).toEqual([]);
  });
});
