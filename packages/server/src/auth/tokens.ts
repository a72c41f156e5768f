import { createHmac, timingSafeEqual } from 'node:crypto';
import { ID_PATTERN } from '@callrec/sdk/protocol';
import { ApiError } from '../errors.js';

/**
 * Bearer tokens: `v1.<base64url(JSON payload)>.<base64url(HMAC-SHA256(secret, "v1." + payloadPart))>`.
 * An app's backend mints a `recording` token per call; `admin` tokens (sub "*") are for operators.
 */
export interface TokenPayload {
  sub: string;
  /** Expiry, epoch seconds. */
  exp: number;
  scope: TokenScope;
}

export type TokenScope = 'recording' | 'admin';

export interface MintTokenOptions {
  /** The recording id for a `recording` token; `*` for an `admin` token. */
  sub: string;
  scope: TokenScope;
  ttlSeconds: number;
}

const VERSION = 'v1';

export function mintToken(secret: string, options: MintTokenOptions, nowMs = Date.now()): string {
  const { sub, scope, ttlSeconds } = options;
  if (!secret) throw new Error('mintToken: secret is empty');
  if (scope === 'admin' ? sub !== '*' : !ID_PATTERN.test(sub)) {
    throw new Error(`mintToken: sub ${JSON.stringify(sub)} is not valid for a ${scope} token`);
  }
  if (!Number.isFinite(ttlSeconds)) throw new Error('mintToken: ttlSeconds must be a finite number');
  const payload: TokenPayload = { sub, scope, exp: Math.floor(nowMs / 1000 + ttlSeconds) };
  const payloadPart = Buffer.from(JSON.stringify(payload)).toString('base64url');
  return `${VERSION}.${payloadPart}.${sign(secret, payloadPart).toString('base64url')}`;
}

/** Returns the payload of a genuine, unexpired token; otherwise throws a 401 ApiError. */
export function verifyToken(secret: string, token: string, nowMs = Date.now()): TokenPayload {
  const [version, payloadPart, signaturePart, ...rest] = token.split('.');
  if (version !== VERSION || !payloadPart || !signaturePart || rest.length > 0) {
    throw invalid('Token is not a v1 callrec token');
  }
  // Compare the encoded text, not decoded bytes: base64url's last character carries spare bits,
  // so several spellings decode to the same signature, and a token must have exactly one.
  const expected = Buffer.from(sign(secret, payloadPart).toString('base64url'));
  const given = Buffer.from(signaturePart);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    throw invalid('Token signature does not match');
  }
  const payload = parsePayload(payloadPart);
  if (payload.exp * 1000 <= nowMs) throw new ApiError(401, 'token_expired', 'Token has expired');
  return payload;
}

function sign(secret: string, payloadPart: string): Buffer {
  return createHmac('sha256', secret).update(`${VERSION}.${payloadPart}`).digest();
}

function parsePayload(part: string): TokenPayload {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
  } catch (err) {
    // Only reachable with a valid signature, i.e. a buggy minter; the client still gets a 401.
    throw invalid(`Token payload is not JSON: ${(err as Error).message}`);
  }
  const p = value as Partial<TokenPayload> | null;
  const validSub =
    p?.scope === 'admin' ? p.sub === '*' : typeof p?.sub === 'string' && ID_PATTERN.test(p.sub);
  if (!p || !validSub || typeof p.exp !== 'number' || !(p.scope === 'recording' || p.scope === 'admin')) {
    throw invalid('Token payload is malformed');
  }
  return { sub: p.sub as string, exp: p.exp, scope: p.scope };
}

function invalid(message: string): ApiError {
  return new ApiError(401, 'invalid_token', message);
}
