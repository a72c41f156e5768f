import { errnoCode } from '../errors.js';
import { StorageError } from './storage-error.js';

export interface GcsCallSite {
  bucket: string;
  operation: string;
  key?: string;
}

/** Turns whatever `@google-cloud/storage` (or a session request) threw into a StorageError. */
export function gcsFailure(err: unknown, site: GcsCallSite): StorageError {
  if (err instanceof StorageError) return err;
  return new StorageError({
    provider: 'gcp',
    ...site,
    code: gcsErrorCode(err),
    status: gcsStatus(err),
    cause: err,
  });
}

/**
 * A name for what went wrong. The JSON API answers with a status and a `reason` (`notFound`,
 * `forbidden`), so the common ones are mapped onto the names StorageError has hints for.
 */
export function gcsErrorCode(err: unknown): string {
  const status = gcsStatus(err);
  if (status === 404 && isMissingBucket(err)) return 'NoSuchBucket';
  if (status === 404) return 'NotFound';
  if (status === 401) return 'Unauthenticated';
  if (status === 403) return 'AccessDenied';
  const reason = firstReason(err);
  if (reason) return reason;
  const errno = errnoCode(err) ?? causeErrno(err);
  if (errno) return errno;
  if (status) return `HTTP_${status}`;
  return err instanceof Error ? err.name : 'UnknownError';
}

/** The library's ApiError carries the status as a numeric `code`; gaxios errors as `status`. */
export function gcsStatus(err: unknown): number | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const e = err as { code?: unknown; status?: unknown; response?: { status?: unknown } };
  for (const value of [e.code, e.status, e.response?.status]) {
    if (typeof value === 'number' && value >= 100 && value < 600) return value;
  }
  return undefined;
}

/** A missing object, as opposed to a missing bucket (which is a setup problem to report). */
export function isMissingObject(err: unknown): boolean {
  return gcsStatus(err) === 404 && !isMissingBucket(err);
}

export function isMissingBucket(err: unknown): boolean {
  return gcsStatus(err) === 404 && MISSING_BUCKET.test(errorMessage(err));
}

const MISSING_BUCKET = /bucket does not exist|no such bucket|bucket not found/i;

function firstReason(err: unknown): string | undefined {
  const errors = (err as { errors?: { reason?: unknown }[] } | null)?.errors;
  const reason = Array.isArray(errors) ? errors[0]?.reason : undefined;
  return typeof reason === 'string' && reason !== '' ? reason : undefined;
}

/** fetch() and gaxios wrap the socket error: `TypeError: fetch failed` with `cause.code`. */
function causeErrno(err: unknown): string | undefined {
  const cause = err instanceof Error ? err.cause : undefined;
  if (cause instanceof AggregateError) return errnoCode(cause.errors[0]);
  return errnoCode(cause);
}

/** The library's ApiError carries Google's message; gaxios keeps it in the response body. */
function errorMessage(err: unknown): string {
  const data = (err as { response?: { data?: unknown } } | null)?.response?.data;
  const body = typeof data === 'string' ? data : JSON.stringify(data ?? '');
  return `${err instanceof Error ? err.message : String(err)} ${body}`;
}
