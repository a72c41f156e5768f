#!/usr/bin/env -S npx tsx
import { serve } from '@hono/node-server';
import { createApp } from './app.js';
import { ConfigError, loadConfig } from './config.js';

/** Starts the server from environment variables (see ServerConfig); Ctrl-C stops it cleanly. */
async function main(): Promise<void> {
  let config: ReturnType<typeof loadConfig>;
  try {
    config = loadConfig(process.env);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    console.error(err.message);
    process.exit(1);
  }
  if (config.usingDevSecret) {
    console.warn(
      'callrec: RECORDING_DEV=1 and no RECORDING_TOKEN_SECRET: using the public development secret. ' +
        'Anyone can mint tokens for this server; never expose it.',
    );
  }
  const callrec = await createApp({ config });
  const server = serve({ fetch: callrec.app.fetch, port: config.port, hostname: config.host }, (info) => {
    console.log(
      `callrec server listening on http://${info.address}:${info.port} (storage: ${config.storage.provider})`,
    );
  });

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) process.exit(1); // second Ctrl-C: do not wait
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
}

main().catch((err: unknown) => {
  console.error('callrec: failed to start', err);
  process.exit(1);
});
