import { resolve } from 'node:path';
import type {
  AudioCodec,
  CompositeLayout,
  OutputFormat,
  StorageProviderName,
  VideoCodec,
} from '@callrec/sdk/protocol';
import { outputCodecsProblem } from './processing/codecs.js';
import type { HwAccelMode } from './processing/job.js';

/** The composite settings a recording may choose; the env sets the defaults. */
export interface CompositeSettings {
  width: number;
  height: number;
  fps: number;
  layout: CompositeLayout;
  labels: boolean;
}

export interface ServerConfig {
  /** Absolute. Root of the local provider, and of the server's own state (`.state/`). */
  outputDir: string;
  format: OutputFormat;
  videoCodec: VideoCodec;
  audioCodec: AudioCodec;
  storage: { provider: StorageProviderName; bucket?: string; region?: string; endpoint?: string };
  tokenSecret: string;
  /** True when RECORDING_DEV=1 supplied the well-known development secret. */
  usingDevSecret: boolean;
  processingConcurrency: number;
  /** Part size the SDK is told to use. */
  partSize: number;
  /** Smallest non-last part the local provider accepts (S3's rule, lowered in tests). */
  minPartSize: number;
  /** Largest part the local provider accepts. */
  maxPartSize: number;
  /** Defaults for recordings that do not choose (RECORDING_COMPOSITE_*, RECORDING_LAYOUT, RECORDING_LABELS). */
  composite: CompositeSettings;
  /** ffmpeg hardware acceleration, server-wide (RECORDING_HWACCEL). */
  hwaccel: HwAccelMode;
  port: number;
  host: string;
  /** Base URL put in signed URLs, without a trailing slash. */
  publicUrl: string;
  /** Browser origins allowed by CORS; `*` allows any (tokens travel in headers, not cookies). */
  corsOrigins: string[] | '*';
  /** Uploads with no register/sign/complete request for this long are aborted (`upload_abandoned`). */
  abandonedUploadMs: number;
}

const MiB = 1024 * 1024;

export const CONFIG_DEFAULTS = {
  outputDir: './recordings',
  format: 'webm',
  videoCodec: 'vp8',
  audioCodec: 'opus',
  provider: 'local',
  processingConcurrency: 1,
  partSize: 8 * MiB,
  minPartSize: 5 * MiB,
  maxPartSize: 64 * MiB,
  width: 1280,
  height: 720,
  fps: 30,
  layout: 'grid',
  labels: false,
  hwaccel: 'none',
  port: 8787,
  host: '127.0.0.1',
  abandonedUploadMs: 24 * 60 * 60 * 1000,
} as const;

/** Composite sizes and rates allowed, from the env and per recording; sizes must be even. */
export const COMPOSITE_LIMITS = {
  width: { min: 16, max: 7680 },
  height: { min: 16, max: 4320 },
  fps: { min: 1, max: 120 },
} as const;

export const COMPOSITE_LAYOUTS = ['grid', 'speaker'] as const satisfies readonly CompositeLayout[];
export const HWACCEL_MODES = [
  'none',
  'auto',
  'vaapi',
  'nvenc',
  'qsv',
] as const satisfies readonly HwAccelMode[];

/** Only for RECORDING_DEV=1: anyone can mint tokens with it, so it never protects anything. */
export const DEV_TOKEN_SECRET = 'callrec-development-secret-do-not-use-in-production';
const MIN_SECRET_LENGTH = 32;

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid server configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
  }
}

type Env = Record<string, string | undefined>;

/** Reads the server configuration from environment variables; throws one ConfigError listing every problem. */
export function loadConfig(env: Env = process.env): ServerConfig {
  const problems: string[] = [];
  const read = new EnvReader(env, problems);
  const d = CONFIG_DEFAULTS;
  const L = COMPOSITE_LIMITS;

  const format = read.oneOf('RECORDING_FORMAT', ['webm', 'mp4'] as const, d.format);
  const videoCodec = read.oneOf('RECORDING_VIDEO_CODEC', ['vp8', 'vp9', 'h264'] as const, d.videoCodec);
  const audioCodec = read.oneOf('RECORDING_AUDIO_CODEC', ['opus', 'aac'] as const, d.audioCodec);
  const codecs = outputCodecsProblem(format, videoCodec, audioCodec);
  if (codecs) problems.push(`RECORDING_FORMAT/RECORDING_*_CODEC: ${codecs}`);

  const provider = read.oneOf('RECORDING_STORAGE_PROVIDER', ['local', 'aws', 'gcp'] as const, d.provider);
  const bucket = read.string('RECORDING_STORAGE_BUCKET');
  if (provider !== 'local' && !bucket) problems.push(`RECORDING_STORAGE_BUCKET is required for ${provider}`);

  const partSize = read.int('RECORDING_PART_SIZE', d.partSize, 1024, d.maxPartSize);
  const minPartSize = read.int('RECORDING_MIN_PART_SIZE', d.minPartSize, 1, d.maxPartSize);
  if (partSize < minPartSize) {
    problems.push(
      `RECORDING_PART_SIZE (${partSize}) must be at least RECORDING_MIN_PART_SIZE (${minPartSize})`,
    );
  }

  const devMode = read.string('RECORDING_DEV') === '1';
  let tokenSecret = read.string('RECORDING_TOKEN_SECRET');
  const usingDevSecret = !tokenSecret && devMode;
  if (usingDevSecret) tokenSecret = DEV_TOKEN_SECRET;
  if (!tokenSecret) {
    problems.push('RECORDING_TOKEN_SECRET is required (or set RECORDING_DEV=1 for a development secret)');
  } else if (tokenSecret.length < MIN_SECRET_LENGTH) {
    problems.push(
      `RECORDING_TOKEN_SECRET must be at least ${MIN_SECRET_LENGTH} characters (try: openssl rand -hex 32)`,
    );
  }

  const port = read.int('PORT', d.port, 0, 65535);
  const host = read.string('HOST') ?? d.host;
  const publicUrl =
    read.url('RECORDING_PUBLIC_URL') ?? `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  const origins = read.string('RECORDING_CORS_ORIGINS');

  const config: ServerConfig = {
    outputDir: resolve(read.string('RECORDING_OUTPUT_DIR') ?? d.outputDir),
    format,
    videoCodec,
    audioCodec,
    storage: {
      provider,
      bucket,
      region: read.string('RECORDING_STORAGE_REGION'),
      endpoint: read.url('RECORDING_STORAGE_ENDPOINT'),
    },
    tokenSecret: tokenSecret ?? '',
    usingDevSecret,
    processingConcurrency: read.int('RECORDING_PROCESSING_CONCURRENCY', d.processingConcurrency, 1, 64),
    partSize,
    minPartSize,
    maxPartSize: d.maxPartSize,
    composite: {
      width: read.int('RECORDING_COMPOSITE_WIDTH', d.width, L.width.min, L.width.max, 2),
      height: read.int('RECORDING_COMPOSITE_HEIGHT', d.height, L.height.min, L.height.max, 2),
      fps: read.int('RECORDING_COMPOSITE_FPS', d.fps, L.fps.min, L.fps.max),
      layout: read.oneOf('RECORDING_LAYOUT', COMPOSITE_LAYOUTS, d.layout),
      labels: read.oneOf('RECORDING_LABELS', ['0', '1'] as const, d.labels ? '1' : '0') === '1',
    },
    hwaccel: read.oneOf('RECORDING_HWACCEL', HWACCEL_MODES, d.hwaccel),
    port,
    host,
    publicUrl: publicUrl.replace(/\/+$/, ''),
    corsOrigins: !origins || origins.trim() === '*' ? '*' : origins.split(',').map((o) => o.trim()),
    abandonedUploadMs: read.int('RECORDING_ABANDONED_UPLOAD_MS', d.abandonedUploadMs, 10, 365 * 86_400_000),
  };
  if (problems.length > 0) throw new ConfigError(problems);
  return config;
}

class EnvReader {
  constructor(
    readonly env: Env,
    readonly problems: string[],
  ) {}

  string(name: string): string | undefined {
    const value = this.env[name]?.trim();
    return value === '' ? undefined : value;
  }

  oneOf<T extends string>(name: string, allowed: readonly T[], fallback: T): T {
    const value = this.string(name);
    if (value === undefined) return fallback;
    if ((allowed as readonly string[]).includes(value)) return value as T;
    this.problems.push(`${name}=${JSON.stringify(value)} must be one of: ${allowed.join(', ')}`);
    return fallback;
  }

  int(name: string, fallback: number, min: number, max: number, multipleOf = 1): number {
    const value = this.string(name);
    if (value === undefined) return fallback;
    const n = /^\d+$/.test(value) ? Number(value) : Number.NaN;
    if (!Number.isSafeInteger(n) || n < min || n > max || n % multipleOf !== 0) {
      const multiple = multipleOf > 1 ? `, a multiple of ${multipleOf}` : '';
      this.problems.push(
        `${name}=${JSON.stringify(value)} must be an integer from ${min} to ${max}${multiple}`,
      );
      return fallback;
    }
    return n;
  }

  url(name: string): string | undefined {
    const value = this.string(name);
    if (value === undefined) return undefined;
    if (URL.canParse(value) && /^https?:$/.test(new URL(value).protocol)) return value;
    this.problems.push(`${name}=${JSON.stringify(value)} must be an http(s) URL`);
    return undefined;
  }
}
