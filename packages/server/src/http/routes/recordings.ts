import type { CleanupResponse, ClockResponse, ListRecordingsResponse } from '@callrec/sdk/protocol';
import { Hono } from 'hono';
import { ApiError } from '../../errors.js';
import { type AppEnv, authorizeAdmin, recordingId } from '../auth.js';
import {
  addPauseSchema,
  cleanupSchema,
  createRecordingSchema,
  readBody,
  stopRecordingSchema,
} from '../schemas.js';
import type { RouteDeps } from './deps.js';

export function recordingRoutes({ service, auth, json }: RouteDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  // No token: the time is no secret, and the SDK measures round trips before it has a recording.
  app.get('/clock', (c) => {
    c.header('Cache-Control', 'no-store');
    return c.json({ now: service.now() } satisfies ClockResponse);
  });

  // The recording id is the token's subject, so a backend decides ids by minting tokens.
  app.post('/recordings', auth, json, async (c) => {
    const { scope, sub } = c.var.auth;
    if (scope !== 'recording')
      throw new ApiError(403, 'forbidden', 'Creating a recording needs a recording token');
    const { info, created } = await service.create(sub, await readBody(c, createRecordingSchema));
    return c.json(info, created ? 201 : 200);
  });

  app.get('/recordings', auth, async (c) => {
    authorizeAdmin(c);
    return c.json({ recordings: await service.list() } satisfies ListRecordingsResponse);
  });

  app.get('/recordings/:id', auth, async (c) => c.json(await service.get(recordingId(c))));

  app.post('/recordings/:id/stop', auth, json, async (c) => {
    const id = recordingId(c);
    const body = await readBody(c, stopRecordingSchema, { emptyIsObject: true });
    return c.json(await service.stop(id, body), 202);
  });

  app.post('/recordings/:id/pauses', auth, json, async (c) => {
    const id = recordingId(c);
    return c.json(await service.addPause(id, await readBody(c, addPauseSchema)));
  });

  app.delete('/recordings/:id', auth, async (c) => {
    await service.delete(recordingId(c));
    return c.body(null, 204);
  });

  app.post('/cleanup', auth, json, async (c) => {
    authorizeAdmin(c);
    const { olderThanMs } = await readBody(c, cleanupSchema);
    return c.json({ deleted: await service.cleanup(olderThanMs) } satisfies CleanupResponse);
  });

  return app;
}
