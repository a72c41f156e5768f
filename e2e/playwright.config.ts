import { defineConfig } from '@playwright/test';
import {
  FAKE_AUDIO,
  FAKE_VIDEO,
  outputDir,
  PAGE_PORT,
  PAGE_URL,
  REPO_ROOT,
  SERVER_PORT,
  SERVER_URL,
} from './env.js';

const recordingOutputDir = outputDir();
const PART_SIZE = 64 * 1024;

export default defineConfig({
  testDir: '.',
  testMatch: '*.spec.ts',
  outputDir: 'test-results',
  globalSetup: './global-setup.ts',
  // 2 cores: one call with four recorders plus ffmpeg processing is all the machine can take.
  workers: 1,
  fullyParallel: false,
  retries: 0,
  // Processing shares 2 cores with the browser; under load it takes minutes, not seconds.
  timeout: 360_000,
  expect: { timeout: 20_000 },
  reporter: [['list']],
  use: {
    baseURL: PAGE_URL,
    browserName: 'chromium',
    viewport: { width: 1200, height: 900 },
    // DOM snapshots only: a screencast would compete with the recorders for the 2 cores.
    trace: { mode: 'retain-on-failure', screenshots: false, snapshots: true },
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
        '--use-fake-ui-for-media-stream',
        '--use-fake-device-for-media-stream=fps=30',
        `--use-file-for-fake-video-capture=${FAKE_VIDEO}`,
        `--use-file-for-fake-audio-capture=${FAKE_AUDIO}`,
        '--autoplay-policy=no-user-gesture-required',
      ],
    },
  },
  webServer: [
    {
      command: 'node_modules/.bin/tsx packages/demo/server/main.ts',
      cwd: REPO_ROOT,
      url: `${SERVER_URL}/healthz`,
      env: {
        PORT: String(SERVER_PORT),
        HOST: '127.0.0.1',
        RECORDING_OUTPUT_DIR: recordingOutputDir,
        // 64 KiB parts: every track (audio too, ~16 KB/s) uploads several parts while the call runs.
        RECORDING_PART_SIZE: String(PART_SIZE),
        RECORDING_MIN_PART_SIZE: String(PART_SIZE),
      },
      reuseExistingServer: false,
      timeout: 60_000,
      stdout: 'pipe',
      // SIGTERM lets the server flush its state files before it exits.
      gracefulShutdown: { signal: 'SIGTERM', timeout: 5_000 },
    },
    {
      command: `node_modules/.bin/vite --port ${PAGE_PORT}`,
      cwd: `${REPO_ROOT}/packages/demo`,
      url: PAGE_URL,
      env: { VITE_CALLREC_SERVER: SERVER_URL, DEMO_HMR: '0' },
      reuseExistingServer: false,
      timeout: 60_000,
    },
  ],
});
