import { access, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { RecordingInfo } from '@callrec/sdk/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.js';
import type { ProcessingJob } from '../src/processing/job.js';
import { createStorage } from '../src/storage/index.js';
import {
  adminToken,
  makeDir,
  partBytes,
  registerBody,
  removeDir,
  SECRET,
  snapshot,
  startServer,
  type TestServer,
  tokenFor,
} from './support/server-app.js';
import { readEvents } from './support/sse.js';

const dirs: string[] = [];
const servers: TestServer[] = [];

async function start(options: Parameters<typeof startServer>[0] = {}) {
  const server = await startServer(options);
  servers.push(server);
  if (!dirs.includes(server.dir)) dirs.push(server.dir);
  return server;
}

afterEach(async () => {
  for (const server of servers.splice(0)) {
    await server.close();
    expect(server.logger.errors).toEqual([]);
  }
  for (const dir of dirs.splice(0)) await removeDir(dir);
});

/**
 * Creates a recording with one track per entry; tracks marked true are uploaded and completed.
 * Track times are `now()`, the server's clock (a test may run it ahead of the real one).
 */
async function record(
  server: TestServer,
  id: string,
  complete: boolean[] = [true],
  now: () => number = Date.now,
) {
  const token = tokenFor(id);
  expect(
    (await server.request('POST', '/v1/recordings', { token, json: { roomId: `room-${id}` } })).status,
  ).toBe(201);
  for (const [i, done] of complete.entries()) {
    const track = `/v1/recordings/${id}/tracks/t${i}`;
    await server.request('PUT', track, { token, json: { ...registerBody(`p${i}`), startedAt: now() } });
    const signed = await (
      await server.request('POST', `${track}/parts`, { token, json: { partNumbers: [1] } })
    ).json();
    const put = await server.request('PUT', signed.parts[0].url, { body: partBytes(i, 1500) });
    if (done) {
      const parts = [{ partNumber: 1, etag: put.headers.get('etag') }];
      const res = await server.request('POST', `${track}/complete`, {
        token,
        json: { parts, bytes: 1500, endedAt: now() },
      });
      expect(res.status).toBe(200);
    }
  }
}

async function info(server: TestServer, id: string): Promise<RecordingInfo> {
  const res = await server.request('GET', `/v1/recordings/${id}`, { token: tokenFor(id) });
  expect(res.status).toBe(200);
  return res.json();
}

describe('recording lifecycle', () => {
  it('keeps its state across a restart, and uploads continue afterwards', async () => {
    const first = await start();
    await record(first, 'rec-1', [true, false]);
    const before = await info(first, 'rec-1');
    await first.close();

    const second = await start({ dir: first.dir });
    expect(await info(second, 'rec-1')).toEqual(before);
    // Track t1's upload (one part on disk) survived too: complete it on the new server.
    const parts = await second.callrec.storage.listParts(
      'rec-1/tracks/t1.webm',
      await uploadIdOf(second, 't1'),
    );
    const res = await second.request('POST', '/v1/recordings/rec-1/tracks/t1/complete', {
      token: tokenFor('rec-1'),
      json: {
        parts: parts.map(({ partNumber, etag }) => ({ partNumber, etag })),
        bytes: 1500,
        endedAt: Date.now(),
      },
    });
    expect(res.status).toBe(200);
  });

  it('stops: aborts unfinished tracks, and fails with no_media when nothing completed', async () => {
    const server = await start();
    await record(server, 'rec-1', [false]);
    const token = tokenFor('rec-1');
    const res = await server.request('POST', '/v1/recordings/rec-1/stop', { token });
    expect(res.status).toBe(202);
    const stopped: RecordingInfo = await res.json();
    expect(stopped).toMatchObject({ status: 'failed', error: { code: 'no_media' } });
    expect(stopped.tracks[0]).toMatchObject({ status: 'failed', error: { code: 'not_completed' } });
    expect(await readdir(join(server.dir, 'rec-1', '.uploads'))).toEqual([]);
    expect((await server.request('POST', '/v1/recordings/rec-1/stop', { token, json: {} })).status).toBe(202);
    const late = await server.request('PUT', '/v1/recordings/rec-1/tracks/t9', {
      token,
      json: registerBody(),
    });
    expect((await late.json()).error.code).toBe('recording_not_active');
    const sign = await server.request('POST', '/v1/recordings/rec-1/tracks/t0/parts', {
      token,
      json: { partNumbers: [2] },
    });
    expect((await sign.json()).error.code).toBe('recording_not_active');
  });

  it('deletes everything of one recording and nothing of another', async () => {
    const server = await start();
    await record(server, 'rec-1', [true, false]);
    await record(server, 'rec-2', [true]);
    const other = await snapshot(server.dir, 'rec-2');
    const res = await server.request('DELETE', '/v1/recordings/rec-1', { token: tokenFor('rec-1') });
    expect(res.status).toBe(204);
    await expect(access(join(server.dir, 'rec-1'))).rejects.toThrow(/ENOENT/);
    await expect(access(join(server.dir, '.state', 'rec-1.json'))).rejects.toThrow(/ENOENT/);
    expect(await snapshot(server.dir, 'rec-2')).toEqual(other);
    const gone = await server.request('GET', '/v1/recordings/rec-1', { token: adminToken() });
    expect(gone.status).toBe(404);
    const list = await (await server.request('GET', '/v1/recordings', { token: adminToken() })).json();
    expect(list.recordings.map((r: RecordingInfo) => r.id)).toEqual(['rec-2']);
  });

  it('aborts unfinished uploads by id before deleting (GCS sessions cannot be listed)', async () => {
    const dir = await makeDir();
    const storage = await createStorage(
      loadConfig({ RECORDING_OUTPUT_DIR: dir, RECORDING_TOKEN_SECRET: SECRET }),
    );
    // The real local store, noting which uploads the service aborts.
    const aborted: string[] = [];
    const abortUpload = storage.abortUpload.bind(storage);
    storage.abortUpload = (key, uploadId) => {
      aborted.push(uploadId);
      return abortUpload(key, uploadId);
    };
    const server = await start({ dir, storage });
    await record(server, 'rec-open', [true, false]);
    const state = JSON.parse(await readFile(join(dir, '.state', 'rec-open.json'), 'utf8'));
    const open = state.tracks.filter((t: { status: string }) => t.status === 'recording');
    expect(open).toHaveLength(1);
    const res = await server.request('DELETE', '/v1/recordings/rec-open', { token: tokenFor('rec-open') });
    expect(res.status).toBe(204);
    expect(aborted).toEqual([open[0].uploadId]);
    await expect(access(join(dir, 'rec-open'))).rejects.toThrow(/ENOENT/);
  });

  it('cleans up only old recordings that are not recording or processing', async () => {
    let clock = Date.now();
    const server = await start({ now: () => clock });
    await record(server, 'old-done', [false]);
    await server.request('POST', '/v1/recordings/old-done/stop', { token: tokenFor('old-done') });
    await record(server, 'old-live', [false]);
    clock += 2 * 3600_000;
    await record(server, 'new-done', [false], () => clock);
    await server.request('POST', '/v1/recordings/new-done/stop', { token: tokenFor('new-done') });
    const kept = await snapshot(server.dir, 'new-done');

    const res = await server.request('POST', '/v1/cleanup', {
      token: adminToken(),
      json: { olderThanMs: 3600_000 },
    });
    expect(await res.json()).toEqual({ deleted: ['old-done'] });
    const list = await (await server.request('GET', '/v1/recordings', { token: adminToken() })).json();
    expect(list.recordings.map((r: RecordingInfo) => r.id)).toEqual(['new-done', 'old-live']);
    expect(await snapshot(server.dir, 'new-done')).toEqual(kept);
  });

  it('re-queues a recording that was processing when the server stopped', async () => {
    const started: string[] = [];
    const hang = (job: ProcessingJob, { signal }: { signal?: AbortSignal }) =>
      new Promise<never>((_, reject) => {
        started.push(job.recordingId);
        signal?.addEventListener('abort', () => reject(new Error('aborted by shutdown')));
      });
    const first = await start({ processRecording: hang });
    await record(first, 'rec-1', [true]);
    const stop = await first.request('POST', '/v1/recordings/rec-1/stop', { token: tokenFor('rec-1') });
    expect((await stop.json()).status).toBe('queued');
    await waitFor(() => started.length === 1);
    expect((await info(first, 'rec-1')).status).toBe('processing');
    await first.close();

    const second = await start({ dir: first.dir, processRecording: hang });
    await waitFor(() => started.length === 2);
    expect(started).toEqual(['rec-1', 'rec-1']);
    expect((await info(second, 'rec-1')).status).toBe('processing');
  });
});

describe('event stream', () => {
  it('replays the log on connect, respects Last-Event-ID, then streams live events', async () => {
    const dir = await makeDir();
    const server = await start({ dir });
    await record(server, 'rec-1', [false]);
    const token = tokenFor('rec-1');
    const all = await readEvents(
      await server.request('GET', `/v1/recordings/rec-1/events?token=${token}`),
      (m) => m.length >= 2,
    );
    expect(all.map((m) => m.event)).toEqual(['recordingStarted', 'recordingProgress']);
    expect(all[1]?.data).toEqual({ recordingId: 'rec-1', chunks: 1, participants: 1, bytes: 0 });

    const res = await server.request('GET', '/v1/recordings/rec-1/events', {
      token,
      headers: { 'last-event-id': all[0]?.id ?? '' },
    });
    const stopped = server.request('POST', '/v1/recordings/rec-1/stop', { token });
    const rest = await readEvents(res, (m) => m.some((e) => e.event === 'recordingFailed'));
    await stopped;
    expect(rest.map((m) => m.event)).toEqual(['recordingProgress', 'recordingFailed']);
    expect(rest[1]?.data).toMatchObject({ recordingId: 'rec-1', error: { code: 'no_media' } });
    expect(Number(rest[1]?.id)).toBeGreaterThan(Number(rest[0]?.id));
  });
});

async function uploadIdOf(server: TestServer, trackId: string): Promise<string> {
  const [uploadId] = await readdir(join(server.dir, 'rec-1', '.uploads'));
  expect(trackId).toBe('t1'); // only t1 has an unfinished upload
  return uploadId ?? '';
}

async function waitFor(condition: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('concurrent requests', () => {
  it('lose no update when many tracks register and sign parts at once', async () => {
    const server = await start();
    const token = tokenFor('rec-1');
    await server.request('POST', '/v1/recordings', { token, json: { roomId: 'r' } });
    const tracks = Array.from({ length: 8 }, (_, i) => `t${i}`);
    await Promise.all(
      tracks.map((t) =>
        server.request('PUT', `/v1/recordings/rec-1/tracks/${t}`, { token, json: registerBody(`p${t}`) }),
      ),
    );
    const responses = await Promise.all(
      tracks.flatMap((t) =>
        [1, 2, 3].map((n) =>
          server.request('POST', `/v1/recordings/rec-1/tracks/${t}/parts`, {
            token,
            json: { partNumbers: [n] },
          }),
        ),
      ),
    );
    expect(responses.map((r) => r.status)).toEqual(responses.map(() => 200));
    await server.close();
    const again = await start({ dir: server.dir });
    const state = again.callrec.service;
    const log = state.eventLog('rec-1');
    expect(log.at(-1)).toMatchObject({ name: 'recordingProgress', data: { chunks: 24, participants: 8 } });
    expect((await info(again, 'rec-1')).tracks).toHaveLength(8);
  });
});
