import { access, mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import type { RecordingState } from '../src/state/recording-state.js';
import {
  makeDir,
  partBytes,
  registerBody,
  removeDir,
  startServer,
  type TestServer,
  tokenFor,
} from './support/server-app.js';

let dir: string;
const servers: TestServer[] = [];

afterEach(async () => {
  for (const server of servers.splice(0)) {
    await server.close();
    expect(server.logger.errors).toEqual([]);
  }
  await removeDir(dir);
});

async function start() {
  const server = await startServer({ dir });
  servers.push(server);
  return server;
}

const exists = (path: string) =>
  access(path).then(
    () => true,
    () => false,
  );

/** Two tracks with one uploaded part each; returns the state file path and the parts' ETags. */
async function twoTracks(server: TestServer, id: string) {
  const token = tokenFor(id);
  await server.request('POST', '/v1/recordings', { token, json: { roomId: 'r' } });
  const etags: string[] = [];
  for (const trackId of ['t1', 't2']) {
    const track = `/v1/recordings/${id}/tracks/${trackId}`;
    await server.request('PUT', track, { token, json: registerBody(trackId) });
    const signed = await (
      await server.request('POST', `${track}/parts`, { token, json: { partNumbers: [1] } })
    ).json();
    const put = await server.request('PUT', signed.parts[0].url, { body: partBytes(1, 1500) });
    etags.push(put.headers.get('etag') ?? '');
  }
  return { stateFile: join(dir, '.state', `${id}.json`), etags };
}

it('removes temp files of interrupted writes and stale work directories, and nothing else', async () => {
  dir = await makeDir();
  const first = await start();
  const { etags } = await twoTracks(first, 'rec-tmp');
  await first.close();
  servers.splice(0);
  const [uploadId] = await readdir(join(dir, 'rec-tmp', '.uploads'));
  const leftovers = [
    join(dir, 'rec-tmp', '.uploads', uploadId ?? '', '2.0123456789ab.tmp'),
    join(dir, 'rec-tmp', 'tracks', 't1.webm.a1b2c3d4e5f6.tmp'),
    join(dir, 'rec-tmp', 'composite.webm.00ff00ff00ff.tmp'),
    join(dir, '.work', 'rec-tmp-XyZ123', 'composite.webm'),
  ];
  const kept = join(dir, 'rec-tmp', 'notes.tmp'); // not a name this server gives temp files
  for (const path of [...leftovers, kept]) {
    await mkdir(join(path, '..'), { recursive: true });
    await writeFile(path, 'partial');
  }

  const second = await start();
  for (const path of leftovers) expect(await exists(path)).toBe(false);
  expect(await exists(kept)).toBe(true);
  const listed = await second.request('GET', '/v1/recordings/rec-tmp/tracks/t1/parts', {
    token: tokenFor('rec-tmp'),
  });
  expect((await listed.json()).parts.map((p: { etag: string }) => p.etag)).toEqual([etags[0]]);
});

it('records a track storage assembled before the kill as complete, but not one whose size differs', async () => {
  dir = await makeDir();
  const first = await start();
  const id = 'rec-settle';
  const { stateFile, etags } = await twoTracks(first, id);
  await first.close();
  servers.splice(0);
  // What a kill between storage's completeUpload and the state write leaves: the intent in the
  // state, the object assembled, the parts gone. t2's intent promises other bytes than it holds.
  const state = JSON.parse(await readFile(stateFile, 'utf8')) as RecordingState;
  for (const [i, track] of state.tracks.entries()) {
    const parts = [{ partNumber: 1, etag: etags[i] ?? '' }];
    track.completing = { parts, bytes: i === 0 ? 1500 : 1499, endedAt: 42 };
    await first.callrec.storage.completeUpload(track.key, track.uploadId, parts);
  }
  await writeFile(stateFile, JSON.stringify(state));

  const second = await start();
  const info = await second.callrec.service.get(id);
  expect(info.tracks.map(({ id, status, bytes, endedAt }) => ({ id, status, bytes, endedAt }))).toEqual([
    { id: 't1', status: 'complete', bytes: 1500, endedAt: 42 },
    { id: 't2', status: 'recording', bytes: undefined, endedAt: undefined },
  ]);
  const saved = JSON.parse(await readFile(stateFile, 'utf8')) as RecordingState;
  expect(saved.tracks[0]?.completing).toBeUndefined();
  expect(saved.tracks[0]?.parts).toEqual([{ partNumber: 1, etag: etags[0] }]);
});
