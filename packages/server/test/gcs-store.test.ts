import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.js';
import { READ_URL_TTL_SECONDS } from '../src/recording/info.js';
import { GcsStore } from '../src/storage/gcs-store.js';
import { createStorage } from '../src/storage/index.js';
import { StorageError } from '../src/storage/storage-error.js';
import { type GcsEmulator, MISSING_BUCKET_PREFIX, startGcsEmulator } from './support/gcs-emulator.js';

const BUCKET = 'callrec-test';
const KiB = 1024;
let emulator: GcsEmulator;
let store: GcsStore;
let dir: string;

beforeAll(async () => {
  emulator = await startGcsEmulator();
  store = new GcsStore({ bucket: emulator.storage().bucket(BUCKET), chunkSize: 256 * KiB });
  dir = await mkdtemp(join(tmpdir(), 'callrec-gcs-'));
});

afterAll(async () => {
  await emulator?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function localFile(name: string, size: number): Promise<{ path: string; bytes: Buffer }> {
  const bytes = randomBytes(size);
  const path = join(dir, name);
  await writeFile(path, bytes);
  return { path, bytes };
}

describe('GcsStore against the Firebase Storage emulator', () => {
  it('uploads and downloads files byte for byte, and reports their size', async () => {
    for (const [name, size] of [
      ['small.webm', 300 * KiB],
      ['large.webm', 6 * 1024 * KiB],
    ] as const) {
      const { path, bytes } = await localFile(name, size);
      const key = `rec1/participants/${name}`;
      await store.upload(path, key, 'video/webm');
      expect(await store.size(key)).toBe(size);
      const copy = join(dir, `copy-${name}`);
      await store.download(key, copy);
      expect((await readFile(copy)).equals(bytes)).toBe(true);
    }
    expect(await store.size('rec1/participants/none.webm')).toBeUndefined();
    expect(store.location('rec1/composite.webm')).toBe(`gs://${BUCKET}/rec1/composite.webm`);
  });

  it('signs a V4 read URL that serves the object, with Range', async () => {
    const { path, bytes } = await localFile('thumb.jpg', 4 * KiB);
    await store.upload(path, 'rec2/thumbnails/0.jpg', 'image/jpeg');
    // The lifetime recording info asks for: playback URLs outlive the 15-minute upload URLs.
    const url = await store.signRead('rec2/thumbnails/0.jpg', READ_URL_TTL_SECONDS);
    expect(url).toContain('X-Goog-Algorithm=GOOG4-RSA-SHA256');
    expect(url.startsWith(`${emulator.host}/${BUCKET}/rec2/thumbnails/0.jpg?`)).toBe(true);
    const whole = await fetch(url);
    expect(whole.status).toBe(200);
    expect(Buffer.from(await whole.arrayBuffer()).equals(bytes)).toBe(true);
    const part = await fetch(url, { headers: { Range: 'bytes=10-19' } });
    expect(part.status).toBe(206);
    expect(Buffer.from(await part.arrayBuffer()).equals(bytes.subarray(10, 20))).toBe(true);
    await expect(store.signRead('rec2/thumbnails/0.jpg', 604_801)).rejects.toThrow(/1\.\.604800/);
  });

  it('deletes everything under a prefix and nothing beside it', async () => {
    const { path } = await localFile('x.webm', KiB);
    for (const key of [
      'rec3/tracks/a.webm',
      'rec3/participants/p.webm',
      'rec3/composite.webm',
      'rec33/composite.webm',
    ]) {
      await store.upload(path, key, 'video/webm');
    }
    await store.deletePrefix('rec3');
    const [left] = await emulator.storage().bucket(BUCKET).getFiles({ prefix: 'rec3' });
    expect(left.map((f) => f.name)).toEqual(['rec33/composite.webm']);
    await expect(store.deletePrefix('../etc')).rejects.toMatchObject({ code: 'invalid_key' });
  });

  it('opens a resumable session whose final PUT creates the object, then completes it', async () => {
    const key = 'rec4/tracks/v1.webm';
    const { uploadId, target } = await store.createUpload(key, 'video/webm', 'http://app.test');
    expect(target).toEqual({
      type: 'resumable',
      url: uploadId,
      chunkSize: 256 * KiB,
      chunkMultiple: 256 * KiB,
    });
    await expect(store.completeUpload(key, uploadId, [])).rejects.toMatchObject({
      status: 409,
      code: 'upload_incomplete',
    });
    // The emulator finalizes on the first PUT, so the browser's whole upload is one final chunk here.
    const bytes = randomBytes(1000);
    const put = await fetch(uploadId, {
      method: 'PUT',
      headers: { 'Content-Range': 'bytes 0-999/1000' },
      body: bytes,
    });
    expect(put.status).toBe(200);
    expect(await store.completeUpload(key, uploadId, [{ partNumber: 1, etag: 'resumable' }])).toEqual({
      size: 1000,
    });
    const [metadata] = await emulator.storage().bucket(BUCKET).file(key).getMetadata();
    expect(metadata.contentType).toBe('video/webm');
    await expect(store.signParts()).rejects.toMatchObject({ status: 409, code: 'upload_not_multipart' });
  });

  it('names the bucket and the operation when the bucket does not exist', async () => {
    const bucket = `${MISSING_BUCKET_PREFIX}recordings`;
    const missing = new GcsStore({ bucket: emulator.storage().bucket(bucket) });
    const { path } = await localFile('y.webm', KiB);
    for (const [operation, call] of [
      ['upload', () => missing.upload(path, 'rec5/composite.webm', 'video/webm')],
      ['getMetadata', () => missing.size('rec5/composite.webm')],
      [
        'createResumableUpload',
        () => missing.createUpload('rec5/tracks/a.webm', 'video/webm', 'http://app.test'),
      ],
      ['deleteFiles', () => missing.deletePrefix('rec5/')],
    ] as const) {
      const error = await call().then(
        () => undefined,
        (err: unknown) => err,
      );
      expect(error, operation).toBeInstanceOf(StorageError);
      expect(error).toMatchObject({ provider: 'gcp', bucket, operation, code: 'NoSuchBucket', status: 404 });
      expect((error as Error).message).toContain(`gcp storage: ${operation} failed on bucket "${bucket}"`);
    }
  });

  it('is the gcp provider of the factory, configured from the environment', async () => {
    process.env.STORAGE_EMULATOR_HOST = emulator.host;
    try {
      const config = loadConfig({
        RECORDING_STORAGE_PROVIDER: 'gcp',
        RECORDING_STORAGE_BUCKET: BUCKET,
        RECORDING_DEV: '1',
      });
      const fromEnv = await createStorage(config);
      expect(fromEnv).toBeInstanceOf(GcsStore);
      expect(fromEnv).toMatchObject({ provider: 'gcp', bucket: BUCKET });
      expect(await fromEnv.size('rec1/participants/small.webm')).toBe(300 * KiB);
      // Without a key the library cannot sign; the emulator's unsigned URL form serves instead.
      const url = await fromEnv.signRead('rec2/thumbnails/0.jpg', 60);
      expect(url).toBe(`${emulator.host}/${BUCKET}/rec2/thumbnails/0.jpg`);
      expect((await fetch(url)).status).toBe(200);
      await expect(createStorage({ ...config, partSize: 300_000 })).rejects.toThrow(/multiple of 262144/);
    } finally {
      delete process.env.STORAGE_EMULATOR_HOST;
    }
  });
});
