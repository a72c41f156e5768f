import { defineConfig } from '@playwright/test';
import { fakeMediaChromium } from './chromium.js';
import {
  FAKE_AUDIO,
  FAKE_VIDEO,
  FAKE_VIDEO_GRAINY,
  LOCAL_PART_SIZE,
  outputDir,
  PAGE_PORT,
  PAGE_URL,
  REPO_ROOT,
  S3_PART_SIZE,
  S3_SERVER_PORT,
  SERVER_PORT,
  SERVER_URL,
  s3Env,
} from './env.js';
import type { StorageName } from './storage.js';

// Throws with instructions when no S3 server is configured (CALLREC_SKIP_S3_TESTS=1 opts out).
const s3 = s3Env();

/** The demo backend on `port`, storing as `env` says. */
function demoBackend(port: number, env: Record<string, string>) {
  return {
    command: 'node_modules/.bin/tsx packages/demo/server/main.ts',
    cwd: REPO_ROOT,
    url: `http://127.0.0.1:${port}/healthz`,
    env: { PORT: String(port), HOST: '127.0.0.1', ...env },
    reuseExistingServer: false,
    timeout: 60_000,
    stdout: 'pipe' as const,
    // SIGTERM lets the server flush its state files before it exits.
    gracefulShutdown: { signal: 'SIGTERM' as const, timeout: 5_000 },
  };
}

/** Debian's Chromium with `camera` and the microphone as fake devices. */
function chromium(camera: string) {
  return fakeMediaChromium(camera, FAKE_AUDIO);
}

export default defineConfig<{ storage: StorageName }>({
  testDir: '.',
  testMatch: '*.spec.ts',
  outputDir: 'test-results',
  globalSetup: './global-setup.ts',
  globalTeardown: './global-teardown.ts',
  // 2 cores: one call with four recorders plus ffmpeg processing is all the machine can take.
  workers: 1,
  fullyParallel: false,
  retries: 0,
  // Processing shares 2 cores with the browser; under load it takes minutes, not seconds.
  timeout: 360_000,
  expect: { timeout: 20_000 },
  reporter: [['list']],
  // The full recording flow and the fault tests run once per storage (the page picks its backend
  // from the URL); other specs are about the SDK and the page, and run once, on local disk.
  projects: [
    { name: 'local', use: { storage: 'local' } },
    ...(s3
      ? [
          {
            name: 's3',
            testMatch: ['record-call.spec.ts', 'faults.spec.ts'],
            // The grainy camera: see FAKE_VIDEO_GRAINY.
            use: { storage: 's3' as const, launchOptions: chromium(FAKE_VIDEO_GRAINY) },
          },
        ]
      : []),
  ],
  use: {
    baseURL: PAGE_URL,
    browserName: 'chromium',
    viewport: { width: 1200, height: 900 },
    // DOM snapshots only: a screencast would compete with the recorders for the 2 cores.
    trace: { mode: 'retain-on-failure', screenshots: false, snapshots: true },
    launchOptions: chromium(FAKE_VIDEO),
  },
  webServer: [
    demoBackend(SERVER_PORT, {
      RECORDING_OUTPUT_DIR: outputDir('local'),
      RECORDING_PART_SIZE: String(LOCAL_PART_SIZE),
      RECORDING_MIN_PART_SIZE: String(LOCAL_PART_SIZE),
    }),
    ...(s3
      ? [
          demoBackend(S3_SERVER_PORT, {
            // Only the server's state: the recordings themselves go to the bucket.
            RECORDING_OUTPUT_DIR: outputDir('s3'),
            RECORDING_STORAGE_PROVIDER: 'aws',
            RECORDING_STORAGE_BUCKET: s3.bucket,
            RECORDING_STORAGE_REGION: s3.region,
            RECORDING_STORAGE_ENDPOINT: s3.endpoint,
            AWS_ACCESS_KEY_ID: s3.credentials.accessKeyId,
            AWS_SECRET_ACCESS_KEY: s3.credentials.secretAccessKey,
            RECORDING_PART_SIZE: String(S3_PART_SIZE),
          }),
        ]
      : []),
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
