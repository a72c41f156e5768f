import {
  type BucketLocationConstraint,
  CreateBucketCommand,
  HeadBucketCommand,
  PutBucketCorsCommand,
  PutBucketEncryptionCommand,
  PutBucketLifecycleConfigurationCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { s3ErrorCode, s3Failure } from './s3-errors.js';

export type BucketEncryption = { algorithm: 'AES256' } | { algorithm: 'aws:kms'; kmsKeyId?: string };

export interface BucketSetupOptions {
  /** Browser origins allowed to PUT parts and GET recordings; `['*']` allows any. */
  corsOrigins: string[];
  /** Delete recordings this many days after they were written; absent keeps them. */
  expireAfterDays?: number;
  /** Abort multipart uploads left unfinished (crashed browsers) after this many days. */
  abortIncompleteAfterDays: number;
  /** Default server-side encryption; absent leaves the bucket's setting alone. */
  encryption?: BucketEncryption;
  /** Create the bucket when it does not exist (test servers, first deploys). */
  create?: boolean;
}

export const BUCKET_SETUP_DEFAULTS = { abortIncompleteAfterDays: 1, corsMaxAgeSeconds: 3600 } as const;

/** What the bucket needs for browser-direct uploads. Idempotent: each call replaces the previous rules. */
export async function setupBucket(
  client: S3Client,
  bucket: string,
  options: BucketSetupOptions,
): Promise<void> {
  const call = async <T>(operation: string, send: () => Promise<T>): Promise<T> => {
    try {
      return await send();
    } catch (err) {
      throw s3Failure(err, { bucket, operation });
    }
  };
  if (options.create) await createIfMissing(client, bucket, call);
  await call('putBucketCors', () =>
    client.send(new PutBucketCorsCommand({ Bucket: bucket, ...corsRules(options) })),
  );
  await call('putBucketLifecycleConfiguration', () =>
    client.send(new PutBucketLifecycleConfigurationCommand({ Bucket: bucket, ...lifecycleRules(options) })),
  );
  const { encryption } = options;
  if (encryption) {
    await call('putBucketEncryption', () =>
      client.send(new PutBucketEncryptionCommand({ Bucket: bucket, ...encryptionRules(encryption) })),
    );
  }
}

/** The browser reads each part's `ETag` from the PUT response, which CORS hides unless exposed. */
export function corsRules(options: Pick<BucketSetupOptions, 'corsOrigins'>) {
  return {
    CORSConfiguration: {
      CORSRules: [
        {
          AllowedMethods: ['PUT', 'GET', 'HEAD'],
          AllowedOrigins: options.corsOrigins,
          AllowedHeaders: ['*'],
          ExposeHeaders: ['ETag'],
          MaxAgeSeconds: BUCKET_SETUP_DEFAULTS.corsMaxAgeSeconds,
        },
      ],
    },
  };
}

export function lifecycleRules(
  options: Pick<BucketSetupOptions, 'expireAfterDays' | 'abortIncompleteAfterDays'>,
) {
  const expire = options.expireAfterDays;
  return {
    LifecycleConfiguration: {
      Rules: [
        {
          ID: 'callrec-abort-incomplete-uploads',
          Status: 'Enabled' as const,
          Filter: { Prefix: '' },
          AbortIncompleteMultipartUpload: { DaysAfterInitiation: options.abortIncompleteAfterDays },
        },
        ...(expire === undefined
          ? []
          : [
              {
                ID: 'callrec-expire-recordings',
                Status: 'Enabled' as const,
                Filter: { Prefix: '' },
                Expiration: { Days: expire },
              },
            ]),
      ],
    },
  };
}

export function encryptionRules(encryption: BucketEncryption) {
  const kmsKeyId = encryption.algorithm === 'aws:kms' ? encryption.kmsKeyId : undefined;
  return {
    ServerSideEncryptionConfiguration: {
      Rules: [
        {
          ApplyServerSideEncryptionByDefault: {
            SSEAlgorithm: encryption.algorithm,
            ...(kmsKeyId ? { KMSMasterKeyID: kmsKeyId } : {}),
          },
        },
      ],
    },
  };
}

async function createIfMissing(
  client: S3Client,
  bucket: string,
  call: <T>(operation: string, send: () => Promise<T>) => Promise<T>,
): Promise<void> {
  try {
    await client.send(new HeadBucketCommand({ Bucket: bucket }));
    return;
  } catch (err) {
    // HEAD has no body, so a missing bucket is a bare 404 named `NotFound`.
    if (s3ErrorCode(err) !== 'NotFound') throw s3Failure(err, { bucket, operation: 'headBucket' });
  }
  const region = await client.config.region();
  // us-east-1 is the one region S3 refuses as an explicit LocationConstraint.
  const location =
    region === 'us-east-1' ? undefined : { LocationConstraint: region as BucketLocationConstraint };
  await call('createBucket', () =>
    client.send(
      new CreateBucketCommand({
        Bucket: bucket,
        ...(location ? { CreateBucketConfiguration: location } : {}),
      }),
    ),
  );
}
