import { S3ServiceException } from '@aws-sdk/client-s3';
import { ApiError, errnoCode } from '../errors.js';
import { StorageError } from './storage-error.js';

export interface S3CallSite {
  bucket: string;
  operation: string;
  key?: string;
  /** The call names a multipart upload id (ListParts, Complete, Abort). */
  upload?: boolean;
}

/**
 * Turns whatever the SDK threw into an error the server can report: an ApiError when the
 * browser's upload is at fault (the same codes the local provider uses), else a StorageError
 * naming the bucket and operation.
 */
export function s3Failure(err: unknown, site: S3CallSite): ApiError | StorageError {
  const code = site.upload && isNoSuchUpload(err) ? 'NoSuchUpload' : s3ErrorCode(err);
  const client = CLIENT_ERRORS[code];
  if (client) return new ApiError(client.status, client.code, client.message, { storageCode: code });
  const { upload: _, ...where } = site;
  return new StorageError({ provider: 'aws', ...where, code, status: s3Status(err), cause: err });
}

/** For a call naming an upload id: Ceph RGW answers `NoSuchKey` where S3 answers `NoSuchUpload`. */
export function isNoSuchUpload(err: unknown): boolean {
  const code = s3ErrorCode(err);
  return code === 'NoSuchUpload' || code === 'NoSuchKey';
}

/** S3's code (`NoSuchBucket`; RGW sends nothing else), Node's (`ECONNREFUSED`), or the error's name. */
export function s3ErrorCode(err: unknown): string {
  if (err instanceof S3ServiceException) return err.name;
  const errno = errnoCode(err);
  if (errno) return errno;
  if (err instanceof AggregateError) return errnoCode(err.errors[0]) ?? err.name;
  return err instanceof Error ? err.name : 'UnknownError';
}

export function s3Status(err: unknown): number | undefined {
  if (typeof err !== 'object' || err === null || !('$metadata' in err)) return undefined;
  const metadata = err.$metadata as { httpStatusCode?: number } | undefined;
  return metadata?.httpStatusCode;
}

const CLIENT_ERRORS: Record<string, { status: 400 | 404 | 409; code: string; message: string }> = {
  EntityTooSmall: {
    status: 400,
    code: 'part_too_small',
    message: 'Every part but the last must hold at least 5 MiB',
  },
  InvalidPart: { status: 409, code: 'part_mismatch', message: 'Storage does not hold a part with that ETag' },
  InvalidPartOrder: {
    status: 409,
    code: 'part_mismatch',
    message: 'Parts must be listed in ascending order',
  },
  NoSuchUpload: {
    status: 404,
    code: 'upload_not_found',
    message: 'No such upload: it was completed, aborted or never started',
  },
};
