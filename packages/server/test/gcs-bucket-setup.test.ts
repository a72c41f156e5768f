import { execFile } from 'node:child_process';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gcsBucketMetadata, isKmsKeyName, setupGcsBucket } from '../src/storage/gcs-bucket-setup.js';
import { StorageError } from '../src/storage/storage-error.js';
import {
  type GcsEmulator,
  MISSING_BUCKET_PREFIX,
  PROJECT_ID,
  startGcsEmulator,
} from './support/gcs-emulator.js';

const CLI = fileURLToPath(new URL('../src/cli/setup-bucket.ts', import.meta.url));
const ORIGIN = 'https://app.example.com';
const KEY = 'projects/p1/locations/europe/keyRings/callrec/cryptoKeys/recordings';

describe('GCS bucket metadata (unit)', () => {
  it('asks for browser CORS, both lifecycle rules and a default KMS key', () => {
    expect(
      gcsBucketMetadata({
        corsOrigins: [ORIGIN, 'https://b.example.com'],
        expireAfterDays: 30,
        abortIncompleteAfterDays: 2,
        encryption: { type: 'kms', kmsKeyName: KEY },
      }),
    ).toEqual({
      cors: [
        {
          origin: [ORIGIN, 'https://b.example.com'],
          method: ['PUT', 'GET', 'HEAD', 'OPTIONS'],
          responseHeader: ['Content-Range', 'Range', 'Content-Type', 'x-goog-resumable', 'ETag'],
          maxAgeSeconds: 3600,
        },
      ],
      lifecycle: {
        rule: [
          { action: { type: 'AbortIncompleteMultipartUpload' }, condition: { age: 2 } },
          { action: { type: 'Delete' }, condition: { age: 30 } },
        ],
      },
      encryption: { defaultKmsKeyName: KEY },
    });
  });

  it('keeps objects without --expire-days, leaves encryption alone, and clears the key for Google-managed', () => {
    const plain = gcsBucketMetadata({ corsOrigins: ['*'], abortIncompleteAfterDays: 1 });
    expect(plain.lifecycle).toEqual({
      rule: [{ action: { type: 'AbortIncompleteMultipartUpload' }, condition: { age: 1 } }],
    });
    expect(plain).not.toHaveProperty('encryption');
    const managed = gcsBucketMetadata({
      corsOrigins: ['*'],
      abortIncompleteAfterDays: 1,
      encryption: { type: 'google-managed' },
    });
    expect(managed.encryption).toBeNull();
  });

  it('accepts only full Cloud KMS key names', () => {
    expect(isKmsKeyName(KEY)).toBe(true);
    for (const bad of ['alias/aws/s3', 'recordings', `${KEY}/cryptoKeyVersions/1`, `/${KEY}`]) {
      expect(isKmsKeyName(bad), bad).toBe(false);
      expect(() =>
        gcsBucketMetadata({
          corsOrigins: ['*'],
          abortIncompleteAfterDays: 1,
          encryption: { type: 'kms', kmsKeyName: bad },
        }),
      ).toThrow(/Not a Cloud KMS key name/);
    }
  });
});

/**
 * The Firebase Storage emulator has no bucket resource: buckets.get is routed to its object
 * download (404 "No such object"), buckets.insert and buckets.patch answer 501. So these tests
 * check that each refusal arrives as a StorageError naming the bucket and the call; whether the
 * patch is accepted by GCS is covered only by the unit test of the metadata above.
 */
describe('GCS bucket setup against the Firebase Storage emulator', () => {
  let emulator: GcsEmulator;
  const options = { corsOrigins: [ORIGIN], expireAfterDays: 30, abortIncompleteAfterDays: 1 };

  beforeAll(async () => {
    emulator = await startGcsEmulator();
    // The emulator makes a bucket when an object is first written into it.
    await emulator.storage().bucket('callrec-setup').file('seed.txt').save('seed');
  });

  afterAll(async () => {
    await emulator?.stop();
  });

  const failure = (bucket: string, create = false) =>
    setupGcsBucket(emulator.storage().bucket(bucket), { ...options, create }).then(
      () => expect.fail('the emulator accepted a bucket call it does not implement'),
      (err: unknown) => err,
    );

  it('names setBucketMetadata when the emulator refuses the patch (501: not implemented)', async () => {
    const err = await failure('callrec-setup');
    expect(err).toBeInstanceOf(StorageError);
    expect(err).toMatchObject({ provider: 'gcp', bucket: 'callrec-setup', operation: 'setBucketMetadata' });
    expect(err).toMatchObject({ code: 'HTTP_501', status: 501 });
  });

  it('names createBucket when --create finds no bucket and the emulator cannot make one', async () => {
    const err = await failure('callrec-setup-new', true);
    expect(err).toBeInstanceOf(StorageError);
    expect(err).toMatchObject({ bucket: 'callrec-setup-new', operation: 'createBucket', status: 501 });
  });

  it('reports a missing bucket as NoSuchBucket', async () => {
    const bucket = `${MISSING_BUCKET_PREFIX}recordings`;
    const err = await failure(bucket);
    expect(err).toBeInstanceOf(StorageError);
    expect(err).toMatchObject({ bucket, operation: 'setBucketMetadata', code: 'NoSuchBucket', status: 404 });
  });

  describe('the setup-bucket CLI with RECORDING_STORAGE_PROVIDER=gcp', () => {
    const run = async (bucket: string, args: string[], env: Record<string, string> = {}) => {
      const { GOOGLE_APPLICATION_CREDENTIALS: _ignored, ...inherited } = process.env;
      const childEnv = {
        ...inherited,
        RECORDING_STORAGE_PROVIDER: 'gcp',
        RECORDING_STORAGE_BUCKET: bucket,
        STORAGE_EMULATOR_HOST: emulator.host,
        GOOGLE_CLOUD_PROJECT: PROJECT_ID,
        ...env,
      };
      return promisify(execFile)(process.execPath, ['--import', 'tsx', CLI, ...args], { env: childEnv }).then(
        ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
        (err: { code: number; stdout: string; stderr: string }) => err,
      );
    };
    const noStack = (stderr: string) => expect(stderr).not.toMatch(/^\s+at /m);

    it('reports storage errors in one line with exit code 1', async () => {
      const port = await closedPort();
      const [missing, refused, down] = await Promise.all([
        run(`${MISSING_BUCKET_PREFIX}cli`, ['--origin', ORIGIN]),
        run('callrec-setup', ['--origin', ORIGIN, '--expire-days', '7']),
        run('callrec-setup', [], { STORAGE_EMULATOR_HOST: `http://127.0.0.1:${port}` }),
      ]);
      for (const out of [missing, refused, down]) {
        expect(out.code).toBe(1);
        expect(out.stderr.trim().split('\n')).toHaveLength(1);
        noStack(out.stderr);
      }
      expect(missing.stderr).toMatch(
        /^setup-bucket: gcp storage: setBucketMetadata failed on bucket "missing-cli": NoSuchBucket, HTTP 404 \(/,
      );
      expect(refused.stderr).toContain('setBucketMetadata failed on bucket "callrec-setup": HTTP_501');
      expect(down.stderr).toContain('setBucketMetadata failed on bucket "callrec-setup": ECONNREFUSED');
    });

    it('reports usage errors with the usage text and exit code 2', async () => {
      const [noKey, badKey, local] = await Promise.all([
        run('callrec-setup', ['--encryption', 'aws:kms']),
        run('callrec-setup', ['--encryption', 'aws:kms', '--kms-key-id', 'alias/aws/s3']),
        run('callrec-setup', [], { RECORDING_STORAGE_PROVIDER: 'local' }),
      ]);
      for (const out of [noKey, badKey, local]) {
        expect(out.code).toBe(2);
        expect(out.stderr).toContain('usage: setup-bucket');
        noStack(out.stderr);
      }
      expect(noKey.stderr).toContain('for gcp, --encryption aws:kms needs --kms-key-id projects/');
      expect(badKey.stderr).toContain('for gcp, --encryption aws:kms needs --kms-key-id projects/');
      expect(local.stderr).toContain('RECORDING_STORAGE_PROVIDER must be aws or gcp');
    });
  });
});

/** A loopback port that was just free: nothing listens there, so connecting is refused. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
