import { S3Client } from '@aws-sdk/client-s3';

export interface S3Settings {
  bucket: string;
  /** Defaults to the SDK's chain (AWS_REGION, ~/.aws/config), or `us-east-1` with an endpoint. */
  region?: string;
  /** An S3-compatible endpoint (MinIO, Ceph RGW, R2); absent for AWS itself. */
  endpoint?: string;
  /** Defaults to the SDK's chain: AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, profiles, instance roles. */
  credentials?: { accessKeyId: string; secretAccessKey: string };
}

/**
 * `WHEN_REQUIRED` checksums: with the SDK's default (`WHEN_SUPPORTED`), stream uploads of known
 * length fail with 411 on S3-compatible stores, and presigned UploadPart URLs carry
 * `x-amz-checksum-crc32=AAAAAA==` (the checksum of an empty body), which S3, R2 and MinIO then
 * reject for every real part (aws-sdk-js-v3#6994).
 * Path-style addressing with an endpoint: compatible stores rarely resolve `<bucket>.<host>`.
 */
export function createS3Client(settings: S3Settings): S3Client {
  const region = settings.region ?? (settings.endpoint ? 'us-east-1' : undefined);
  return new S3Client({
    ...(region ? { region } : {}),
    ...(settings.endpoint ? { endpoint: settings.endpoint, forcePathStyle: true } : {}),
    ...(settings.credentials ? { credentials: settings.credentials } : {}),
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
}
