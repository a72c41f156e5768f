import type { StorageProviderName } from '@callrec/sdk/protocol';

export interface StorageErrorInit {
  provider: StorageProviderName;
  bucket: string;
  /** What the server was doing, named after the storage call: `completeUpload`, `putBucketCors`. */
  operation: string;
  /** The provider's error code (`NoSuchBucket`, `AccessDenied`) or Node's (`ECONNREFUSED`). */
  code: string;
  /** HTTP status the provider answered with; absent when no answer came (network). */
  status?: number;
  key?: string;
  cause?: unknown;
}

/**
 * The storage back end failed or refused, for a reason the browser cannot fix (missing bucket,
 * bad credentials, endpoint down). The message names the provider, bucket, operation and code,
 * so an operator can act on it without reading a stack trace.
 */
export class StorageError extends Error {
  readonly provider: StorageProviderName;
  readonly bucket: string;
  readonly operation: string;
  readonly code: string;
  readonly status: number | undefined;
  readonly key: string | undefined;

  constructor(init: StorageErrorInit) {
    const where = init.key ? `bucket "${init.bucket}", key "${init.key}"` : `bucket "${init.bucket}"`;
    const hint = HINTS[`${init.provider}:${init.code}`] ?? HINTS[init.code] ?? causeMessage(init.cause);
    const status = init.status ? `, HTTP ${init.status}` : '';
    super(
      `${init.provider} storage: ${init.operation} failed on ${where}: ${init.code}${status}${hint ? ` (${hint})` : ''}`,
      {
        cause: init.cause,
      },
    );
    this.name = 'StorageError';
    this.provider = init.provider;
    this.bucket = init.bucket;
    this.operation = init.operation;
    this.code = init.code;
    this.status = init.status;
    this.key = init.key;
  }
}

/**
 * Without a known code, the library's own words are the only clue ("Could not load the default
 * credentials"): keep their first line.
 */
function causeMessage(cause: unknown): string | undefined {
  if (!(cause instanceof Error) || !cause.message) return undefined;
  return cause.message.split('\n')[0]?.slice(0, 200);
}

const HINTS: Record<string, string> = {
  'gcp:ECONNREFUSED': 'nothing listens at the storage endpoint; check STORAGE_EMULATOR_HOST or the network',
  NoSuchBucket: 'the bucket does not exist; check RECORDING_STORAGE_BUCKET and the region',
  AccessDenied: 'the credentials are not allowed to do this; check the IAM policy or bucket policy',
  InvalidAccessKeyId: 'unknown access key; check AWS_ACCESS_KEY_ID',
  SignatureDoesNotMatch: 'wrong secret key; check AWS_SECRET_ACCESS_KEY',
  PermanentRedirect: 'the bucket is in another region; check RECORDING_STORAGE_REGION',
  ECONNREFUSED: 'nothing listens at the storage endpoint; check RECORDING_STORAGE_ENDPOINT',
  ENOTFOUND: 'the storage endpoint host name does not resolve',
  ETIMEDOUT: 'the storage endpoint did not answer in time',
  ECONNRESET: 'the storage endpoint closed the connection',
};
