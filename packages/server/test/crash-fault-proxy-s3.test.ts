import { createHash, randomBytes } from 'node:crypto';
import type { S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createS3Client } from '../src/storage/s3-client.js';
import { S3_MIN_PART_SIZE, S3Store } from '../src/storage/s3-store.js';
import { type FaultProxy, startFaultProxy } from './support/fault-proxy.js';
import { createTestBucket, describeS3, dropTestBucket, uniqueName } from './support/s3-test-server.js';

const PARTS = 30;
const PART = 4096;

/** Retries 5xx like the SDK does; returns the part's ETag. */
async function putWithRetry(url: string, body: Uint8Array): Promise<string> {
  for (let attempt = 1; ; attempt++) {
    const res = await fetch(url, { method: 'PUT', body });
    await res.arrayBuffer();
    if (res.ok) return res.headers.get('etag') ?? '';
    if (res.status < 500 || attempt === 8) throw new Error(`PUT failed: ${res.status}`);
    await new Promise((resolve) => setTimeout(resolve, 2 ** attempt));
  }
}

describeS3('fault proxy in front of S3 (real RGW)', (settings) => {
  let client: S3Client;
  let store: S3Store;
  let proxy: FaultProxy;
  let viaProxy: S3Store;

  beforeAll(async () => {
    const created = await createTestBucket(settings);
    client = created.client;
    store = new S3Store({ client, bucket: created.bucket, partSize: S3_MIN_PART_SIZE });
    // The URLs are signed for the proxy's address, so it must pass the Host header on as it came.
    proxy = await startFaultProxy({
      target: settings.endpoint,
      failRatio: 0.1,
      seed: 42,
      preserveHost: true,
      match: (req) => req.method === 'PUT' && /[?&]partNumber=/.test(req.url ?? ''),
    });
    const proxyClient = createS3Client({ ...settings, endpoint: proxy.url, bucket: created.bucket });
    viaProxy = new S3Store({ client: proxyClient, bucket: created.bucket, partSize: S3_MIN_PART_SIZE });
  });

  afterAll(async () => {
    await proxy?.close();
    if (store) await dropTestBucket(client, store.bucket);
  });

  it('keeps SigV4 presigned part PUTs valid through the proxy; every part is stored once, bytes equal', async () => {
    const key = `${uniqueName('rec')}/tracks/t1.webm`;
    const { uploadId } = await store.createUpload(key, 'video/webm');
    const numbers = Array.from({ length: PARTS }, (_, i) => i + 1);
    const bodies = numbers.map(() => randomBytes(PART));
    for (const { partNumber, url } of await viaProxy.signParts(key, uploadId, numbers, 900)) {
      expect(new URL(url).origin).toBe(proxy.url);
      await putWithRetry(url, bodies[partNumber - 1] as Uint8Array);
    }
    expect(proxy.stats.failed).toBeGreaterThan(0);
    expect(proxy.stats.forwarded).toHaveLength(PARTS);
    const md5 = (b: Uint8Array) => `"${createHash('md5').update(b).digest('hex')}"`;
    expect(await store.listParts(key, uploadId)).toEqual(
      numbers.map((n) => ({ partNumber: n, etag: md5(bodies[n - 1] as Uint8Array), size: PART })),
    );
    await store.abortUpload(key, uploadId);
  });
});
