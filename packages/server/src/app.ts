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
import { type AbandonedUpload, AbandonedUploadSweeper } from './recording/abandoned-uploads.js';
import { settleInterruptedCompletions } from './recording/complete-track.js';
import type { RecordingContext } from './recording/context.js';
import { RecordingEvents } from './recording/events.js';
import { ProcessingQueue } from './recording/processing-queue.js';
import { clearWorkDirs, Processor, type ProcessRecording, WORK_DIR } from './recording/processor.js';
import { RecordingService } from './recording/service.js';
import { RecordingStore } from './state/recording-store.js';
import { createStorage } from './storage/index.js';
import { removeInterruptedWrites } from './storage/interrupted-writes.js';
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
  /** Told about every upload the abandoned-upload sweeper aborts (it also logs a warning). */
  onUploadAbandoned?: (upload: AbandonedUpload) => void;
}

export interface CallrecApp {
  /** Mount it, or add routes to it: `app.get('/my/route', ...)`. */
  app: Hono<AppEnv>;
  service: RecordingService;
  events: RecordingEvents;
  storage: RecordingStorage;
  config: ServerConfig;
  /** Aborts uploads idle for `config.abandonedUploadMs`; runs by itself, `sweep()` runs one pass now. */
  abandonedUploads: AbandonedUploadSweeper;
  /** Ends event streams, stops the sweeper, interrupts processing (it resumes at the next start) and flushes state. */
  close(): Promise<void>;
}

const MAX_JSON_BODY = 1024 * 1024;

export async function createApp(options: CreateAppOptions): Promise<CallrecApp> {
  const { config } = options;
  const now = options.now ?? Date.now;
  const logger = options.logger ?? consoleLogger;
  const signer = new UrlSigner(config.tokenSecret, now);
  const storage = options.storage ?? (await createStorage(config, signer));
  const startedAt = now();
  const store = await RecordingStore.open(join(config.outputDir, '.state'), logger);
  const events = new RecordingEvents(logger);
  const ctx: RecordingContext = { config, store, storage, events, logger, now };
  await recoverFromCrash(ctx);
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
  const abandonedUploads = new AbandonedUploadSweeper(ctx, {
    timeoutMs: config.abandonedUploadMs,
    since: startedAt,
    stop: (id, when) => service.stop(id, {}, when),
    onAbandoned: options.onUploadAbandoned,
  });
  abandonedUploads.start();

  return {
    app,
    service,
    events,
    storage,
    config,
    abandonedUploads,
    async close() {
      shutdown.abort();
      await abandonedUploads.close();
      processor.abort();
      await queue.close();
      await store.drain();
    },
  };
}

/**
 * What a server killed with `kill -9` can leave behind, put right before serving: temp files of
 * interrupted writes, work directories of interrupted processing (the job itself is re-queued by
 * resumeProcessing), and tracks storage assembled whose completion the state had not yet recorded.
 */
async function recoverFromCrash(ctx: RecordingContext): Promise<void> {
  const { config, storage, logger } = ctx;
  await clearWorkDirs(config.outputDir);
  if (storage instanceof LocalStore) {
    const removed = await removeInterruptedWrites(storage.root, ['.state', WORK_DIR]);
    if (removed.length > 0) logger.info(`callrec: removed ${removed.length} interrupted write(s)`);
  }
  await settleInterruptedCompletions(ctx);
}
