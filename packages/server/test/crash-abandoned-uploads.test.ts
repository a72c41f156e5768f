import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { ProcessingError, type ProcessingJob } from '../src/processing/job.js';
import type { AbandonedUpload } from '../src/recording/abandoned-uploads.js';
import {
  makeDir,
  partBytes,
  registerBody,
  removeDir,
  startServer,
  type TestServer,
  tokenFor,
} from './support/server-app.js';
import { waitFor } from './support/spawned-server.js';

const TIMEOUT = 60_000;
let clock = Date.now();
const now = () => clock;
const servers: TestServer[] = [];
const dirs: string[] = [];

afterEach(async () => {
  for (const server of servers.splice(0)) {
    await server.close();
    expect(server.logger.errors).toEqual([]);
  }
  for (const dir of dirs.splice(0)) await removeDir(dir);
});

async function start(dir: string, extra: Parameters<typeof startServer>[0] = {}) {
  const server = await startServer({
    dir,
    now,
    env: { RECORDING_ABANDONED_UPLOAD_MS: String(TIMEOUT) },
    ...extra,
  });
  servers.push(server);
  return server;
}

async function newDir() {
  const dir = await makeDir();
  dirs.push(dir);
  return dir;
}

/** Registers a track and signs (and, with `put`, uploads) part 1. */
async function track(server: TestServer, id: string, trackId: string, participantId: string, put = false) {
  const token = tokenFor(id);
  const path = `/v1/recordings/${id}/tracks/${trackId}`;
  await server.request('PUT', path, { token, json: registerBody(participantId) });
  const signed = await (
    await server.request('POST', `${path}/parts`, { token, json: { partNumbers: [1] } })
  ).json();
  if (!put) return undefined;
  const res = await server.request('PUT', signed.parts[0].url, { body: partBytes(1, 1500) });
  return res.headers.get('etag') ?? '';
}

it('aborts and reports uploads idle for RECORDING_ABANDONED_UPLOAD_MS, then stops the idle recording', async () => {
  const abandoned: AbandonedUpload[] = [];
  const jobs: ProcessingJob[] = [];
  const server = await start(await newDir(), {
    onUploadAbandoned: (upload) => abandoned.push(upload),
    processRecording: async (job) => {
      jobs.push(job);
      throw new ProcessingError('stub', { step: 'stub', exitCode: 1, stderrTail: '', inputs: [] });
    },
  });
  const id = 'rec-idle';
  const token = tokenFor(id);
  await server.request('POST', '/v1/recordings', { token, json: { roomId: 'room' } });
  const etag = await track(server, id, 'done', 'carol', true);
  const parts = [{ partNumber: 1, etag }];
  const completed = await server.request('POST', `/v1/recordings/${id}/tracks/done/complete`, {
    token,
    json: { parts, bytes: 1500, endedAt: clock },
  });
  expect(completed.status).toBe(200);
  const idleSince = clock;
  await track(server, id, 'idle', 'alice', true);
  clock += 30_000;
  await track(server, id, 'busy', 'bob');
  clock += 40_000;

  const sweeper = server.callrec.abandonedUploads;
  expect(await sweeper.sweep()).toEqual([
    { recordingId: id, trackId: 'idle', participantId: 'alice', kind: 'video', lastActivityAt: idleSince },
  ]);
  expect(abandoned).toHaveLength(1);
  expect(server.logger.lines.some((l) => l.level === 'warn' && l.message.includes('idle abandoned'))).toBe(
    true,
  );
  const info = await (await server.request('GET', `/v1/recordings/${id}`, { token })).json();
  expect(info.status).toBe('recording');
  expect(
    info.tracks.map((t: { id: string; status: string; error?: { code: string } }) => [
      t.id,
      t.status,
      t.error?.code,
    ]),
  ).toEqual([
    ['done', 'complete', undefined],
    ['idle', 'failed', 'upload_abandoned'],
    ['busy', 'recording', undefined],
  ]);
  expect(await readdir(join(server.dir, id, '.uploads'))).toHaveLength(1); // busy's
  const listed = await server.request('GET', `/v1/recordings/${id}/tracks/idle/parts`, { token });
  expect(listed.status).toBe(409);

  // The last live upload goes idle too: the recording is stopped and what completed is processed.
  clock += TIMEOUT;
  expect((await sweeper.sweep()).map((u) => u.trackId)).toEqual(['busy']);
  await waitFor(async () => (await server.callrec.service.get(id)).status === 'failed', 5000, 'processing');
  expect(jobs.map((job) => job.tracks.map((t) => t.trackId))).toEqual([['done']]);
  expect(await readdir(join(server.dir, id, '.uploads'))).toEqual([]);
  expect(await sweeper.sweep()).toEqual([]);
});

it('does not count the time the server was down as idle time', async () => {
  const dir = await newDir();
  const first = await start(dir);
  const id = 'rec-downtime';
  await first.request('POST', '/v1/recordings', { token: tokenFor(id), json: { roomId: 'room' } });
  await track(first, id, 't1', 'alice', true);
  await first.close();
  servers.splice(servers.indexOf(first), 1);

  clock += 10 * TIMEOUT;
  const second = await start(dir);
  expect(await second.callrec.abandonedUploads.sweep()).toEqual([]);
  clock += TIMEOUT + 1;
  expect((await second.callrec.abandonedUploads.sweep()).map((u) => u.trackId)).toEqual(['t1']);
});

it('sweeps on its own timer, which close() stops', async () => {
  const abandoned: AbandonedUpload[] = [];
  const server = await startServer({
    env: { RECORDING_ABANDONED_UPLOAD_MS: '1000' },
    onUploadAbandoned: (upload) => abandoned.push(upload),
  });
  servers.push(server);
  dirs.push(server.dir);
  const id = 'rec-timer';
  await server.request('POST', '/v1/recordings', { token: tokenFor(id), json: { roomId: 'room' } });
  await track(server, id, 't1', 'alice');
  await waitFor(() => abandoned.length === 1, 5000, 'the sweeper');
  await server.close();
  servers.splice(0);
  const later = 'rec-after-close';
  await server.request('POST', '/v1/recordings', { token: tokenFor(later), json: { roomId: 'room' } });
  await track(server, later, 't2', 'bob');
  await new Promise((resolve) => setTimeout(resolve, 1500));
  expect(abandoned.map((u) => u.trackId)).toEqual(['t1']);
});
