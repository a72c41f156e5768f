import { describe, expect, it } from 'vitest';
import { RecordingClient } from '../src/api-client.js';
import { crc32, crc32Hex } from '../src/checksum.js';
import type { TrackFailure } from '../src/errors.js';
import type { RetryOptions } from '../src/retry.js';
import { TrackUpload, type TrackUploadStats } from '../src/track-upload.js';
import { FakeServer } from './fake-server.js';

const retry: RetryOptions = { sleep: async () => {}, random: () => 0 };

function setup(server: FakeServer, options: { partsInFlight?: number } = {}) {
  const client = new RecordingClient({
    serverUrl: 'http://api.test/',
    token: 'tok',
    fetch: server.fetch,
    retry,
  });
  const progress: TrackUploadStats[] = [];
  const failures: TrackFailure[] = [];
  const upload = new TrackUpload({
    api: client,
    recordingId: 'rec1',
    trackId: 'video-1-abcd',
    participantId: 'alice',
    displayName: 'Alice',
    kind: 'video',
    mimeType: 'video/webm;codecs=vp8',
    retry,
    ...(options.partsInFlight ? { partsInFlight: options.partsInFlight } : {}),
    onProgress: (stats) => progress.push(stats),
    onFailed: (failure) => failures.push(failure),
  });
  return { upload, progress, failures };
}

/** Pushes chunks of `sizes` whose bytes count up from `firstByte`; returns every byte pushed. */
function pushChunks(upload: TrackUpload, sizes: number[], firstByte = 0): number[] {
  const all: number[] = [];
  for (const size of sizes) {
    const bytes = Uint8Array.from({ length: size }, (_, i) => (firstByte + all.length + i) % 256);
    all.push(...bytes);
    upload.push(new Blob([bytes]));
  }
  return all;
}

describe('TrackUpload (multipart)', () => {
  it('uploads every part, retrying 503s and network errors, and completes with ETags in order', async () => {
    const server = new FakeServer();
    server.putScripts.set(1, ['network']);
    server.putScripts.set(2, [{ status: 503 }, { status: 503 }]);
    server.putScripts.set(4, [{ status: 500 }]);
    const { upload, progress, failures } = setup(server);

    upload.begin(1000);
    const sent = pushChunks(upload, [1, 9, 13, 4, 7, 13]); // 47 bytes → 10,10,10,10,7
    const info = await upload.finish(5000);

    expect(failures).toEqual([]);
    expect(info.status).toBe('complete');
    expect(server.completeBodies).toEqual([
      {
        parts: [1, 2, 3, 4, 5].map((n) => ({ partNumber: n, etag: `"etag-${n}-${n === 5 ? 7 : 10}"` })),
        bytes: 47,
        endedAt: 5000,
      },
    ]);
    expect(server.assembled()).toEqual(sent);
    expect(Object.fromEntries(server.putAttempts)).toEqual({ 1: 2, 2: 3, 3: 1, 4: 2, 5: 1 });
    // Every attempt sent bytes, never the journal's Blob (Chromium would keep its file on disk).
    expect(server.putBodyTypes).toEqual(new Set(['ArrayBuffer']));
    expect(upload.stats).toEqual({
      chunks: 6,
      recordedBytes: 47,
      uploadedBytes: 47,
      crc32: crc32Hex(crc32(Uint8Array.from(sent))),
      backlogBytes: 0,
      waitingBytes: 0,
    });
    expect(upload.status).toBe('complete');
    // Progress on every chunk and every confirmed part; uploaded bytes only ever grow.
    expect(progress.length).toBe(6 + 5);
    const uploaded = progress.map((p) => p.uploadedBytes);
    expect(uploaded).toEqual([...uploaded].sort((a, b) => a - b));
    expect(server.authHeaders.every((h) => h === 'Bearer tok')).toBe(true);
  });

  it('fails the track with the server code on a fatal 400 and reports it to the fail endpoint', async () => {
    const server = new FakeServer();
    server.putScripts.set(2, [{ status: 400, code: 'part_rejected', message: 'no thanks' }]);
    const { upload, failures } = setup(server);

    upload.begin(1000);
    pushChunks(upload, [25, 25]);
    await expect(upload.finish(2000)).rejects.toMatchObject({ code: 'part_rejected', message: 'no thanks' });

    expect(server.putAttempts.get(2)).toBe(1);
    expect(failures).toEqual([{ code: 'part_rejected', message: 'no thanks' }]);
    expect(server.failBodies).toEqual([{ code: 'part_rejected', message: 'no thanks' }]);
    expect(server.completeBodies).toEqual([]);
    expect(upload.status).toBe('failed');
  });

  it('after the recorder stopped, gives up at the retry limit with the last server code, but only interrupts the track', async () => {
    const server = new FakeServer();
    server.putScripts.set(
      1,
      Array.from({ length: 8 }, () => ({ status: 503, code: 'storage_unavailable' })),
    );
    const { upload, failures } = setup(server);
    upload.begin(1);
    pushChunks(upload, [10]);
    await expect(upload.finish(2)).rejects.toMatchObject({ code: 'storage_unavailable' });
    expect(server.putAttempts.get(1)).toBe(8);
    expect(failures[0]?.message).toMatch(/gave up after 8 attempts/);
    // The server would abort the upload: it is not told, and the journal keeps the bytes.
    expect(server.failBodies).toHaveLength(0);
    expect(upload.status).toBe('interrupted');
  });

  it('signs again once when storage refuses a URL (expired), then succeeds', async () => {
    const server = new FakeServer();
    server.putScripts.set(1, [{ status: 403, code: 'url_expired' }]);
    const { upload } = setup(server);
    upload.begin(1);
    pushChunks(upload, [10]);
    await upload.finish(2);
    expect(server.signCalls.filter((call) => call.includes(1))).toHaveLength(2);
    expect(server.putAttempts.get(1)).toBe(2);
  });

  it('signs URLs in batches', async () => {
    const server = new FakeServer();
    const { upload } = setup(server, { partsInFlight: 1 });
    upload.begin(1);
    pushChunks(upload, [70]); // 7 parts
    await upload.finish(2);
    expect(server.signCalls).toEqual([
      [1, 2, 3, 4, 5],
      [6, 7, 8, 9, 10],
    ]);
  });

  it('keeps at most partsInFlight PUTs running', async () => {
    const server = new FakeServer();
    server.putDelayMs = 5;
    const { upload } = setup(server, { partsInFlight: 2 });
    upload.begin(1);
    pushChunks(upload, [95]);
    await upload.finish(2);
    expect(server.stored.size).toBe(10);
    expect(server.maxInFlightPuts).toBe(2);
  });

  it('holds chunks that arrive before the track is registered', async () => {
    const server = new FakeServer();
    const { upload } = setup(server);
    const sent = pushChunks(upload, [4, 4, 4]);
    upload.begin(1);
    sent.push(...pushChunks(upload, [4], 12));
    await upload.finish(2);
    expect(server.assembled()).toEqual(sent);
    expect(server.completeBodies[0]?.bytes).toBe(16);
  });

  it('fails without a server report when registration is refused', async () => {
    const server = new FakeServer();
    server.registerScript = { status: 409, code: 'recording_not_active' };
    const { upload, failures } = setup(server);
    upload.begin(1);
    pushChunks(upload, [10]);
    await expect(upload.finish(2)).rejects.toMatchObject({ code: 'recording_not_active' });
    expect(failures).toEqual([expect.objectContaining({ code: 'recording_not_active' })]);
    expect(server.failBodies).toEqual([]);
  });

  it('refuses a resumable target whose chunk size breaks its own multiple, and reports it', async () => {
    const server = new FakeServer();
    server.uploadType = 'resumable';
    server.resumableTarget.chunkSize = 6;
    const { upload } = setup(server);
    upload.begin(1);
    await expect(upload.finish(2)).rejects.toMatchObject({ code: 'invalid_upload_target' });
    expect(server.failBodies).toEqual([expect.objectContaining({ code: 'invalid_upload_target' })]);
  });

  it('fails a track that produced no bytes, and one whose recorder never started', async () => {
    const server = new FakeServer();
    const empty = setup(server).upload;
    empty.begin(1);
    await expect(empty.finish(2)).rejects.toMatchObject({ code: 'empty_track' });

    const neverStarted = setup(server);
    await expect(neverStarted.upload.finish(2)).rejects.toMatchObject({ code: 'recorder_not_started' });
    expect(neverStarted.failures).toHaveLength(1);
  });

  it('fails loudly when the track outgrows maxParts', async () => {
    const server = new FakeServer();
    server.maxParts = 2;
    const { upload, failures } = setup(server);
    upload.begin(1);
    pushChunks(upload, [10, 10, 1]);
    await expect(upload.finish(2)).rejects.toMatchObject({ code: 'too_many_parts' });
    expect(failures.map((f) => f.code)).toEqual(['too_many_parts']);
  });
});
