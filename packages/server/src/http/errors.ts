import type { ApiErrorBody } from '@callrec/sdk/protocol';
import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { ApiError } from '../errors.js';
import type { Logger } from '../logger.js';
import { StorageError } from '../storage/storage-error.js';

/** Maps anything thrown by a handler to `{ error: { code, message, details? } }`. */
export function errorHandler(logger: Logger) {
  return (err: Error, c: Context): Response => {
    if (err instanceof ApiError) return send(c, err.status, err.code, err.message, err.details);
    if (err instanceof HTTPException && err.status < 500) {
      return send(c, err.status, 'bad_request', err.message || 'Bad request');
    }
    if (err instanceof StorageError) {
      // The full message (bucket, operation, hint) is for the operator's log, not for browsers.
      logger.error(`callrec: ${c.req.method} ${c.req.path}: ${err.message}`);
      // Browsers get what an app developer needs to tell the operator (provider, bucket,
      // operation, code); the hint and the provider's raw answer stay in the log.
      const { provider, bucket, operation, code } = err;
      return send(
        c,
        502,
        'storage_unavailable',
        `${provider} storage failed during ${operation} on bucket "${bucket}" (${code})`,
        { provider, bucket, operation, code },
      );
    }
    logger.error(`callrec: ${c.req.method} ${c.req.path} failed`, err);
    return send(c, 500, 'internal_error', 'The server failed to handle this request');
  };
}

export function notFoundHandler(c: Context): Response {
  return send(c, 404, 'not_found', `No route for ${c.req.method} ${c.req.path}`);
}

function send(c: Context, status: ContentfulStatusCode, code: string, message: string, details?: unknown) {
  const body: ApiErrorBody = {
    error: details === undefined ? { code, message } : { code, message, details },
  };
  return c.json(body, status);
}
