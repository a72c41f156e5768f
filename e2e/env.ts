import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

/** Ports of their own, so the e2e never talks to a demo someone left running on 8787/5173. */
export const SERVER_PORT = 8797;
export const PAGE_PORT = 5183;
export const SERVER_URL = `http://127.0.0.1:${SERVER_PORT}`;
export const PAGE_URL = `http://127.0.0.1:${PAGE_PORT}`;
export const REPO_ROOT = resolve(import.meta.dirname, '..');

/** Deterministic camera and microphone input, made by global-setup.ts (cached across runs). */
export const MEDIA_DIR = join(tmpdir(), 'callrec-e2e-media-v1');
export const FAKE_VIDEO = join(MEDIA_DIR, 'camera.y4m');
export const FAKE_AUDIO = join(MEDIA_DIR, 'microphone.wav');

/**
 * A fresh RECORDING_OUTPUT_DIR per run. Playwright evaluates the config in the runner and again in
 * every worker; workers inherit the runner's environment, so the first choice sticks.
 */
export function outputDir(): string {
  process.env.CALLREC_E2E_OUTPUT_DIR ??= mkdtempSync(join(tmpdir(), 'callrec-e2e-recordings-'));
  return process.env.CALLREC_E2E_OUTPUT_DIR;
}
