import type { UploadTarget } from '@callrec/sdk/protocol';
import { Storage } from '@google-cloud/storage';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GcsStore } from '../src/storage/gcs-store.js';
import { CHUNK_MULTIPLE, ResumableServer } from './support/gcs-resumable-server.js';
import { openSdkPage, type SdkPage } from './support/sdk-in-chromium.js';

// The SDK's resumable sink in Chromium: fetch must hand back a 308 without Location instead of
// following it, the session's CORS must let the page read `Range`, and a chunk whose response
// was lost must not break the upload (Chromium itself replays a PUT on a reset connection).

const BUCKET = 'callrec-test';
const SIZE = 3 * CHUNK_MULTIPLE + 5;
let server: ResumableServer;
let store: GcsStore;
let browser: SdkPage;

beforeAll(async () => {
  server = await new ResumableServer().start();
  store = new GcsStore({
    bucket: new Storage({ projectId: 'demo-callrec', apiEndpoint: server.url }).bucket(BUCKET),
    chunkSize: CHUNK_MULTIPLE,
  });
  browser = await openSdkPage(RUNNER);
});

afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

/** The same bytes the page generates. */
function pattern(size: number): Buffer {
  return Buffer.from(Uint8Array.from({ length: size }, (_, i) => (i * 7) % 251));
}

/** In the page: runs the SDK's ResumableUpload; resolves with its parts or its failure code. */
const RUNNER = `
  import { RecordingClient } from '/sdk/api-client.js';
  import { ResumableUpload } from '/sdk/resumable-upload.js';
  globalThis.runUpload = async (target, size) => {
    const retry = { policy: { maxAttempts: 3 }, sleep: async () => {} };
    const client = new RecordingClient({ serverUrl: 'http://127.0.0.1:9', token: 'unused', retry });
    const bytes = Uint8Array.from({ length: size }, (_, i) => (i * 7) % 251);
    const sink = new ResumableUpload({
      ...target,
      // The bytes the SDK would read back from its chunk journal.
      read: async (start, end) => new Blob([bytes.subarray(start, end)]),
      putChunk: (url, body, range) => client.putChunk(url, body, range),
      retry,
      onPartUploaded: () => {},
      onError: () => {},
    });
    for (let at = 0; at < size; at += 100000) sink.append(Math.min(100000, size - at));
    try {
      return { parts: await sink.finish() };
    } catch (error) {
      return { failed: error.code ?? String(error) };
    }
  };
  globalThis.sdkReady = true;
`;

type RunUpload = (target: UploadTarget, size: number) => Promise<unknown>;

function uploadInPage(target: UploadTarget, size: number) {
  return browser.page.evaluate(
    ({ target, size }) => (globalThis as unknown as { runUpload: RunUpload }).runUpload(target, size),
    { target, size },
  );
}

describe('resumable upload from Chromium', () => {
  it('uploads through a session opened for the page origin, reading 308 and Range', async () => {
    const key = 'rec1/tracks/video-1.webm';
    const { uploadId, target } = await store.createUpload(key, 'video/webm', browser.origin);
    const before = server.requests.length;
    expect(await uploadInPage(target, SIZE)).toEqual({ parts: [{ partNumber: 1, etag: 'resumable' }] });
    expect(server.object(BUCKET, key)?.equals(pattern(SIZE))).toBe(true);
    expect(server.requests.slice(before).map((r) => r.status)).toEqual([308, 308, 308, 200]);
    expect(await store.completeUpload(key, uploadId, [])).toEqual({ size: SIZE });
  });

  it('completes when a chunk response is lost, whatever Chromium replays', async () => {
    const key = 'rec2/tracks/video-1.webm';
    const { target } = await store.createUpload(key, 'video/webm', browser.origin);
    server.dropNextResponse = true;
    const before = server.requests.length;
    expect(await uploadInPage(target, SIZE)).toEqual({ parts: [{ partNumber: 1, etag: 'resumable' }] });
    expect(server.object(BUCKET, key)?.equals(pattern(SIZE))).toBe(true);
    expect(server.requests.slice(before)[0]?.status).toBe('dropped');
  });

  it('cannot use a session opened for another origin', async () => {
    const { target } = await store.createUpload('rec3/tracks/a.webm', 'audio/webm', 'http://other.test');
    expect(await uploadInPage(target, SIZE)).toEqual({ failed: 'network_error' });
    expect(server.object(BUCKET, 'rec3/tracks/a.webm')).toBeUndefined();
  });
});
