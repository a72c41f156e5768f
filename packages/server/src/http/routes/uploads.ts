import { Hono } from 'hono';
import type { UrlSigner } from '../../auth/signed-url.js';
import { ApiError } from '../../errors.js';
import type { LocalStore } from '../../storage/local-store.js';
import { type AppEnv, idParam } from '../auth.js';

/**
 * The local provider's stand-in for S3's presigned UploadPart: the browser PUTs raw part bytes to
 * a URL signed by `LocalStore.signParts` and reads the part's ETag from the response.
 */
export function uploadRoutes(store: LocalStore, signer: UrlSigner): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  app.put('/uploads/:id/:uploadId/:partNumber', async (c) => {
    const id = idParam(c, 'id');
    const { uploadId, partNumber: partParam } = c.req.param();
    const partNumber = /^\d{1,5}$/.test(partParam) ? Number(partParam) : 0;
    if (partNumber < 1 || partNumber > 10_000) {
      throw new ApiError(400, 'invalid_part_number', 'Part numbers run from 1 to 10000');
    }
    const path = `/v1/uploads/${id}/${encodeURIComponent(uploadId)}/${partNumber}`;
    signer.verify('PUT', path, c.req.query('expires'), c.req.query('signature'));
    const declared = Number(c.req.header('content-length') ?? 0);
    if (declared > store.maxPartSize) {
      throw new ApiError(413, 'part_too_large', `A part may hold at most ${store.maxPartSize} bytes`, {
        maxPartSize: store.maxPartSize,
      });
    }
    const { etag, size } = await store.writePart(id, uploadId, partNumber, c.req.raw.body);
    c.header('ETag', `"${etag}"`);
    return c.json({ partNumber, etag: `"${etag}"`, size });
  });

  return app;
}
