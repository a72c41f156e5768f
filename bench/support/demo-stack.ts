import { join, resolve } from 'node:path';
import { CONFIG_DEFAULTS } from '../../packages/server/src/config.js';
import { type Service, startService } from './processes.js';

const REPO_ROOT = resolve(import.meta.dirname, '../..');

export interface BackendOptions {
  port: number;
  /** RECORDING_OUTPUT_DIR: local storage and the server's state files. */
  outputDir: string;
  partSize: number;
  /** More server environment (storage provider and credentials). */
  env?: Record<string, string>;
}

/** The demo's backend (packages/demo/server) on loopback, with the bench's part size. */
export function startDemoBackend(options: BackendOptions): Promise<Service> {
  return startService({
    name: 'demo backend',
    command: join(REPO_ROOT, 'node_modules/.bin/tsx'),
    args: ['packages/demo/server/main.ts'],
    cwd: REPO_ROOT,
    env: {
      PORT: String(options.port),
      HOST: '127.0.0.1',
      RECORDING_OUTPUT_DIR: options.outputDir,
      RECORDING_PART_SIZE: String(options.partSize),
      RECORDING_MIN_PART_SIZE: String(Math.min(options.partSize, CONFIG_DEFAULTS.minPartSize)),
      ...options.env,
    },
    readyUrl: `http://127.0.0.1:${options.port}/healthz`,
  });
}

/** The demo page, Vite's dev server as its own process, talking to `serverUrl`. */
export function startDemoVite(port: number, serverUrl: string): Promise<Service> {
  return startService({
    name: 'vite',
    command: join(REPO_ROOT, 'packages/demo/node_modules/.bin/vite'),
    args: ['--port', String(port), '--strictPort'],
    cwd: join(REPO_ROOT, 'packages/demo'),
    env: { VITE_CALLREC_SERVER: serverUrl, DEMO_HMR: '0' },
    readyUrl: `http://127.0.0.1:${port}`,
  });
}
