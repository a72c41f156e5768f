/**
 * An error a client caused or can act on. Thrown anywhere (service, storage, auth); the HTTP
 * error handler turns it into `{ error: { code, message, details } }` with `status`.
 */
export class ApiError extends Error {
  constructor(
    readonly status: ClientErrorStatus,
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export type ClientErrorStatus = 400 | 401 | 403 | 404 | 409 | 413 | 416;

/** Node's errno code of a file-system error, if it is one. */
export function errnoCode(err: unknown): string | undefined {
  return err instanceof Error && 'code' in err && typeof err.code === 'string' ? err.code : undefined;
}
