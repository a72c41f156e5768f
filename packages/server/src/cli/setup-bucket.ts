#!/usr/bin/env -S npx tsx
/**
 * Prepares an S3 bucket for callrec: CORS for browser uploads (ETag exposed), a lifecycle rule
 * aborting abandoned multipart uploads (and optionally expiring recordings), default encryption.
 *
 *   RECORDING_STORAGE_BUCKET=recordings npx tsx packages/server/src/cli/setup-bucket.ts \
 *     --origin https://app.example.com --expire-days 30 --abort-days 1 --encryption AES256
 *
 * Reads RECORDING_STORAGE_BUCKET, RECORDING_STORAGE_REGION, RECORDING_STORAGE_ENDPOINT,
 * RECORDING_CORS_ORIGINS (when no --origin is given; default `*`) and the AWS SDK's credentials
 * (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, profiles).
 */
import { parseArgs } from 'node:util';
import { ApiError } from '../errors.js';
import { BUCKET_SETUP_DEFAULTS, type BucketEncryption, setupBucket } from '../storage/s3-bucket-setup.js';
import { createS3Client } from '../storage/s3-client.js';
import { StorageError } from '../storage/storage-error.js';

const USAGE = `usage: setup-bucket [--origin URL]... [--expire-days N] [--abort-days N]
                    [--encryption AES256|aws:kms] [--kms-key-id ID] [--create]`;

class UsageError extends Error {}

function parse(argv: string[], env: NodeJS.ProcessEnv) {
  const { values } = parseArgs({
    args: argv,
    options: {
      origin: { type: 'string', multiple: true },
      'expire-days': { type: 'string' },
      'abort-days': { type: 'string' },
      encryption: { type: 'string' },
      'kms-key-id': { type: 'string' },
      create: { type: 'boolean', default: false },
    },
  });
  const bucket = env.RECORDING_STORAGE_BUCKET?.trim();
  if (!bucket) throw new UsageError('RECORDING_STORAGE_BUCKET is not set');
  const origins = values.origin ?? (env.RECORDING_CORS_ORIGINS ?? '*').split(',').map((o) => o.trim());
  return {
    bucket,
    settings: { bucket, region: env.RECORDING_STORAGE_REGION, endpoint: env.RECORDING_STORAGE_ENDPOINT },
    options: {
      corsOrigins: origins,
      expireAfterDays: days(values['expire-days'], '--expire-days'),
      abortIncompleteAfterDays:
        days(values['abort-days'], '--abort-days') ?? BUCKET_SETUP_DEFAULTS.abortIncompleteAfterDays,
      encryption: encryption(values.encryption, values['kms-key-id']),
      create: values.create,
    },
  };
}

function days(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  if (!/^[1-9]\d{0,4}$/.test(value)) throw new UsageError(`${flag} must be a whole number of days ≥ 1`);
  return Number(value);
}

function encryption(
  algorithm: string | undefined,
  kmsKeyId: string | undefined,
): BucketEncryption | undefined {
  if (algorithm === undefined) {
    if (kmsKeyId) throw new UsageError('--kms-key-id needs --encryption aws:kms');
    return undefined;
  }
  if (algorithm === 'AES256' && !kmsKeyId) return { algorithm };
  if (algorithm === 'aws:kms') return kmsKeyId ? { algorithm, kmsKeyId } : { algorithm };
  throw new UsageError('--encryption must be AES256 or aws:kms (--kms-key-id only with aws:kms)');
}

async function main(): Promise<number> {
  try {
    const { bucket, settings, options } = parse(process.argv.slice(2), process.env);
    await setupBucket(createS3Client(settings), bucket, options);
    console.log(
      `bucket "${bucket}" ready: CORS for ${options.corsOrigins.join(', ')} (ETag exposed), ` +
        `abort unfinished uploads after ${options.abortIncompleteAfterDays} d, ` +
        `${options.expireAfterDays ? `expire objects after ${options.expireAfterDays} d` : 'objects kept'}, ` +
        `encryption ${options.encryption?.algorithm ?? 'unchanged'}`,
    );
    return 0;
  } catch (err) {
    if (err instanceof StorageError || err instanceof ApiError) {
      console.error(`setup-bucket: ${err.message}`);
      return 1;
    }
    const parseError =
      err instanceof TypeError && 'code' in err && String(err.code).startsWith('ERR_PARSE_ARGS');
    if (err instanceof UsageError || parseError) {
      console.error(`setup-bucket: ${(err as Error).message}\n${USAGE}`);
      return 2;
    }
    throw err;
  }
}

process.exitCode = await main();
