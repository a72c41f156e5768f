import { Hono } from 'hono';
import { streamSSE } from 'hono/streaming';
import type { StoredEvent } from '../../state/recording-state.js';
import { type AppEnv, recordingId } from '../auth.js';
import type { RouteDeps } from './deps.js';

/** A comment line this often keeps proxies from closing an idle stream. */
const HEARTBEAT_MS = 15_000;

/**
 * Server-Sent Events for one recording: first the persisted log after Last-Event-ID, then live
 * events. Subscribing before reading the log and skipping ids already sent means nothing is
 * missed or repeated in between.
 */
export function eventRoutes({ service, events, authQuery, shutdown }: RouteDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  app.get('/recordings/:id/events', authQuery, async (c) => {
    const id = recordingId(c);
    service.eventLog(id); // 404 before the stream starts
    const lastId = c.req.header('last-event-id') ?? c.req.query('lastEventId') ?? '';
    let sent = /^\d{1,15}$/.test(lastId) ? Number(lastId) : 0;

    return streamSSE(c, async (stream) => {
      const live: StoredEvent[] = [];
      let wake: () => void = () => undefined;
      const off = events.onAny((event) => {
        if (event.data.recordingId !== id) return;
        live.push(event);
        wake();
      });
      const stop = () => wake();
      stream.onAbort(stop);
      shutdown.addEventListener('abort', stop);
      const send = async (event: StoredEvent) => {
        if (event.id <= sent) return;
        sent = event.id;
        await stream.writeSSE({ event: event.name, data: JSON.stringify(event.data), id: String(event.id) });
      };
      try {
        for (const event of service.eventLog(id)) await send(event);
        while (!stream.aborted && !shutdown.aborted) {
          const next = live.shift();
          if (next) {
            await send(next);
            continue;
          }
          const woken = await new Promise<boolean>((resolve) => {
            const timer = setTimeout(() => resolve(false), HEARTBEAT_MS);
            wake = () => {
              clearTimeout(timer);
              resolve(true);
            };
          });
          if (woken) continue;
          if (!service.exists(id)) break; // deleted: end the stream
          await stream.write(': keep-alive\n\n');
        }
      } finally {
        off();
        shutdown.removeEventListener('abort', stop);
      }
    });
  });

  return app;
}
