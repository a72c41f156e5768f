#!/usr/bin/env -S npx tsx
import { createApp } from './app.js';
import { ConfigError, loadConfig } from './config.js';
import { listen } from './listen.js';

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
  listen(callrec, {
    port: config.port,
    hostname: config.host,
    onListening: (info) =>
      console.log(
        `callrec server listening on http://${info.address}:${info.port} (storage: ${config.storage.provider})`,
      ),
  });
}

main().catch((err: unknown) => {
  console.error('callrec: failed to start', err);
  process.exit(1);
});
