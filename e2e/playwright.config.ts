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

export default defineConfig({
  testDir: '.',
  testMatch: '*.spec.ts',
  outputDir: 'test-results',
  globalSetup: './global-setup.ts',
  // 2 cores: one call with four recorders plus ffmpeg processing is all the machine can take.
  workers: 1,
  fullyParallel: false,
  retries: 0,
  timeout: 180_000,
  expect: { timeout: 20_000 },
  reporter: [['list']],
  use: {
    baseURL: PAGE_URL,
    browserName: 'chromium',
    viewport: { width: 1200, height: 900 },
    trace: 'retain-on-failure',
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
      env: { PORT: String(SERVER_PORT), HOST: '127.0.0.1', RECORDING_OUTPUT_DIR: recordingOutputDir },
      reuseExistingServer: false,
      timeout: 60_000,
      stdout: 'pipe',
    },
    {
      command: `node_modules/.bin/vite --port ${PAGE_PORT}`,
      cwd: `${REPO_ROOT}/packages/demo`,
      url: PAGE_URL,
      env: { VITE_CALLREC_SERVER: SERVER_URL },
      reuseExistingServer: false,
      timeout: 60_000,
    },
  ],
});
