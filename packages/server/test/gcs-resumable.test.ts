import { randomBytes } from 'node:crypto';
import type { UploadTarget } from '@callrec/sdk/protocol';
import { Storage } from '@google-cloud/storage';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RecordingClient } from '../../sdk/src/api-client.js';
import { ResumableUpload } from '../../sdk/src/resumable-upload.js';
import { GcsStore } from '../src/storage/gcs-store.js';
import { CHUNK_MULTIPLE, ResumableServer } from './support/gcs-resumable-server.js';

// The SDK's resumable sink against a loopback endpoint that follows Google's resumable protocol,
// over real HTTP; the session is opened by GcsStore through @google-cloud/storage.

const BUCKET = 'callrec-test';
const ORIGIN = 'http://app.test';
let server: ResumableServer;
let store: GcsStore;

beforeAll(async () => {
  server = await new ResumableServer().start();
  const storage = new Storage({ projectId: 'demo-callrec', apiEndpoint: server.url });
  store = new GcsStore({ bucket: storage.bucket(BUCKET), chunkSize: CHUNK_MULTIPLE });
});

afterAll(async () => {
  await server?.stop();
});

/** Feeds `bytes` to the SDK sink in recorder-sized pieces, as a browser would. */
async function upload(target: UploadTarget, bytes: Buffer, pieceSize = 100_000) {
  if (target.type !== 'resumable') throw new Error(`expected a resumable target, got ${target.type}`);
  const client = new RecordingClient({
    serverUrl: 'http://127.0.0.1:9',
    token: 'unused',
    retry: { sleep: async () => {} },
  });
  const errors: unknown[] = [];
  const sink = new ResumableUpload({
    ...target,
    // The bytes the SDK would read back from its chunk journal.
    read: async (start, end) => new Blob([bytes.subarray(start, end)]),
    putChunk: (url, body, range) => client.putChunk(url, body, range),
    retry: { sleep: async () => {} },
    onPartUploaded: () => {},
    onError: (error) => errors.push(error),
  });
  for (let at = 0; at < bytes.length; at += pieceSize) sink.append(Math.min(pieceSize, bytes.length - at));
  const parts = await sink.finish();
  return { parts, errors };
}

function sessionRequests(since: number) {
  return server.requests.slice(since).filter((r) => r.method === 'PUT');
}

describe('resumable upload over HTTP (Google protocol endpoint)', () => {
  it('uploads a track in 256 KiB-multiple chunks, 308 with Range after each, and completes it', async () => {
    const key = 'rec1/tracks/video-1.webm';
    const { uploadId, target } = await store.createUpload(key, 'video/webm', ORIGIN);
    const bytes = randomBytes(4 * CHUNK_MULTIPLE + 12_345);
    const before = server.requests.length;
    const { parts, errors } = await upload(target, bytes);
    expect(errors).toEqual([]);
    expect(parts).toHaveLength(1);
    expect(server.object(BUCKET, key)?.equals(bytes)).toBe(true);
    const puts = sessionRequests(before);
    expect(puts.map((r) => r.status)).toEqual([308, 308, 308, 308, 200]);
    expect(puts.slice(0, -1).every((r) => r.bytes % CHUNK_MULTIPLE === 0)).toBe(true);
    expect(puts.at(-1)?.contentRange).toBe(`bytes ${4 * CHUNK_MULTIPLE}-${bytes.length - 1}/${bytes.length}`);
    expect(await store.completeUpload(key, uploadId, parts)).toEqual({ size: bytes.length });
  });

  it('refuses a non-final chunk that is not a multiple of 256 KiB', async () => {
    const { uploadId } = await store.createUpload('rec2/tracks/a.webm', 'audio/webm', ORIGIN);
    const raw = await fetch(uploadId, {
      method: 'PUT',
      headers: { 'Content-Range': 'bytes 0-99999/*' },
      body: randomBytes(100_000),
    });
    expect(raw.status).toBe(400);
    expect(await raw.text()).toMatch(/multiple of 262144/);
    // A target that lies about the multiple: storage's 400 ends the upload, with no retries.
    const before = server.requests.length;
    const lying = { type: 'resumable', url: uploadId, chunkSize: 300_000, chunkMultiple: 100_000 } as const;
    await expect(upload(lying, randomBytes(700_000))).rejects.toMatchObject({ status: 400 });
    expect(sessionRequests(before).map((r) => [r.contentRange, r.status])).toEqual([
      ['bytes 0-299999/*', 400],
      ['bytes */*', 308],
    ]);
  });

  it('resumes after an interrupted response from the offset the session reports', async () => {
    const key = 'rec3/tracks/video-2.webm';
    const { target } = await store.createUpload(key, 'video/webm', ORIGIN);
    const bytes = randomBytes(3 * CHUNK_MULTIPLE + 7);
    const before = server.requests.length;
    server.dropNextResponse = true;
    const { errors } = await upload(target, bytes);
    expect(errors).toEqual([]);
    expect(server.object(BUCKET, key)?.equals(bytes)).toBe(true);
    const puts = sessionRequests(before);
    expect(puts.slice(0, 2)).toEqual([
      {
        method: 'PUT',
        contentRange: `bytes 0-${CHUNK_MULTIPLE - 1}/*`,
        bytes: CHUNK_MULTIPLE,
        status: 'dropped',
      },
      { method: 'PUT', contentRange: 'bytes */*', bytes: 0, status: 308 },
    ]);
    // Nothing was sent twice: the resumed upload started at the committed offset.
    expect(puts.reduce((sum, r) => sum + r.bytes, 0)).toBe(bytes.length);
  });

  it('reports the committed offset as one part, and aborts the session idempotently', async () => {
    const key = 'rec4/tracks/a.webm';
    const { uploadId } = await store.createUpload(key, 'audio/webm', ORIGIN);
    expect(await store.listParts(key, uploadId)).toEqual([]);
    const chunk = await fetch(uploadId, {
      method: 'PUT',
      headers: { 'Content-Range': `bytes 0-${CHUNK_MULTIPLE - 1}/*` },
      body: randomBytes(CHUNK_MULTIPLE),
    });
    expect([chunk.status, chunk.headers.get('Range')]).toEqual([308, `bytes=0-${CHUNK_MULTIPLE - 1}`]);
    expect(await store.listParts(key, uploadId)).toEqual([{ partNumber: 1, etag: '', size: CHUNK_MULTIPLE }]);
    await store.abortUpload(key, uploadId);
    await store.abortUpload(key, uploadId);
    await expect(store.listParts(key, uploadId)).rejects.toMatchObject({
      status: 404,
      code: 'upload_not_found',
    });
    await expect(store.completeUpload(key, uploadId, [])).rejects.toMatchObject({
      code: 'upload_incomplete',
    });
  });

  it('scopes CORS to the origin the session was opened with', async () => {
    const { uploadId } = await store.createUpload('rec5/tracks/a.webm', 'audio/webm', ORIGIN);
    const preflight = (origin: string) =>
      fetch(uploadId, {
        method: 'OPTIONS',
        headers: {
          Origin: origin,
          'Access-Control-Request-Method': 'PUT',
          'Access-Control-Request-Headers': 'content-range',
        },
      });
    const allowed = await preflight(ORIGIN);
    expect(allowed.headers.get('Access-Control-Allow-Origin')).toBe(ORIGIN);
    expect(allowed.headers.get('Access-Control-Allow-Headers')).toMatch(/Content-Range/i);
    expect((await preflight('http://other.test')).headers.get('Access-Control-Allow-Origin')).toBeNull();
    const status = (origin: string) =>
      fetch(uploadId, { method: 'PUT', headers: { Origin: origin, 'Content-Range': 'bytes */*' } });
    const own = await status(ORIGIN);
    expect([own.status, own.headers.get('Access-Control-Allow-Origin')]).toEqual([308, ORIGIN]);
    expect(own.headers.get('Access-Control-Expose-Headers')).toMatch(/Range/);
    expect((await status('http://other.test')).headers.get('Access-Control-Allow-Origin')).toBeNull();
  });
});
