import { randomBytes } from 'node:crypto';
import { DeleteBucketCommand, type S3Client } from '@aws-sdk/client-s3';
import { describe, it } from 'vitest';
import { setupBucket } from '../../src/storage/s3-bucket-setup.js';
import { createS3Client, type S3Settings } from '../../src/storage/s3-client.js';
import { deleteUnderPrefix } from '../../src/storage/s3-prefix.js';

/** Set to 1 to skip the tests that need a real S3 server (they fail without one otherwise). */
export const S3_OPT_OUT = 'CALLREC_SKIP_S3_TESTS';

export type S3TestSettings = Required<Omit<S3Settings, 'bucket'>>;

function readEnv(env = process.env): S3TestSettings | string {
  const endpoint = env.CALLREC_TEST_S3_ENDPOINT;
  const accessKeyId = env.CALLREC_TEST_S3_ACCESS_KEY_ID;
  const secretAccessKey = env.CALLREC_TEST_S3_SECRET_ACCESS_KEY;
  if (!endpoint || !accessKeyId || !secretAccessKey) {
    return (
      'These tests need a real S3 server, and CALLREC_TEST_S3_ENDPOINT / _ACCESS_KEY_ID / _SECRET_ACCESS_KEY ' +
      'are not set. Start one with: eval "$(scripts/s3-server.sh start)"  (or set ' +
      `${S3_OPT_OUT}=1 to skip them).`
    );
  }
  return {
    endpoint,
    region: env.CALLREC_TEST_S3_REGION ?? 'us-east-1',
    credentials: { accessKeyId, secretAccessKey },
  };
}

/**
 * A describe block against the real server from scripts/s3-server.sh. Without its env it FAILS
 * with instructions (a silently skipped storage suite looks like a green one), unless opted out.
 */
export function describeS3(name: string, body: (settings: S3TestSettings) => void): void {
  if (process.env[S3_OPT_OUT] === '1') {
    // Skipped only on purpose: CALLREC_SKIP_S3_TESTS=1 is a local opt-out for machines without
    // RGW. scripts/test.sh (and so CI) never sets it, so there these suites always run.
    describe.skip(name, () => it(`needs an S3 server; skipped because ${S3_OPT_OUT}=1`, () => undefined));
    return;
  }
  const settings = readEnv();
  describe(name, () => {
    if (typeof settings === 'string') {
      it('has an S3 server to test against', () => {
        throw new Error(settings);
      });
      return;
    }
    body(settings);
  });
}

export function uniqueName(prefix: string): string {
  return `${prefix}-${randomBytes(5).toString('hex')}`;
}

/** A fresh bucket with the callrec CORS rules, so browser-style requests behave as in production. */
export async function createTestBucket(settings: S3TestSettings, origins = ['http://localhost:5173']) {
  const bucket = uniqueName('callrec-test');
  const client = createS3Client({ ...settings, bucket });
  await setupBucket(client, bucket, { corsOrigins: origins, abortIncompleteAfterDays: 1, create: true });
  return { bucket, client };
}

/** Empties and removes a test bucket. */
export async function dropTestBucket(client: S3Client, bucket: string): Promise<void> {
  await deleteUnderPrefix(client, bucket, '');
  await client.send(new DeleteBucketCommand({ Bucket: bucket }));
}
