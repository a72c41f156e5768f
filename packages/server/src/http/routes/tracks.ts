import { Hono } from 'hono';
import { type AppEnv, idParam, recordingId } from '../auth.js';
import {
  completeTrackSchema,
  failTrackSchema,
  readBody,
  registerTrackSchema,
  signPartsSchema,
} from '../schemas.js';
import type { RouteDeps } from './deps.js';

export function trackRoutes({ service, auth, json }: RouteDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const ids = (c: Parameters<typeof recordingId>[0]) => ({
    id: recordingId(c),
    trackId: idParam(c, 'trackId'),
  });

  app.put('/recordings/:id/tracks/:trackId', auth, json, async (c) => {
    const { id, trackId } = ids(c);
    const body = await readBody(c, registerTrackSchema);
    const { response, created } = await service.registerTrack(id, trackId, body, c.req.header('origin'));
    return c.json(response, created ? 201 : 200);
  });

  app.post('/recordings/:id/tracks/:trackId/parts', auth, json, async (c) => {
    const { id, trackId } = ids(c);
    const { partNumbers } = await readBody(c, signPartsSchema);
    return c.json(await service.signParts(id, trackId, partNumbers));
  });

  // What storage already holds, so an SDK recovering after a reload uploads only the rest.
  app.get('/recordings/:id/tracks/:trackId/parts', auth, async (c) => {
    const { id, trackId } = ids(c);
    return c.json(await service.listParts(id, trackId));
  });

  app.post('/recordings/:id/tracks/:trackId/complete', auth, json, async (c) => {
    const { id, trackId } = ids(c);
    const body = await readBody(c, completeTrackSchema);
    return c.json(await service.completeTrack(id, trackId, body));
  });

  app.post('/recordings/:id/tracks/:trackId/fail', auth, json, async (c) => {
    const { id, trackId } = ids(c);
    const body = await readBody(c, failTrackSchema);
    return c.json(await service.failTrack(id, trackId, body));
  });

  return app;
}
