import { createHmac, timingSafeEqual } from 'node:crypto';
import { ApiError } from '../errors.js';

/**
 * Signs the local provider's upload and file URLs: HMAC-SHA256 over method, path and expiry, with a
 * key derived from the token secret so a URL signature can never pass as a token signature.
 */
export class UrlSigner {
  #key: Buffer;
  #now: () => number;

  constructor(secret: string, now: () => number = Date.now) {
    this.#key = createHmac('sha256', secret).update('callrec signed url v1').digest();
    this.#now = now;
  }

  /** Returns `?expires=<epochSec>&signature=<hex>` for `path` (already percent-encoded, no query). */
  sign(method: string, path: string, expiresInSeconds: number): { query: string; expiresAt: number } {
    const expires = Math.floor(this.#now() / 1000 + expiresInSeconds);
    const signature = this.#mac(method, path, expires).toString('hex');
    return { query: `?expires=${expires}&signature=${signature}`, expiresAt: expires * 1000 };
  }

  /** Throws 403 `signature_invalid` or `url_expired` unless the query signs this method and path. */
  verify(method: string, path: string, expires: string | undefined, signature: string | undefined): void {
    const expiresSec = expires && /^\d{1,12}$/.test(expires) ? Number(expires) : Number.NaN;
    const given = signature && /^[0-9a-f]{64}$/.test(signature) ? Buffer.from(signature, 'hex') : undefined;
    if (!given || Number.isNaN(expiresSec)) {
      throw new ApiError(403, 'signature_invalid', 'URL is missing a valid expires/signature');
    }
    if (!timingSafeEqual(given, this.#mac(method, path, expiresSec))) {
      throw new ApiError(403, 'signature_invalid', 'URL signature does not match');
    }
    if (expiresSec * 1000 <= this.#now()) throw new ApiError(403, 'url_expired', 'URL has expired');
  }

  #mac(method: string, path: string, expires: number): Buffer {
    return createHmac('sha256', this.#key).update(`${method.toUpperCase()}\n${path}\n${expires}`).digest();
  }
}
