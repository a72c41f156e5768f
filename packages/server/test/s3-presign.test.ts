import { S3Client, UploadPartCommand } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.js';
import { createStorage } from '../src/storage/index.js';
import { createS3Client } from '../src/storage/s3-client.js';
import { S3Store } from '../src/storage/s3-store.js';

// Unit tests: signing is local, no server involved.
const credentials = {
  accessKeyId: 'AKIDEXAMPLE',
  secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
};
const KEY = 'rec1/tracks/t1.webm';
const UPLOAD_ID = 'upload-123';

const checksumParams = (url: string) =>
  [...new URL(url).searchParams.keys()].filter((k) => /^x-amz-(checksum-|sdk-checksum-algorithm)/i.test(k));

describe('presigned UploadPart URLs (aws-sdk-js-v3#6994)', () => {
  const stores = {
    'an S3-compatible endpoint': createS3Client({
      bucket: 'b',
      endpoint: 'http://127.0.0.1:7480',
      credentials,
    }),
    'AWS itself': createS3Client({ bucket: 'b', region: 'eu-west-1', credentials }),
  };

  for (const [name, client] of Object.entries(stores)) {
    it(`carry no x-amz-checksum-* and no x-amz-sdk-checksum-algorithm for ${name}`, async () => {
      const store = new S3Store({ client, bucket: 'b', partSize: 8 * 1024 * 1024 });
      const parts = await store.signParts(KEY, UPLOAD_ID, [1, 2, 10_000], 900);
      expect(parts).toHaveLength(3);
      for (const part of parts) {
        expect(checksumParams(part.url)).toEqual([]);
        expect(part.headers).toBeUndefined();
      }
    });
  }

  it('are scoped to the key, upload id and part number, signed for host only, and expire in ≤ 900 s', async () => {
    const store = new S3Store({
      client: stores['an S3-compatible endpoint'],
      bucket: 'b',
      partSize: 8 * 1024 * 1024,
    });
    const [part] = await store.signParts(KEY, UPLOAD_ID, [7], 900);
    const url = new URL(part?.url ?? '');
    expect(url.pathname).toBe(`/b/${KEY}`); // path style
    expect(url.searchParams.get('uploadId')).toBe(UPLOAD_ID);
    expect(url.searchParams.get('partNumber')).toBe('7');
    expect(url.searchParams.get('X-Amz-Expires')).toBe('900');
    expect(url.searchParams.get('X-Amz-SignedHeaders')).toBe('host');
    await expect(store.signParts(KEY, UPLOAD_ID, [1], 901)).rejects.toThrow(/1\.\.900/);
  });

  it('would carry the checksum with the SDK defaults (this test can see the bug)', async () => {
    // The SDK's default, spelled out so that env (AWS_REQUEST_CHECKSUM_CALCULATION) cannot change it.
    const defaults = new S3Client({
      region: 'us-east-1',
      credentials,
      requestChecksumCalculation: 'WHEN_SUPPORTED',
    });
    const command = new UploadPartCommand({ Bucket: 'b', Key: KEY, UploadId: UPLOAD_ID, PartNumber: 1 });
    const url = await getSignedUrl(defaults, command, { expiresIn: 60 });
    expect(checksumParams(url).length).toBeGreaterThan(0);
  });
});

describe('the S3 client', () => {
  it('uses path style and WHEN_REQUIRED checksums with an endpoint', async () => {
    const client = createS3Client({ bucket: 'b', endpoint: 'http://127.0.0.1:7480', credentials });
    expect(client.config.forcePathStyle).toBe(true);
    expect(await client.config.requestChecksumCalculation()).toBe('WHEN_REQUIRED');
    expect(await client.config.responseChecksumValidation()).toBe('WHEN_REQUIRED');
    expect(await client.config.region()).toBe('us-east-1');
  });

  it('refuses parts under 5 MiB', () => {
    const client = createS3Client({ bucket: 'b', endpoint: 'http://127.0.0.1:7480', credentials });
    expect(() => new S3Store({ client, bucket: 'b', partSize: 1024 * 1024 })).toThrow(/at least 5242880/);
  });

  it('is what RECORDING_STORAGE_PROVIDER=aws gives the server', async () => {
    const config = loadConfig({
      RECORDING_DEV: '1',
      RECORDING_STORAGE_PROVIDER: 'aws',
      RECORDING_STORAGE_BUCKET: 'recs',
      RECORDING_STORAGE_ENDPOINT: 'http://127.0.0.1:7480',
    });
    const storage = await createStorage(config);
    expect(storage).toBeInstanceOf(S3Store);
    expect(storage.location('rec1/composite.webm')).toBe('s3://recs/rec1/composite.webm');
  });
});
