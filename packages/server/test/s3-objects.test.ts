import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ListMultipartUploadsCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { READ_URL_TTL_SECONDS } from '../src/recording/info.js';
import { createS3Client } from '../src/storage/s3-client.js';
import { S3_MIN_PART_SIZE, S3Store } from '../src/storage/s3-store.js';
import { StorageError } from '../src/storage/storage-error.js';
import { createTestBucket, describeS3, dropTestBucket, uniqueName } from './support/s3-test-server.js';

describeS3('S3 objects, deletePrefix and errors (real RGW)', (settings) => {
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

  async function localFile(name: string, bytes: number): Promise<{ path: string; body: Buffer }> {
    const body = randomBytes(bytes);
    const path = join(dir, name);
    await writeFile(path, body);
    return { path, body };
  }

  it('uploads a file as a stream, reports its size, downloads it, signs a read URL that serves ranges', async () => {
    const key = `${uniqueName('rec')}/composite.webm`;
    const { path, body } = await localFile('composite.webm', 300_001);
    expect(await store.size(key)).toBeUndefined();

    await store.upload(path, key, 'video/webm');
    expect(await store.size(key)).toBe(body.byteLength);
    expect(store.location(key)).toBe(`s3://${store.bucket}/${key}`);

    const copy = join(dir, 'copy.webm');
    await store.download(key, copy);
    expect((await readFile(copy)).equals(body)).toBe(true);

    // The lifetime recording info asks for: playback URLs outlive the 15-minute upload URLs.
    const url = await store.signRead(key, READ_URL_TTL_SECONDS);
    const whole = await fetch(url);
    expect(whole.status).toBe(200);
    expect(whole.headers.get('content-type')).toBe('video/webm');
    expect(Buffer.from(await whole.arrayBuffer()).equals(body)).toBe(true);
    const range = await fetch(url, { headers: { Range: 'bytes=100-199' } });
    expect(range.status).toBe(206);
    expect(Buffer.from(await range.arrayBuffer()).equals(body.subarray(100, 200))).toBe(true);
  });

  it('fails a download of a missing object with a StorageError and leaves no partial file', async () => {
    const key = `${uniqueName('rec')}/missing.webm`;
    const target = join(dir, 'missing.webm');
    const err = await store.download(key, target).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StorageError);
    expect(err).toMatchObject({ operation: 'getObject', code: 'NoSuchKey', status: 404, key });
    await expect(readFile(target)).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('deletePrefix removes every object and unfinished upload under the recording, and nothing else', async () => {
    const rid = uniqueName('rec');
    const neighbour = `${rid}x`; // shares the text prefix, is another recording
    const { path } = await localFile('thumb.jpg', 2048);
    for (const key of [`${rid}/composite.webm`, `${rid}/thumbnails/0.jpg`, `${neighbour}/composite.webm`]) {
      await store.upload(path, key, 'image/jpeg');
    }
    const withPart = await store.createUpload(`${rid}/tracks/a.webm`, 'video/webm');
    const [signed] = await store.signParts(`${rid}/tracks/a.webm`, withPart.uploadId, [1], 60);
    expect((await fetch(signed?.url ?? '', { method: 'PUT', body: randomBytes(1024) })).status).toBe(200);
    await store.createUpload(`${rid}/tracks/b.webm`, 'video/webm');

    await store.deletePrefix(`${rid}/`);

    const objects = await client.send(new ListObjectsV2Command({ Bucket: store.bucket, Prefix: `${rid}/` }));
    expect(objects.Contents ?? []).toEqual([]);
    const uploads = await client.send(
      new ListMultipartUploadsCommand({ Bucket: store.bucket, Prefix: `${rid}/` }),
    );
    expect(uploads.Uploads ?? []).toEqual([]);
    expect(await store.size(`${neighbour}/composite.webm`)).toBe(2048);
    await store.deletePrefix(`${rid}/`); // nothing left: still fine
    await expect(store.deletePrefix('')).rejects.toMatchObject({ code: 'invalid_key' });
  });

  it('names the bucket and the operation when the bucket does not exist', async () => {
    const bucket = uniqueName('callrec-missing');
    const missing = new S3Store({
      client: createS3Client({ ...settings, bucket }),
      bucket,
      partSize: S3_MIN_PART_SIZE,
    });
    const err = await missing.createUpload('rec1/tracks/t.webm', 'video/webm').catch((e: unknown) => e);

    expect(err).toBeInstanceOf(StorageError);
    expect(err).toMatchObject({
      provider: 'aws',
      bucket,
      operation: 'createMultipartUpload',
      code: 'NoSuchBucket',
    });
    expect((err as Error).message).toContain(`bucket "${bucket}"`);
    expect((err as Error).message).toContain('createMultipartUpload');
    expect((err as Error).message).toContain('NoSuchBucket');
  });

  it('names the bucket and the operation for bad credentials and for an endpoint that is down', async () => {
    const { path } = await localFile('creds.bin', 16);
    const wrongKey = createS3Client({
      ...settings,
      bucket: store.bucket,
      credentials: { accessKeyId: 'nobody', secretAccessKey: 'x' },
    });
    await expect(
      new S3Store({ client: wrongKey, bucket: store.bucket, partSize: S3_MIN_PART_SIZE }).upload(
        path,
        'rec1/a.bin',
        'application/octet-stream',
      ),
    ).rejects.toMatchObject({
      name: 'StorageError',
      operation: 'putObject',
      code: 'InvalidAccessKeyId',
      message: expect.stringContaining('AWS_ACCESS_KEY_ID'),
    });

    // Port 9 (discard) has no listener here; the SDK retries, then gives up.
    const down = createS3Client({ ...settings, endpoint: 'http://127.0.0.1:9', bucket: store.bucket });
    const err = await new S3Store({ client: down, bucket: store.bucket, partSize: S3_MIN_PART_SIZE })
      .listParts('rec1/tracks/t.webm', 'u1')
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StorageError);
    expect(err).toMatchObject({
      bucket: store.bucket,
      operation: 'listParts',
      code: 'ECONNREFUSED',
      status: undefined,
    });
    expect((err as Error).message).toContain('RECORDING_STORAGE_ENDPOINT');
  });
});
