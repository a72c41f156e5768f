import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CompletedPart } from '@callrec/sdk/protocol';
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

/** Small parts, so a 3 s fixture spans many of them (video ~19, audio 2). */
const PART = 16 * 1024;
let dir: string;
let port: number;
let video: Buffer;
let audio: Buffer;
let server: SpawnedServer | undefined;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'callrec-crash-upload-'));
  port = await freePort();
  const fixtures = await mkdtemp(join(tmpdir(), 'callrec-crash-fixtures-'));
  await makeVideoTrack(join(fixtures, 'v.webm'), { seconds: 3 });
  await makeAudioTrack(join(fixtures, 'a.webm'), { seconds: 3 });
  video = await readFile(join(fixtures, 'v.webm'));
  audio = await readFile(join(fixtures, 'a.webm'));
  await rm(fixtures, { recursive: true });
  expect(partCount(audio, PART)).toBe(2);
});

afterEach(async () => {
  await server?.kill();
  server = undefined;
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function start(env: Record<string, string> = {}): Promise<SpawnedServer> {
  const partEnv = { RECORDING_PART_SIZE: String(PART), RECORDING_MIN_PART_SIZE: String(PART) };
  server = await spawnServer({ dir, port, env: { ...partEnv, ...env } });
  return server;
}

const numbers = (count: number, from = 1) => Array.from({ length: count - from + 1 }, (_, i) => from + i);
const completed = (etags: Map<number, string>): CompletedPart[] =>
  [...etags].map(([partNumber, etag]) => ({ partNumber, etag }));

async function tempFiles(path: string): Promise<string[]> {
  const names = await readdir(path, { recursive: true });
  return names.filter((n) => n.endsWith('.tmp'));
}

async function stateOf(id: string): Promise<RecordingState> {
  return JSON.parse(await readFile(join(dir, '.state', `${id}.json`), 'utf8'));
}

/** A PUT whose body stops halfway and never ends: the kill lands while the server writes it. */
function putCutOff(url: string, bytes: Uint8Array): Promise<unknown> {
  const body = new ReadableStream<Uint8Array>({
    start: (controller) => controller.enqueue(bytes.subarray(0, bytes.length >> 1)),
  });
  const init = { method: 'PUT', body, duplex: 'half' } as RequestInit;
  return fetch(url, init).then(
    (res) => res.status,
    (err: unknown) => err,
  );
}

it(
  'keeps every confirmed part across kill -9 between parts, right after a PUT and mid-PUT',
  async () => {
    const id = 'crash-parts';
    await start();
    const api = new ApiClient(server?.url ?? '', id, devToken(id));
    await api.create();
    await api.register('v', 'video');
    await api.register('a', 'audio');
    const videoUrls = await api.sign('v', numbers(partCount(video, PART)));
    const audioUrls = await api.sign('a', [1, 2]);
    const etags = { v: new Map<number, string>(), a: new Map<number, string>() };
    for (const n of [1, 2, 3]) etags.v.set(n, await putPart(videoUrls.get(n) ?? '', slice(video, n, PART)));
    etags.a.set(1, await putPart(audioUrls.get(1) ?? '', slice(audio, 1, PART)));
    const cutOff = putCutOff(audioUrls.get(2) ?? '', slice(audio, 2, PART));
    const uploads = join(dir, id, '.uploads');
    await waitFor(async () => (await tempFiles(uploads)).length > 0, 10_000, 'the cut-off part on disk');
    const before = await api.get();
    await server?.kill();
    expect(await cutOff).toBeInstanceOf(Error);

    await start();
    expect(await api.get()).toEqual(before);
    const listed = (track: Map<number, string>, last = PART) =>
      [...track].map(([partNumber, etag]) => ({ partNumber, etag, size: last }));
    expect((await api.listParts('v')).parts).toEqual(listed(etags.v));
    expect((await api.listParts('a')).parts).toEqual(listed(etags.a)); // not the cut-off part 2
    expect(await tempFiles(uploads)).toEqual([]);

    // The rest, through URLs signed before the kill (same secret, same port).
    for (const n of numbers(partCount(video, PART), 4)) {
      etags.v.set(n, await putPart(videoUrls.get(n) ?? '', slice(video, n, PART)));
    }
    etags.a.set(2, await putPart(audioUrls.get(2) ?? '', slice(audio, 2, PART)));
    expect(await api.complete('v', completed(etags.v), video.length)).toMatchObject({ status: 'complete' });
    expect(await api.complete('a', completed(etags.a), audio.length)).toMatchObject({ status: 'complete' });
    expect((await readFile(join(dir, id, 'tracks', 'v.webm'))).equals(video)).toBe(true);
    expect((await readFile(join(dir, id, 'tracks', 'a.webm'))).equals(audio)).toBe(true);
    expect(await readdir(uploads)).toEqual([]);
  },
  SPAWNED_TIMEOUT,
);

it(
  'finishes a completion killed before, and one killed after, storage assembled the track',
  async () => {
    const id = 'crash-complete';
    await start({ CALLREC_TEST_CRASH_AT: 'complete:after-intent' });
    const api = new ApiClient(server?.url ?? '', id, devToken(id));
    await api.create();
    await api.register('v', 'video');
    const urls = await api.sign('v', numbers(partCount(video, PART)));
    const etags = new Map<number, string>();
    for (const [n, url] of urls) etags.set(n, await putPart(url, slice(video, n, PART)));
    const parts = completed(etags);

    // Killed after the state recorded the completion, before storage assembled anything.
    await expect(api.complete('v', parts, video.length)).rejects.toThrow();
    expect(await server?.exited).toBe('SIGKILL');
    await start({ CALLREC_TEST_CRASH_AT: 'complete:after-storage' });
    expect((await api.get()).tracks[0]?.status).toBe('recording');
    expect((await api.listParts('v')).parts.map((p) => p.etag)).toEqual(parts.map((p) => p.etag));

    // Killed after storage assembled the object and dropped the parts, before the state said so.
    await expect(api.complete('v', parts, video.length)).rejects.toThrow();
    expect(await server?.exited).toBe('SIGKILL');
    expect((await stateOf(id)).tracks[0]).toMatchObject({
      status: 'recording',
      completing: { bytes: video.length },
    });
    expect(await readdir(join(dir, id, '.uploads'))).toEqual([]);

    await start();
    expect((await api.get()).tracks[0]).toMatchObject({ status: 'complete', bytes: video.length });
    // The SDK's retry with the original ETags is answered as a success.
    expect(await api.complete('v', parts, video.length)).toMatchObject({ status: 'complete' });
    expect((await readFile(join(dir, id, 'tracks', 'v.webm'))).equals(video)).toBe(true);
    expect(await tempFiles(join(dir, id))).toEqual([]);
    expect((await stateOf(id)).tracks[0]?.completing).toBeUndefined();
  },
  SPAWNED_TIMEOUT,
);
