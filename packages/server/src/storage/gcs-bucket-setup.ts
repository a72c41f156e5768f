import type { Bucket, BucketMetadata } from '@google-cloud/storage';
import { gcsFailure } from './gcs-errors.js';
import { BUCKET_SETUP_DEFAULTS, type BucketSetupOptions } from './s3-bucket-setup.js';

/**
 * `google-managed` removes a default KMS key (Google encrypts with its own keys, GCS's baseline);
 * `kms` makes a Cloud KMS key the default for new objects.
 */
export type GcsBucketEncryption = { type: 'google-managed' } | { type: 'kms'; kmsKeyName: string };

export interface GcsBucketSetupOptions extends Omit<BucketSetupOptions, 'encryption'> {
  /** Default encryption of new objects; absent leaves the bucket's setting alone. */
  encryption?: GcsBucketEncryption;
  /** Where `create` puts a new bucket (`EU`, `europe-west1`); absent lets GCS choose (`US`). */
  location?: string;
}

/** Headers a browser sends to a resumable session or reads from its answers (308 + `Range`). */
export const GCS_CORS_RESPONSE_HEADERS = [
  'Content-Range',
  'Range',
  'Content-Type',
  'x-goog-resumable',
  'ETag',
] as const;

const KMS_KEY_NAME = /^projects\/[^/]+\/locations\/[^/]+\/keyRings\/[^/]+\/cryptoKeys\/[^/]+$/;

/** GCS names a key by its full resource name, not by an id or alias as AWS KMS does. */
export function isKmsKeyName(name: string): boolean {
  return KMS_KEY_NAME.test(name);
}

/**
 * What the bucket needs for browser-direct uploads, as one `buckets.patch`: it replaces the CORS
 * list and the lifecycle rules as a whole, so running setup again leaves only these rules.
 */
export async function setupGcsBucket(bucket: Bucket, options: GcsBucketSetupOptions): Promise<void> {
  const call = async <T>(operation: string, send: () => Promise<T>): Promise<T> => {
    try {
      return await send();
    } catch (err) {
      throw gcsFailure(err, { bucket: bucket.name, operation });
    }
  };
  if (options.create) {
    const [exists] = await call('getBucket', () => bucket.exists());
    if (!exists) {
      await call('createBucket', () => bucket.create(options.location ? { location: options.location } : {}));
    }
  }
  await call('setBucketMetadata', () => bucket.setMetadata(gcsBucketMetadata(options)));
}

export function gcsBucketMetadata(options: GcsBucketSetupOptions): BucketMetadata {
  return {
    cors: [
      {
        origin: options.corsOrigins,
        method: ['PUT', 'GET', 'HEAD', 'OPTIONS'],
        responseHeader: [...GCS_CORS_RESPONSE_HEADERS],
        maxAgeSeconds: BUCKET_SETUP_DEFAULTS.corsMaxAgeSeconds,
      },
    ],
    lifecycle: { rule: lifecycleRules(options) },
    ...(options.encryption ? { encryption: encryptionMetadata(options.encryption) } : {}),
  };
}

/**
 * GCS's AbortIncompleteMultipartUpload covers XML-API multipart uploads only; the resumable
 * sessions browsers upload through cannot be listed and expire by themselves after a week.
 */
function lifecycleRules(options: GcsBucketSetupOptions): NonNullable<BucketMetadata['lifecycle']>['rule'] {
  const expire = options.expireAfterDays;
  return [
    {
      action: { type: 'AbortIncompleteMultipartUpload' },
      condition: { age: options.abortIncompleteAfterDays },
    },
    ...(expire === undefined ? [] : [{ action: { type: 'Delete' as const }, condition: { age: expire } }]),
  ];
}

/** `null` clears the field in a patch, which is how GCS goes back to Google-managed keys. */
function encryptionMetadata(encryption: GcsBucketEncryption): BucketMetadata['encryption'] {
  if (encryption.type === 'google-managed') return null;
  if (!isKmsKeyName(encryption.kmsKeyName)) {
    throw new Error(
      `Not a Cloud KMS key name: ${JSON.stringify(encryption.kmsKeyName)} (want projects/P/locations/L/keyRings/R/cryptoKeys/K)`,
    );
  }
  return { defaultKmsKeyName: encryption.kmsKeyName };
}
