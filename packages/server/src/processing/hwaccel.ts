import { access } from 'node:fs/promises';
import type { VideoCodec } from '@callrec/sdk/protocol';
import { keyframeInterval, type VideoEncodeTarget, videoBitrateKbps, videoEncoderArgs } from './codecs.js';
import { type HwAccelMode, ProcessingError } from './job.js';
import { runTool } from './run-ffmpeg.js';

/** What an ffmpeg run needs for one video encoder; `compositeArgs` and `participantArgs` take it. */
export interface EncoderArgs {
  /** Before the first `-i` (device set-up). */
  inputArgs: string[];
  /** Appended to the last filter of the video chain, after `format=yuv420p` (e.g. `hwupload`). */
  filterSuffix: string;
  /** `-c:v` and its options. */
  outputArgs: string[];
}

export interface EncoderChoice extends EncoderArgs {
  /** ffmpeg encoder name: libvpx, libx264, h264_vaapi, ... */
  name: string;
  hardware: boolean;
  /** Why a hardware mode ended up in software; absent when nothing was asked or nothing failed. */
  fallbackReason?: string;
}

/** The encoder a step ended up using, as reported in StepTiming and logs. */
export type EncoderUsed = Pick<EncoderChoice, 'name' | 'hardware' | 'fallbackReason'>;

type HardwareApi = Exclude<HwAccelMode, 'none' | 'auto'>;

export interface HwCapabilities {
  /** Encoder names from `ffmpeg -encoders`. */
  encoders: ReadonlySet<string>;
  /** Method names from `ffmpeg -hwaccels`. */
  hwaccels: ReadonlySet<string>;
  /** DRM render node for VAAPI and QSV, when the machine has one. */
  renderDevice?: string;
  /** An NVIDIA driver is loaded (`/dev/nvidiactl`). */
  nvidia: boolean;
}

const RENDER_DEVICE = '/dev/dri/renderD128';
const NVIDIA_DEVICE = '/dev/nvidiactl';

/** Hardware encoders per API and output codec; NVENC has no VP8/VP9 encoder, QSV no VP8. */
const HARDWARE_ENCODERS: Record<HardwareApi, Partial<Record<VideoCodec, string>>> = {
  nvenc: { h264: 'h264_nvenc' },
  vaapi: { h264: 'h264_vaapi', vp8: 'vp8_vaapi', vp9: 'vp9_vaapi' },
  qsv: { h264: 'h264_qsv', vp9: 'vp9_qsv' },
};

/** `-hwaccels` method each API needs ffmpeg to be built with. */
const HWACCEL_METHOD: Record<HardwareApi, string> = { nvenc: 'cuda', vaapi: 'vaapi', qsv: 'qsv' };

/** The order `auto` tries: NVENC is the fastest where present; VAAPI covers Intel and AMD. */
const AUTO_ORDER: readonly HardwareApi[] = ['nvenc', 'vaapi', 'qsv'];

/** Software encoding, exactly as before hardware support: `videoEncoderArgs`. */
export function softwareEncoder(
  codec: VideoCodec,
  target: VideoEncodeTarget,
  fallbackReason?: string,
): EncoderChoice {
  const outputArgs = videoEncoderArgs(codec, target);
  const name = outputArgs[outputArgs.indexOf('-c:v') + 1] ?? codec;
  return {
    name,
    hardware: false,
    inputArgs: [],
    filterSuffix: '',
    outputArgs,
    ...(fallbackReason ? { fallbackReason } : {}),
  };
}

function hardwareArgs(
  api: HardwareApi,
  encoder: string,
  device: string | undefined,
  codec: VideoCodec,
  target: VideoEncodeTarget,
): EncoderArgs {
  const rate = ['-b:v', `${videoBitrateKbps(codec, target.width, target.height, target.fps)}k`];
  const gop = ['-g', keyframeInterval(target.fps)];
  switch (api) {
    case 'vaapi':
      return {
        inputArgs: ['-vaapi_device', device ?? RENDER_DEVICE],
        filterSuffix: 'format=nv12,hwupload',
        outputArgs: ['-c:v', encoder, ...rate, ...gop],
      };
    case 'qsv':
      return {
        inputArgs: [
          ...['-init_hw_device', `vaapi=va:${device ?? RENDER_DEVICE}`],
          ...['-init_hw_device', 'qsv=qs@va', '-filter_hw_device', 'qs'],
        ],
        filterSuffix: 'format=nv12,hwupload=extra_hw_frames=64',
        outputArgs: ['-c:v', encoder, ...rate, ...gop],
      };
    case 'nvenc':
      // NVENC takes yuv420p frames from system memory; no upload filter needed.
      return {
        inputArgs: [],
        filterSuffix: '',
        outputArgs: ['-c:v', encoder, '-preset', 'p4', ...rate, ...gop],
      };
  }
}

/** Why `api` cannot encode `codec` here, or undefined when it can. */
function unavailable(api: HardwareApi, codec: VideoCodec, caps: HwCapabilities): string | undefined {
  const encoder = HARDWARE_ENCODERS[api][codec];
  if (!encoder) return `${api} has no ${codec} encoder`;
  if (!caps.encoders.has(encoder)) return `ffmpeg has no ${encoder} encoder`;
  if (!caps.hwaccels.has(HWACCEL_METHOD[api])) return `ffmpeg was built without ${HWACCEL_METHOD[api]}`;
  if (api === 'nvenc' && !caps.nvidia) return `no NVIDIA driver (${NVIDIA_DEVICE})`;
  if (api !== 'nvenc' && !caps.renderDevice) return `no render device (${RENDER_DEVICE})`;
  return undefined;
}

/**
 * The encoder for one output stream: the first hardware API the mode allows that this machine
 * can use for `codec`, else software with the reasons each API was passed over.
 */
export function chooseVideoEncoder(
  mode: HwAccelMode,
  codec: VideoCodec,
  target: VideoEncodeTarget,
  caps: HwCapabilities,
): EncoderChoice {
  if (mode === 'none') return softwareEncoder(codec, target);
  const reasons: string[] = [];
  for (const api of mode === 'auto' ? AUTO_ORDER : [mode]) {
    const problem = unavailable(api, codec, caps);
    if (problem) {
      reasons.push(`${api}: ${problem}`);
      continue;
    }
    const name = HARDWARE_ENCODERS[api][codec] ?? '';
    return { name, hardware: true, ...hardwareArgs(api, name, caps.renderDevice, codec, target) };
  }
  return softwareEncoder(codec, target, `hwaccel ${mode}: ${reasons.join('; ')}`);
}

/** Names in the first column after the flags of `ffmpeg -encoders` (` V....D libx264  ...`). */
export function parseEncoders(stdout: string): Set<string> {
  const names = new Set<string>();
  for (const line of stdout.split('\n')) {
    const match = /^\s*[VAS][.A-Z]{5}\s+(\S+)/.exec(line);
    if (match?.[1] && match[1] !== '=') names.add(match[1]);
  }
  return names;
}

/** Method names listed after the header of `ffmpeg -hwaccels`. */
export function parseHwaccels(stdout: string): Set<string> {
  const lines = stdout.split('\n').map((l) => l.trim());
  const start = lines.findIndex((l) => /^Hardware acceleration methods/i.test(l));
  return new Set(lines.slice(start + 1).filter((l) => /^[a-z0-9_]+$/.test(l)));
}

const exists = (path: string) =>
  access(path).then(
    () => true,
    // A missing device is the answer to the question, not an error.
    () => false,
  );

async function probeCapabilities(): Promise<HwCapabilities> {
  const ffmpeg = (flag: string) =>
    runTool('ffmpeg', ['-hide_banner', flag], { step: 'hwaccel', inputs: [], captureStdout: true });
  const [encoders, hwaccels, render, nvidia] = await Promise.all([
    ffmpeg('-encoders'),
    ffmpeg('-hwaccels'),
    exists(RENDER_DEVICE),
    exists(NVIDIA_DEVICE),
  ]);
  return {
    encoders: parseEncoders(encoders),
    hwaccels: parseHwaccels(hwaccels),
    ...(render ? { renderDevice: RENDER_DEVICE } : {}),
    nvidia,
  };
}

let detected: Promise<HwCapabilities> | undefined;

/** What this machine's ffmpeg and devices offer; probed once per process. */
export function detectCapabilities(): Promise<HwCapabilities> {
  detected ??= probeCapabilities().catch((error: unknown) => {
    // Let the next job probe again rather than caching a transient failure.
    detected = undefined;
    throw error;
  });
  return detected;
}

export interface FallbackLogger {
  warn(message: string): void;
}

export interface EncodeOptions<T> {
  /** What `job.hwaccel` chose; see `chooseVideoEncoder`. */
  choice: EncoderChoice;
  /** What runs when the hardware encoder fails. */
  software: EncoderChoice;
  /** One ffmpeg run of the step with the given encoder. */
  run: (encoder: EncoderArgs) => Promise<T>;
  log: FallbackLogger;
  /** Names the step in log lines: `participant alice`. */
  label: string;
  signal?: AbortSignal;
}

/**
 * Runs an encoding step with the chosen encoder; when a hardware encoder makes ffmpeg fail, runs
 * the step again in software and reports why (returned and logged). Software failures and aborts
 * are not retried.
 */
export async function encodeWithFallback<T>(
  options: EncodeOptions<T>,
): Promise<{ result: T; encoder: EncoderUsed }> {
  const { choice, software, run, log, label, signal } = options;
  const used = (c: EncoderChoice, fallbackReason = c.fallbackReason): EncoderUsed => ({
    name: c.name,
    hardware: c.hardware,
    ...(fallbackReason ? { fallbackReason } : {}),
  });
  if (choice.fallbackReason) log.warn(`callrec: ${label}: encoding in software (${choice.fallbackReason})`);
  if (!choice.hardware) return { result: await run(choice), encoder: used(choice) };
  try {
    return { result: await run(choice), encoder: used(choice) };
  } catch (error) {
    if (signal?.aborted || !(error instanceof ProcessingError)) throw error;
    const lastLine = error.details.stderrTail.trim().split('\n').at(-1) ?? '';
    const reason = `${choice.name} failed (exit ${error.details.exitCode}${lastLine ? `: ${lastLine}` : ''})`;
    log.warn(`callrec: ${label}: ${reason}; encoding again in software with ${software.name}`);
    return { result: await run(software), encoder: used(software, reason) };
  }
}
