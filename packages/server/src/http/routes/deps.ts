import type { MiddlewareHandler } from 'hono';
import type { RecordingEvents } from '../../recording/events.js';
import type { RecordingService } from '../../recording/service.js';
import type { AppEnv } from '../auth.js';

/** What the JSON API routes share. */
export interface RouteDeps {
  service: RecordingService;
  events: RecordingEvents;
  /** Bearer-token check (header only). */
  auth: MiddlewareHandler<AppEnv>;
  /** Bearer-token check that also accepts `?token=` (EventSource cannot set headers). */
  authQuery: MiddlewareHandler<AppEnv>;
  /** Caps JSON bodies (413 `body_too_large`). */
  json: MiddlewareHandler<AppEnv>;
  /** Aborted when the app closes; long-lived responses (SSE) end then. */
  shutdown: AbortSignal;
}
