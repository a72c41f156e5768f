import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { Hono } from 'hono';
import type { UrlSigner } from '../../auth/signed-url.js';
import { ApiError, errnoCode } from '../../errors.js';
import { contentTypeForKey, isSafeKey } from '../../storage/keys.js';
import type { LocalStore } from '../../storage/local-store.js';
import type { AppEnv } from '../auth.js';
import { parseRange } from '../range.js';

const PREFIX = '/v1/files/';

/** Serves the local provider's objects to signed-URL holders, with Range support for seeking. */
export function fileRoutes(store: LocalStore, signer: UrlSigner): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  // Hono answers HEAD with this GET handler and drops the body; we skip opening the file then.
  app.get('/files/*', async (c) => {
    const key = keyOf(new URL(c.req.url).pathname);
    const canonical = `${PREFIX}${key.split('/').map(encodeURIComponent).join('/')}`;
    signer.verify('GET', canonical, c.req.query('expires'), c.req.query('signature'));
    const path = store.location(key);
    const info = await stat(path).catch((err: unknown) => {
      if (errnoCode(err) === 'ENOENT') return undefined;
      throw err;
    });
    if (!info?.isFile()) throw new ApiError(404, 'file_not_found', 'No such file');

    const range = parseRange(c.req.header('range'), info.size);
    if (range === 'unsatisfiable') {
      const error = { code: 'range_not_satisfiable', message: `The file holds ${info.size} bytes` };
      return c.json({ error }, 416, { 'Content-Range': `bytes */${info.size}` });
    }
    c.header('Content-Type', contentTypeForKey(key));
    c.header('Accept-Ranges', 'bytes');
    c.header('ETag', `W/"${info.size.toString(16)}-${Math.floor(info.mtimeMs).toString(16)}"`);
    c.header('Last-Modified', info.mtime.toUTCString());
    c.header('Cache-Control', 'private, max-age=300');
    const { start, end } = range ?? { start: 0, end: info.size - 1 };
    c.header('Content-Length', String(end - start + 1));
    if (range) c.header('Content-Range', `bytes ${start}-${end}/${info.size}`);
    const status = range ? 206 : 200;
    if (c.req.raw.method === 'HEAD' || info.size === 0) return c.body(null, status);
    const body = Readable.toWeb(createReadStream(path, { start, end })) as ReadableStream<Uint8Array>;
    return c.body(body, status);
  });

  return app;
}

/**
 * The storage key from a raw (percent-encoded) path; each segment must be a safe key segment.
 * The app may be mounted under a base path, so the key is whatever follows `/v1/files/`.
 */
function keyOf(rawPath: string): string {
  const at = rawPath.indexOf(PREFIX);
  const segments = at < 0 ? [] : rawPath.slice(at + PREFIX.length).split('/');
  const decoded = segments.map((s) => {
    try {
      return decodeURIComponent(s);
    } catch {
      return '\0'; // not valid percent-encoding; the check below rejects it
    }
  });
  const key = decoded.join('/');
  if (decoded.length === 0 || decoded.some((s) => s.includes('/')) || !isSafeKey(key)) {
    throw new ApiError(400, 'invalid_key', 'Not a valid file path');
  }
  return key;
}
