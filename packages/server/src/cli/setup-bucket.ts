#!/usr/bin/env -S npx tsx
/**
 * Prepares an S3 or GCS bucket for callrec: CORS for browser uploads (ETag exposed; for GCS also
 * Range and x-goog-resumable), a lifecycle rule aborting abandoned multipart uploads (and optionally
 * expiring recordings), default encryption.
 *
 *   RECORDING_STORAGE_BUCKET=recordings npx tsx packages/server/src/cli/setup-bucket.ts \
 *     --origin https://app.example.com --expire-days 30 --abort-days 1 --encryption AES256
 *
 * Reads RECORDING_STORAGE_PROVIDER (`aws`, the default here, or `gcp`), RECORDING_STORAGE_BUCKET,
 * RECORDING_STORAGE_REGION (for GCS: the location of a bucket made by --create),
 * RECORDING_STORAGE_ENDPOINT (S3 only), RECORDING_CORS_ORIGINS (when no --origin is given; default
 * `*`) and the SDKs' credentials (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, profiles;
 * GOOGLE_APPLICATION_CREDENTIALS, GOOGLE_CLOUD_PROJECT for --create, STORAGE_EMULATOR_HOST).
 * For GCS, `--encryption aws:kms --kms-key-id projects/…/cryptoKeys/K` sets the bucket's default
 * KMS key, and `--encryption AES256` goes back to Google-managed keys.
 */
import { parseArgs } from 'node:util';
import { Storage } from '@google-cloud/storage';
import { ApiError } from '../errors.js';
import { type GcsBucketEncryption, isKmsKeyName, setupGcsBucket } from '../storage/gcs-bucket-setup.js';
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
  const provider = env.RECORDING_STORAGE_PROVIDER?.trim() || 'aws';
  if (provider !== 'aws' && provider !== 'gcp') {
    throw new UsageError(`RECORDING_STORAGE_PROVIDER must be aws or gcp for bucket setup, got "${provider}"`);
  }
  const bucket = env.RECORDING_STORAGE_BUCKET?.trim();
  if (!bucket) throw new UsageError('RECORDING_STORAGE_BUCKET is not set');
  const origins = values.origin ?? (env.RECORDING_CORS_ORIGINS ?? '*').split(',').map((o) => o.trim());
  return {
    provider,
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

/** S3's choices in GCS terms: AES256 is the provider's own keys, aws:kms a key the owner manages. */
function gcsEncryption(encryption: BucketEncryption | undefined): GcsBucketEncryption | undefined {
  if (!encryption) return undefined;
  if (encryption.algorithm === 'AES256') return { type: 'google-managed' };
  const name = encryption.kmsKeyId;
  if (name && isKmsKeyName(name)) return { type: 'kms', kmsKeyName: name };
  throw new UsageError(
    'for gcp, --encryption aws:kms needs --kms-key-id projects/P/locations/L/keyRings/R/cryptoKeys/K',
  );
}

async function main(): Promise<number> {
  try {
    const { provider, bucket, settings, options } = parse(process.argv.slice(2), process.env);
    let encryption: string = options.encryption?.algorithm ?? 'unchanged';
    if (provider === 'gcp') {
      const gcs = gcsEncryption(options.encryption);
      const location = settings.region ? { location: settings.region } : {};
      // Credentials, project and STORAGE_EMULATOR_HOST come from the library's own env chain.
      await setupGcsBucket(new Storage().bucket(bucket), { ...options, encryption: gcs, ...location });
      if (gcs) encryption = gcs.type === 'kms' ? `default KMS key ${gcs.kmsKeyName}` : 'Google-managed';
    } else {
      await setupBucket(createS3Client(settings), bucket, options);
    }
    const exposed = provider === 'gcp' ? 'ETag, Range, x-goog-resumable' : 'ETag';
    console.log(
      `${provider} bucket "${bucket}" ready: CORS for ${options.corsOrigins.join(', ')} (${exposed} exposed), ` +
        `abort unfinished uploads after ${options.abortIncompleteAfterDays} d, ` +
        `${options.expireAfterDays ? `expire objects after ${options.expireAfterDays} d` : 'objects kept'}, ` +
        `encryption ${encryption}`,
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
