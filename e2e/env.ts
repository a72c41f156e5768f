import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

/** Ports of their own, so the e2e never talks to a demo someone left running on 8787/5173. */
/** CALLREC_E2E_PORT_OFFSET shifts all three, so a second run can go on beside one in progress. */
const PORT_OFFSET = Number(process.env.CALLREC_E2E_PORT_OFFSET ?? 0);
export const SERVER_PORT = 8797 + PORT_OFFSET;
/** A second demo backend, storing in S3 (Ceph RGW from scripts/s3-server.sh) instead of local disk. */
export const S3_SERVER_PORT = 8798 + PORT_OFFSET;
export const PAGE_PORT = 5183 + PORT_OFFSET;
export const SERVER_URL = `http://127.0.0.1:${SERVER_PORT}`;
export const S3_SERVER_URL = `http://127.0.0.1:${S3_SERVER_PORT}`;
export const PAGE_URL = `http://127.0.0.1:${PAGE_PORT}`;
export const REPO_ROOT = resolve(import.meta.dirname, '..');

/** 64 KiB parts on local disk: every track (audio too, ~16 KB/s) uploads several parts while the call runs. */
export const LOCAL_PART_SIZE = 64 * 1024;
/** S3's smallest part; the S3 project's camera (grainy, 6 Mbit/s) fills two in the call. */
export const S3_PART_SIZE = 5 * 1024 * 1024;
export const S3_VIDEO_BITS_PER_SECOND = 6_000_000;

/** Deterministic camera and microphone input, made by global-setup.ts (cached across runs). */
export const MEDIA_DIR = join(tmpdir(), 'callrec-e2e-media-v2');
export const FAKE_VIDEO = join(MEDIA_DIR, 'camera.y4m');
/**
 * The same camera under grain. The clean pattern is so compressible that Chromium's VP8 stays near
 * 2.5 Mbit/s whatever bitrate is asked; with grain it spends what it is given, so the S3 project's
 * camera fills more than one 5 MiB part in a short call.
 */
export const FAKE_VIDEO_GRAINY = join(MEDIA_DIR, 'camera-grainy.y4m');
export const FAKE_AUDIO = join(MEDIA_DIR, 'microphone.wav');

/**
 * Per-run choices (output directories, bucket) live in the environment: Playwright evaluates the
 * config in the runner and again in every worker, and workers inherit the runner's environment,
 * so the first choice sticks.
 */
function perRun(name: string, choose: () => string): string {
  process.env[name] ??= choose();
  return process.env[name];
}

/** A fresh RECORDING_OUTPUT_DIR per run and backend (the S3 backend keeps only its state there). */
export function outputDir(storage: 'local' | 's3' = 'local'): string {
  return perRun(`CALLREC_E2E_${storage.toUpperCase()}_OUTPUT_DIR`, () =>
    mkdtempSync(join(tmpdir(), `callrec-e2e-${storage}-`)),
  );
}

/** Set to 1 to run the e2e against local disk only (the same switch as the S3 integration tests). */
export const S3_OPT_OUT = 'CALLREC_SKIP_S3_TESTS';

export interface S3Env {
  endpoint: string;
  region: string;
  credentials: { accessKeyId: string; secretAccessKey: string };
  /** A fresh bucket per run, made by global-setup.ts and removed by global-teardown.ts. */
  bucket: string;
}

/** The S3 server the S3 project records into; undefined when opted out, an error when it is missing. */
export function s3Env(env = process.env): S3Env | undefined {
  if (env[S3_OPT_OUT] === '1') return undefined;
  const endpoint = env.CALLREC_TEST_S3_ENDPOINT;
  const accessKeyId = env.CALLREC_TEST_S3_ACCESS_KEY_ID;
  const secretAccessKey = env.CALLREC_TEST_S3_SECRET_ACCESS_KEY;
  if (!endpoint || !accessKeyId || !secretAccessKey) {
    throw new Error(
      'The e2e records into S3 as well as local disk, and CALLREC_TEST_S3_ENDPOINT / _ACCESS_KEY_ID / ' +
        '_SECRET_ACCESS_KEY are not set. Start the test server with: eval "$(scripts/s3-server.sh start)"  ' +
        `(or set ${S3_OPT_OUT}=1 to run against local disk only).`,
    );
  }
  return {
    endpoint,
    region: env.CALLREC_TEST_S3_REGION ?? 'us-east-1',
    credentials: { accessKeyId, secretAccessKey },
    bucket: perRun('CALLREC_E2E_S3_BUCKET', () => `callrec-e2e-${randomBytes(5).toString('hex')}`),
  };
}
