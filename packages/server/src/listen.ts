import type { Server } from 'node:http';
import { serve } from '@hono/node-server';
import type { CallrecApp } from './app.js';

export interface ListenOptions {
  port: number;
  hostname: string;
  /** Called once the socket is bound. */
  onListening?: (address: { address: string; port: number }) => void;
}

/**
 * Serves a callrec app on Node and stops it cleanly on SIGINT/SIGTERM: the socket closes, event
 * streams end, processing is interrupted (it resumes at the next start) and state is flushed.
 * A second signal exits at once.
 */
export function listen(callrec: CallrecApp, options: ListenOptions): Server {
  const server = serve({ fetch: callrec.app.fetch, port: options.port, hostname: options.hostname }, (info) =>
    options.onListening?.(info),
  ) as Server;
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) process.exit(1);
    stopping = true;
    console.log(`callrec: ${signal}, shutting down`);
    server.close();
    callrec.close().then(
      () => process.exit(0),
      (err: unknown) => {
        console.error('callrec: shutdown failed', err);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
  return server;
}
