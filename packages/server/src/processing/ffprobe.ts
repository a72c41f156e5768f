import type { MediaKind } from '@callrec/sdk/protocol';
import { ProcessingError } from './job.js';
import { runTool } from './run-ffmpeg.js';

export interface ProbedStream {
  index: number;
  kind: MediaKind | 'other';
  /** ffprobe `codec_name`: vp8, vp9, h264, opus, aac, ... */
  codec: string;
  width?: number;
  height?: number;
  /** Audio channels. */
  channels?: number;
  /** `r_frame_rate` as ffprobe prints it; MediaRecorder WebM says 1000/1. */
  frameRate?: string;
  /** Opus only: the samples (48 kHz) its header tells a decoder to drop, OpusHead's pre-skip. */
  opusPreSkip?: number;
}

export interface ProbeResult {
  /** Seconds; `undefined` for files without one (raw MediaRecorder output). */
  duration?: number;
  /** Seconds; what ffmpeg's `-ss` is relative to. */
  startTime: number;
  streams: ProbedStream[];
  hasAudio: boolean;
  hasVideo: boolean;
}

interface RawProbe {
  format?: { duration?: string; start_time?: string };
  streams?: Array<{
    index: number;
    codec_type?: string;
    codec_name?: string;
    width?: number;
    height?: number;
    channels?: number;
    r_frame_rate?: string;
    /** With `-show_data`: a hex dump, `00000000: 4f70 7573 ...  OpusHead....` per 16 bytes. */
    extradata?: string;
  }>;
}

const number = (text: string | undefined): number | undefined => {
  const value = text === undefined ? Number.NaN : Number.parseFloat(text);
  return Number.isFinite(value) ? value : undefined;
};

/** The bytes of one of ffprobe's `-show_data` hex dumps. */
export function hexDumpBytes(dump: string): Uint8Array {
  const bytes: number[] = [];
  for (const line of dump.split('\n')) {
    // "00000010: 0000 00                                  ...": the hex groups end at the double space.
    const hex = /^[0-9a-f]{8}: (.*?)(?: {2}|$)/.exec(line)?.[1]?.replaceAll(' ', '') ?? '';
    for (let i = 0; i + 1 < hex.length; i += 2) bytes.push(Number.parseInt(hex.slice(i, i + 2), 16));
  }
  return Uint8Array.from(bytes);
}

/** OpusHead's pre-skip (bytes 10-11, little-endian), or undefined if `extradata` is not an OpusHead. */
export function opusPreSkip(extradata: Uint8Array): number | undefined {
  const magic = new TextDecoder().decode(extradata.subarray(0, 8));
  if (magic !== 'OpusHead' || extradata.length < 12) return undefined;
  return (extradata[10] as number) | ((extradata[11] as number) << 8);
}

export async function probe(path: string, signal?: AbortSignal): Promise<ProbeResult> {
  const args = ['-v', 'error', '-print_format', 'json', '-show_format', '-show_streams', '-show_data', path];
  const stdout = await runTool('ffprobe', args, {
    step: 'probe',
    inputs: [path],
    signal,
    captureStdout: true,
  });
  const raw = JSON.parse(stdout) as RawProbe;
  const streams: ProbedStream[] = (raw.streams ?? []).map((s) => {
    const preSkip =
      s.codec_name === 'opus' && s.extradata ? opusPreSkip(hexDumpBytes(s.extradata)) : undefined;
    return {
      index: s.index,
      kind: s.codec_type === 'audio' || s.codec_type === 'video' ? s.codec_type : 'other',
      codec: s.codec_name ?? 'unknown',
      width: s.width,
      height: s.height,
      channels: s.channels,
      frameRate: s.r_frame_rate,
      ...(preSkip === undefined ? {} : { opusPreSkip: preSkip }),
    };
  });
  return {
    duration: number(raw.format?.duration),
    startTime: number(raw.format?.start_time) ?? 0,
    streams,
    hasAudio: streams.some((s) => s.kind === 'audio'),
    hasVideo: streams.some((s) => s.kind === 'video'),
  };
}

/** How far before the end packets are read; a keyframe interval or two, whatever the encoder. */
const TAIL_WINDOW_SECONDS = 10;

/**
 * Presentation time (seconds) of the last video frame. Only the tail is read: `-read_intervals`
 * seeks to the keyframe before `duration - window`, so this costs the same for any length.
 * The largest pts wins, not the last packet, because B-frames reorder.
 */
export async function lastVideoFrameTime(
  path: string,
  duration?: number,
  signal?: AbortSignal,
): Promise<number> {
  const from = duration === undefined ? 0 : Math.max(0, duration - TAIL_WINDOW_SECONDS);
  const args = [
    '-v',
    'error',
    '-select_streams',
    'v:0',
    '-read_intervals',
    `${from.toFixed(3)}%`,
    '-show_entries',
    'packet=pts_time',
    '-of',
    'csv=p=0',
    path,
  ];
  const stdout = await runTool('ffprobe', args, {
    step: 'probe',
    inputs: [path],
    signal,
    captureStdout: true,
  });
  let last = Number.NEGATIVE_INFINITY;
  for (const line of stdout.split('\n')) {
    const time = Number.parseFloat(line);
    if (Number.isFinite(time) && time > last) last = time;
  }
  if (last === Number.NEGATIVE_INFINITY) {
    throw new ProcessingError(`probe: no video packets in ${path}`, {
      step: 'probe',
      exitCode: 0,
      stderrTail: '',
      inputs: [path],
      args,
    });
  }
  return last;
}

/**
 * The largest frame size in a video track. WebRTC video grows mid-file (270p → 720p) while the
 * header keeps the first size; codecs change size only at keyframes (VP9 aside, which rarely
 * does in practice), so decoding keyframes alone finds it cheaply.
 */
export async function largestKeyframeSize(
  path: string,
  signal?: AbortSignal,
): Promise<{ width: number; height: number } | undefined> {
  const args = [
    ...['-v', 'error', '-select_streams', 'v:0', '-skip_frame', 'nokey'],
    ...['-show_entries', 'frame=width,height', '-of', 'csv=p=0', path],
  ];
  const stdout = await runTool('ffprobe', args, {
    step: 'probe',
    inputs: [path],
    signal,
    captureStdout: true,
  });
  let largest: { width: number; height: number } | undefined;
  for (const line of stdout.split('\n')) {
    const [width, height] = line.split(',').map((v) => Number.parseInt(v, 10));
    if (!width || !height) continue;
    if (!largest || width * height > largest.width * largest.height) largest = { width, height };
  }
  return largest;
}

/**
 * How far an audio track's timestamps stray from its sound laid end to end, ms: the spread
 * (largest less smallest) of each packet's timestamp less the end of the packets before it, all
 * durations summed. Sound recorded without a break stays within the timestamps' jitter (±1 ms;
 * up to 9 ms from a 44.1 kHz microphone); a gap or clock drift adds to it. Reads packet headers
 * only, no decoding.
 */
export async function audioTimestampSpreadMs(path: string, signal?: AbortSignal): Promise<number> {
  const args = ['-v', 'error', '-select_streams', 'a:0', '-show_entries', 'packet=pts_time,duration_time'];
  const stdout = await runTool('ffprobe', [...args, '-of', 'csv=p=0', path], {
    step: 'probe',
    inputs: [path],
    signal,
    captureStdout: true,
  });
  let laidOut: number | undefined;
  let lowest = 0;
  let highest = 0;
  for (const line of stdout.split('\n')) {
    const [pts, duration] = line.split(',').map((v) => Number.parseFloat(v));
    if (pts === undefined || !Number.isFinite(pts)) continue;
    laidOut ??= pts;
    lowest = Math.min(lowest, pts - laidOut);
    highest = Math.max(highest, pts - laidOut);
    laidOut += duration !== undefined && Number.isFinite(duration) ? duration : 0;
  }
  return (highest - lowest) * 1000;
}
