import { join } from 'node:path';
import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { cors } from 'hono/cors';
import { UrlSigner } from './auth/signed-url.js';
import type { ServerConfig } from './config.js';
import { ApiError } from './errors.js';
import { type AppEnv, requireToken } from './http/auth.js';
import { errorHandler, notFoundHandler } from './http/errors.js';
import type { RouteDeps } from './http/routes/deps.js';
import { eventRoutes } from './http/routes/events.js';
import { fileRoutes } from './http/routes/files.js';
import { recordingRoutes } from './http/routes/recordings.js';
import { trackRoutes } from './http/routes/tracks.js';
import { uploadRoutes } from './http/routes/uploads.js';
import { consoleLogger, type Logger } from './logger.js';
import { processRecording } from './processing/pipeline.js';
import type { RecordingContext } from './recording/context.js';
import { RecordingEvents } from './recording/events.js';
import { ProcessingQueue } from './recording/processing-queue.js';
import { Processor, type ProcessRecording } from './recording/processor.js';
import { RecordingService } from './recording/service.js';
import { RecordingStore } from './state/recording-store.js';
import { createStorage } from './storage/index.js';
import { LocalStore } from './storage/local-store.js';
import type { RecordingStorage } from './storage/storage.js';

export interface CreateAppOptions {
  config: ServerConfig;
  /** A ready storage back end; by default one is built from `config.storage.provider`. */
  storage?: RecordingStorage;
  /** The processing pipeline; defaults to the ffmpeg pipeline. */
  processRecording?: ProcessRecording;
  logger?: Logger;
  /** Clock (epoch ms) for timestamps, token and URL expiry. */
  now?: () => number;
}

export interface CallrecApp {
  /** Mount it, or add routes to it: `app.get('/my/route', ...)`. */
  app: Hono<AppEnv>;
  service: RecordingService;
  events: RecordingEvents;
  storage: RecordingStorage;
  config: ServerConfig;
  /** Ends event streams, interrupts processing (it resumes at the next start) and flushes state. */
  close(): Promise<void>;
}

const MAX_JSON_BODY = 1024 * 1024;

export async function createApp(options: CreateAppOptions): Promise<CallrecApp> {
  const { config } = options;
  const now = options.now ?? Date.now;
  const logger = options.logger ?? consoleLogger;
  const signer = new UrlSigner(config.tokenSecret, now);
  const storage = options.storage ?? (await createStorage(config, signer));
  const store = await RecordingStore.open(join(config.outputDir, '.state'), logger);
  const events = new RecordingEvents(logger);
  const ctx: RecordingContext = { config, store, storage, events, logger, now };
  const processor = new Processor(ctx, options.processRecording ?? processRecording);
  const queue = new ProcessingQueue(config.processingConcurrency, (id) => processor.run(id), logger);
  const service = new RecordingService(ctx, queue);
  const shutdown = new AbortController();

  const app = new Hono<AppEnv>();
  app.use(
    '*',
    cors({
      origin: config.corsOrigins,
      allowMethods: ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'OPTIONS'],
      allowHeaders: ['Authorization', 'Content-Type', 'Content-Range', 'Last-Event-ID', 'Range'],
      exposeHeaders: ['ETag', 'Content-Range', 'Content-Length', 'Accept-Ranges'],
      maxAge: 600,
    }),
  );
  app.onError(errorHandler(logger));
  app.notFound(notFoundHandler);
  app.get('/healthz', (c) => c.json({ ok: true }));

  const deps: RouteDeps = {
    service,
    events,
    auth: requireToken(config.tokenSecret, now),
    authQuery: requireToken(config.tokenSecret, now, { allowQueryToken: true }),
    json: bodyLimit({
      maxSize: MAX_JSON_BODY,
      onError: () => {
        throw new ApiError(413, 'body_too_large', `JSON bodies are limited to ${MAX_JSON_BODY} bytes`);
      },
    }),
    shutdown: shutdown.signal,
  };
  app.route('/v1', recordingRoutes(deps));
  app.route('/v1', trackRoutes(deps));
  app.route('/v1', eventRoutes(deps));
  if (storage instanceof LocalStore) {
    app.route('/v1', uploadRoutes(storage, signer));
    app.route('/v1', fileRoutes(storage, signer));
  }

  const resumed = await service.resumeProcessing();
  if (resumed.length > 0) logger.info(`callrec: resuming processing of ${resumed.join(', ')}`);

  return {
    app,
    service,
    events,
    storage,
    config,
    async close() {
      shutdown.abort();
      processor.abort();
      await queue.close();
      await store.drain();
    },
  };
}
