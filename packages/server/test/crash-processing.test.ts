import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RecordingInfo } from '@callrec/sdk/protocol';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import type { RecordingState } from '../src/state/recording-state.js';
import { makeAudioTrack, makeVideoTrack } from './fixtures/make-fixtures.js';
import { ApiClient, partCount, putPart, slice } from './support/api-client.js';
import {
  devToken,
  freePort,
  SPAWNED_TIMEOUT,
  type SpawnedServer,
  spawnServer,
  waitFor,
} from './support/spawned-server.js';

const PART = 32 * 1024;
/** Long enough that the composite takes a few seconds on 2 cores: the kill has to land inside it. */
const SECONDS = 4;
const ID = 'crash-processing';
let dir: string;
let port: number;
let server: SpawnedServer | undefined;
const sent: Record<string, Buffer> = {};

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'callrec-crash-processing-'));
  port = await freePort();
  const fixtures = await mkdtemp(join(tmpdir(), 'callrec-crash-fixtures-'));
  await makeVideoTrack(join(fixtures, 'v.webm'), { seconds: SECONDS, width: 320, height: 240 });
  await makeAudioTrack(join(fixtures, 'a.webm'), { seconds: SECONDS });
  sent.v = await readFile(join(fixtures, 'v.webm'));
  sent.a = await readFile(join(fixtures, 'a.webm'));
  await rm(fixtures, { recursive: true });
});

afterEach(async () => {
  await server?.kill();
  server = undefined;
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function start(env: Record<string, string> = {}): Promise<SpawnedServer> {
  server = await spawnServer({
    dir,
    port,
    env: {
      RECORDING_PART_SIZE: String(PART),
      RECORDING_MIN_PART_SIZE: String(PART),
      RECORDING_COMPOSITE_WIDTH: '320',
      RECORDING_COMPOSITE_HEIGHT: '240',
      RECORDING_COMPOSITE_FPS: '10',
      ...env,
    },
  });
  return server;
}

/** Every file under the recording's directory, relative to it. */
async function filesOf(id: string): Promise<string[]> {
  const entries = await readdir(join(dir, id), { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name).slice(join(dir, id).length + 1))
    .sort();
}

async function stateOf(id: string): Promise<RecordingState> {
  return JSON.parse(await readFile(join(dir, '.state', `${id}.json`), 'utf8'));
}

async function workFiles(): Promise<string[]> {
  return readdir(join(dir, '.work'), { recursive: true }).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return [];
    throw err;
  });
}

it(
  'finishes a recording whose processing was killed twice, with no duplicate or half-written output',
  async () => {
    // Run 1 dies right after the first output (a participant file) reached storage.
    await start({ CALLREC_TEST_CRASH_AT: 'processing:after-output-upload' });
    const api = new ApiClient(server?.url ?? '', ID, devToken(ID));
    await api.create();
    const startedAt = Date.now();
    for (const [trackId, kind] of [
      ['v', 'video'],
      ['a', 'audio'],
    ] as const) {
      const bytes = sent[trackId] as Buffer;
      await api.register(trackId, kind, 'alice', startedAt);
      const urls = await api.sign(
        trackId,
        Array.from({ length: partCount(bytes, PART) }, (_, i) => i + 1),
      );
      const parts = [];
      for (const [n, url] of urls)
        parts.push({ partNumber: n, etag: await putPart(url, slice(bytes, n, PART)) });
      await api.complete(trackId, parts, bytes.length);
    }
    await api.stop();
    expect(await server?.exited).toBe('SIGKILL');
    expect((await stateOf(ID)).status).toBe('processing');
    expect(await filesOf(ID)).toEqual(['participants/alice.webm', 'tracks/a.webm', 'tracks/v.webm']);

    // Run 2 is killed while ffmpeg writes the composite in its work directory.
    await start();
    const partial = await waitFor(
      async () => (await workFiles()).find((f) => /composite\.webm$/.test(f)),
      60_000,
      'the composite being written',
    );
    await server?.kill();
    expect((await stat(join(dir, '.work', partial))).isFile()).toBe(true);
    expect((await stateOf(ID)).status).toBe('processing');
    const visible = await filesOf(ID);
    expect(visible.filter((f) => f.startsWith('composite') || f.endsWith('.tmp'))).toEqual([]);

    // Run 3 starts over in a clean work directory and finishes.
    await start();
    const done = await waitFor(
      async () => {
        const info = await api.get();
        return info.status === 'completed' || info.status === 'failed' ? info : undefined;
      },
      90_000,
      'processing to finish',
    );
    expect(done).toMatchObject({ status: 'completed' } satisfies Partial<RecordingInfo>);
    const thumbnails = [0, 25, 50, 75, 100].map((p) => `thumbnails/${p}.jpg`);
    expect(await filesOf(ID)).toEqual(
      ['composite.webm', 'participants/alice.webm', ...thumbnails, 'tracks/a.webm', 'tracks/v.webm'].sort(),
    );
    expect(done.outputs.map((o) => o.key).sort()).toEqual([
      `${ID}/composite.webm`,
      `${ID}/participants/alice.webm`,
    ]);
    for (const output of done.outputs) {
      expect((await stat(join(dir, output.key))).size).toBe(output.size);
    }
    expect(done.duration).toBeGreaterThan(SECONDS - 0.5);
    expect(done.duration).toBeLessThan(SECONDS + 0.5);
    for (const trackId of ['v', 'a']) {
      expect(
        (await readFile(join(dir, ID, 'tracks', `${trackId}.webm`))).equals(sent[trackId] as Buffer),
      ).toBe(true);
    }
    expect(await workFiles()).toEqual([]);
    const completions = (await stateOf(ID)).events.filter((e) => e.name === 'recordingCompleted');
    expect(completions).toHaveLength(1);
  },
  SPAWNED_TIMEOUT * 2,
);
