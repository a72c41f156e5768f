import { ID_PATTERN } from '@callrec/sdk/protocol';
import type { Context, MiddlewareHandler } from 'hono';
import { type TokenPayload, verifyToken } from '../auth/tokens.js';
import { ApiError } from '../errors.js';

export interface AppEnv {
  Variables: { auth: TokenPayload };
}

/**
 * Requires `Authorization: Bearer <token>`; with `allowQueryToken`, `?token=` also works (EventSource
 * cannot send headers). Puts the verified payload in `c.var.auth`.
 */
export function requireToken(
  secret: string,
  now: () => number,
  options: { allowQueryToken?: boolean } = {},
): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const header = c.req.header('authorization');
    const match = header ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
    if (header && !match) throw new ApiError(401, 'invalid_token', 'Authorization must be "Bearer <token>"');
    const token = match?.[1] ?? (options.allowQueryToken ? c.req.query('token') : undefined);
    if (!token) throw new ApiError(401, 'missing_token', 'This route needs a bearer token');
    c.set('auth', verifyToken(secret, token, now()));
    await next();
  };
}

/** Reads a path id and checks it is path-safe (400 `invalid_id`). */
export function idParam(c: Context, name: 'id' | 'trackId'): string {
  const value = c.req.param(name) ?? '';
  if (!ID_PATTERN.test(value)) {
    throw new ApiError(400, 'invalid_id', `${name} must match ${ID_PATTERN.source}`, {
      [name]: value.slice(0, 100),
    });
  }
  return value;
}

/** A `recording` token opens only its own recording; an `admin` token opens every recording. */
export function authorizeRecording(c: Context<AppEnv>, id: string): void {
  const { scope, sub } = c.var.auth;
  if (scope === 'admin') return;
  if (sub !== id) throw new ApiError(403, 'forbidden', 'This token is for another recording');
}

export function authorizeAdmin(c: Context<AppEnv>): void {
  if (c.var.auth.scope !== 'admin') throw new ApiError(403, 'forbidden', 'This route needs an admin token');
}

/** Path id + authorization, the preamble of every recording route. */
export function recordingId(c: Context<AppEnv>): string {
  const id = idParam(c, 'id');
  authorizeRecording(c, id);
  return id;
}
