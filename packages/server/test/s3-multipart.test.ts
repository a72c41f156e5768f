import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ApiError } from '../src/errors.js';
import { S3_MIN_PART_SIZE, S3Store } from '../src/storage/s3-store.js';
import { createTestBucket, describeS3, dropTestBucket, uniqueName } from './support/s3-test-server.js';

const MiB = 1024 * 1024;

async function put(url: string, body: Uint8Array): Promise<Response> {
  return fetch(url, { method: 'PUT', body, headers: { Origin: 'http://localhost:5173' } });
}

describeS3('S3 multipart uploads through presigned URLs (real RGW)', (settings) => {
  let client: S3Client;
  let store: S3Store;
  let dir: string;

  beforeAll(async () => {
    const created = await createTestBucket(settings);
    client = created.client;
    store = new S3Store({ client, bucket: created.bucket, partSize: S3_MIN_PART_SIZE });
    dir = await mkdtemp(join(tmpdir(), 'callrec-s3-'));
  });

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
    if (store) await dropTestBucket(client, store.bucket);
  });

  const newKey = () => `${uniqueName('rec')}/tracks/t1.webm`;

  it('round-trips a track: parts PUT by fetch in any order, listParts, complete, bytes read back equal', async () => {
    const key = newKey();
    const { uploadId, target } = await store.createUpload(key, 'video/webm');
    expect(target).toEqual({ type: 'multipart', partSize: 5 * MiB, minPartSize: 5 * MiB, maxParts: 10_000 });
    const bodies = [randomBytes(5 * MiB), randomBytes(5 * MiB), randomBytes(123_457)];
    const urls = await store.signParts(key, uploadId, [1, 2, 3], 900);
    expect(urls.map((u) => u.partNumber)).toEqual([1, 2, 3]);

    const etags = new Map<number, string>();
    for (const index of [2, 0, 1]) {
      const res = await put(urls[index]?.url ?? '', bodies[index] ?? new Uint8Array());
      expect(res.status).toBe(200);
      expect(res.headers.get('access-control-expose-headers')).toMatch(/etag/i);
      const etag = res.headers.get('etag');
      expect(etag).toBe(
        `"${createHash('md5')
          .update(bodies[index] ?? '')
          .digest('hex')}"`,
      );
      etags.set(index + 1, etag ?? '');
    }

    const listed = await store.listParts(key, uploadId);
    expect(listed).toEqual(
      [1, 2, 3].map((n) => ({ partNumber: n, etag: etags.get(n), size: bodies[n - 1]?.byteLength })),
    );

    const parts = [3, 1, 2].map((n) => ({ partNumber: n, etag: etags.get(n) ?? '' }));
    const total = bodies.reduce((sum, b) => sum + b.byteLength, 0);
    expect(await store.completeUpload(key, uploadId, parts)).toEqual({ size: total });
    expect(await store.size(key)).toBe(total);

    const local = join(dir, 'roundtrip.webm');
    await store.download(key, local);
    expect((await readFile(local)).equals(Buffer.concat(bodies))).toBe(true);
  });

  it('refuses a presigned URL whose signature was tampered with (403)', async () => {
    const key = newKey();
    const { uploadId } = await store.createUpload(key, 'video/webm');
    const [signed] = await store.signParts(key, uploadId, [1], 900);
    const url = new URL(signed?.url ?? '');
    const signature = url.searchParams.get('X-Amz-Signature') ?? '';
    url.searchParams.set('X-Amz-Signature', `${signature[0] === 'a' ? 'b' : 'a'}${signature.slice(1)}`);

    expect((await put(url.toString(), randomBytes(1024))).status).toBe(403);
    expect(await store.listParts(key, uploadId)).toEqual([]);
    await store.abortUpload(key, uploadId);
  });

  it('refuses an expired presigned URL (403)', async () => {
    const key = newKey();
    const { uploadId } = await store.createUpload(key, 'video/webm');
    const [signed] = await store.signParts(key, uploadId, [1], 1);
    await new Promise((resolve) => setTimeout(resolve, 2_500));

    expect((await put(signed?.url ?? '', randomBytes(1024))).status).toBe(403);
    expect(await store.listParts(key, uploadId)).toEqual([]);
    await store.abortUpload(key, uploadId);
  });

  it('signs only 1..900 s and part numbers 1..10000', async () => {
    const key = newKey();
    await expect(store.signParts(key, 'u', [1], 901)).rejects.toThrow(/1\.\.900/);
    await expect(store.signParts(key, 'u', [0], 60)).rejects.toMatchObject({ code: 'invalid_part_number' });
    await expect(store.signParts(key, 'u', [10_001], 60)).rejects.toMatchObject({
      code: 'invalid_part_number',
    });
  });

  it('refuses to complete when a non-last part is under 5 MiB (EntityTooSmall → 400 part_too_small)', async () => {
    const key = newKey();
    const { uploadId } = await store.createUpload(key, 'video/webm');
    const urls = await store.signParts(key, uploadId, [1, 2], 60);
    const parts = [];
    for (const [i, body] of [randomBytes(1 * MiB), randomBytes(1024)].entries()) {
      const res = await put(urls[i]?.url ?? '', body);
      parts.push({ partNumber: i + 1, etag: res.headers.get('etag') ?? '' });
    }

    const refused = await store.completeUpload(key, uploadId, parts).catch((err: unknown) => err);
    expect(refused).toBeInstanceOf(ApiError);
    expect(refused).toMatchObject({
      status: 400,
      code: 'part_too_small',
      details: { storageCode: 'EntityTooSmall' },
    });
    expect(await store.size(key)).toBeUndefined();
    await store.abortUpload(key, uploadId);
  });

  it('refuses to complete with an ETag storage does not hold (InvalidPart → 409 part_mismatch)', async () => {
    const key = newKey();
    const { uploadId } = await store.createUpload(key, 'video/webm');
    const [signed] = await store.signParts(key, uploadId, [1], 60);
    await put(signed?.url ?? '', randomBytes(1024));

    const wrong = [{ partNumber: 1, etag: `"${'0'.repeat(32)}"` }];
    await expect(store.completeUpload(key, uploadId, wrong)).rejects.toMatchObject({
      status: 409,
      code: 'part_mismatch',
    });
    await store.abortUpload(key, uploadId);
  });

  it('aborts an upload: its parts are gone, a second abort is a no-op', async () => {
    const key = newKey();
    const { uploadId } = await store.createUpload(key, 'video/webm');
    const [signed] = await store.signParts(key, uploadId, [1], 60);
    expect((await put(signed?.url ?? '', randomBytes(2048))).status).toBe(200);
    expect(await store.listParts(key, uploadId)).toHaveLength(1);

    await store.abortUpload(key, uploadId);
    await expect(store.listParts(key, uploadId)).rejects.toMatchObject({
      status: 404,
      code: 'upload_not_found',
    });
    await store.abortUpload(key, uploadId);
    // A URL signed before the abort no longer stores anything.
    expect((await put(signed?.url ?? '', randomBytes(16))).status).toBe(404);
  });
});
