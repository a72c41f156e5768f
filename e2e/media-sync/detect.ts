import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { SAMPLE_RATE } from './pattern.js';

const run = promisify(execFile);
const MAX_BUFFER = 512 * 1024 * 1024;

/** A region of the frame as fractions of its width and height (the whole frame by default). */
export interface Region {
  x: number;
  y: number;
  width: number;
  height: number;
}
export const WHOLE_FRAME: Region = { x: 0, y: 0, width: 1, height: 1 };

/**
 * Which plane of the picture to average: luma (`y`) for white flashes, or a chroma plane for
 * coloured ones (`u` rises for blue, `v` for red), which tells participants apart in any layout.
 */
export type Plane = 'y' | 'u' | 'v';

/** The mean of one plane (0–255) over some regions in every decoded frame, with the frame's time. */
export interface LumaTrack {
  /** Seconds, the file's own timestamps (`-copyts`). */
  times: number[];
  /** One array per region, one value per frame. */
  luma: number[][];
}

/** Small grey frames are enough for means over regions, and cheap to decode and pipe. */
const THUMB_W = 64;
const THUMB_H = 36;

/** Decodes the first video stream once; returns each frame's time and mean `plane` value in each region. */
export async function frameLuma(
  path: string,
  regions: readonly Region[] = [WHOLE_FRAME],
  plane: Plane = 'y',
): Promise<LumaTrack> {
  const { stdout, stderr } = await run(
    'ffmpeg',
    [
      '-hide_banner',
      '-copyts',
      '-i',
      path,
      '-map',
      '0:v:0',
      '-vf',
      `scale=${THUMB_W}:${THUMB_H}:flags=area,format=yuv444p,extractplanes=${plane},showinfo`,
      '-fps_mode',
      'passthrough',
      '-f',
      'rawvideo',
      'pipe:1',
    ],
    { encoding: 'buffer', maxBuffer: MAX_BUFFER },
  );
  const times = [
    ...stderr.toString().matchAll(/\[Parsed_showinfo[^\]]*\] n: *\d+ pts: *-?\d+ pts_time:(-?[\d.e+-]+)/g),
  ].map((m) => Number(m[1]));
  const frameBytes = THUMB_W * THUMB_H;
  const frames = Math.floor(stdout.length / frameBytes);
  if (frames !== times.length) throw new Error(`${path}: ${frames} frames but ${times.length} frame times`);
  const luma = regions.map((region) => {
    const x0 = Math.round(region.x * THUMB_W);
    const y0 = Math.round(region.y * THUMB_H);
    const x1 = Math.round((region.x + region.width) * THUMB_W);
    const y1 = Math.round((region.y + region.height) * THUMB_H);
    // One pixel in from each edge: scaling blurs neighbouring cells into the border pixels.
    const [xa, xb, ya, yb] = [x0 + 1, x1 - 1, y0 + 1, y1 - 1];
    const values: number[] = [];
    for (let f = 0; f < frames; f++) {
      let sum = 0;
      for (let y = ya; y < yb; y++) {
        for (let x = xa; x < xb; x++) sum += stdout[f * frameBytes + y * THUMB_W + x] ?? 0;
      }
      values.push(sum / ((xb - xa) * (yb - ya)));
    }
    return values;
  });
  return { times, luma };
}

/**
 * Flash onsets (seconds): the first frame of each run of frames more than `minRise` above the
 * region's usual level (its median: flashes are rare), after at least three frames that were not.
 * A fixed rise rather than a fraction of the brightest frame: the same flash covers the whole
 * frame while a participant is alone and a quarter of it beside another one.
 */
export function flashOnsets(times: readonly number[], values: readonly number[], minRise = 60): number[] {
  const sorted = [...values].sort((a, b) => a - b);
  const threshold = (sorted[Math.floor(sorted.length / 2)] ?? 0) + minRise;
  const quietFrames = 3;
  const onsets: number[] = [];
  let dark = quietFrames;
  values.forEach((value, i) => {
    if (value > threshold) {
      if (dark >= quietFrames) onsets.push(times[i] as number);
      dark = 0;
    } else dark++;
  });
  return onsets;
}

/** Mono 48 kHz samples of the first audio stream; sample i is at i / 48000 s of the file's timeline. */
export async function decodeAudio(path: string): Promise<Float32Array> {
  const { stdout } = await run(
    'ffmpeg',
    [
      '-hide_banner',
      '-v',
      'error',
      '-copyts',
      '-i',
      path,
      '-map',
      '0:a:0',
      // Pads (or trims) to timestamp 0, so sample index and file time agree as they do for video.
      '-af',
      `aresample=${SAMPLE_RATE}:async=1:first_pts=0`,
      '-ac',
      '1',
      '-f',
      'f32le',
      'pipe:1',
    ],
    { encoding: 'buffer', maxBuffer: MAX_BUFFER },
  );
  return new Float32Array(stdout.buffer, stdout.byteOffset, Math.floor(stdout.length / 4));
}

/** Goertzel window and hop: 5 ms windows (200 Hz wide, enough to keep 1 kHz steps apart), 1 ms steps. */
const WINDOW = 240;
const HOP = 48;

/** Amplitude of `hz` in 5 ms windows every 1 ms: a bandpass envelope. */
export function toneEnvelope(samples: Float32Array, hz: number): Float32Array {
  const steps = Math.max(0, Math.floor((samples.length - WINDOW) / HOP) + 1);
  const envelope = new Float32Array(steps);
  const coefficient = 2 * Math.cos((2 * Math.PI * hz) / SAMPLE_RATE);
  for (let s = 0; s < steps; s++) {
    let q1 = 0;
    let q2 = 0;
    const start = s * HOP;
    for (let i = 0; i < WINDOW; i++) {
      const q0 = coefficient * q1 - q2 + (samples[start + i] as number);
      q2 = q1;
      q1 = q0;
    }
    envelope[s] = (2 * Math.sqrt(Math.max(0, q1 * q1 + q2 * q2 - coefficient * q1 * q2))) / WINDOW;
  }
  return envelope;
}

/**
 * Beep onsets (seconds) of the tone at `hz`: where its envelope rises through 30 % of the loudest
 * beep after at least 100 ms below it. A window crosses 30 % when 30 % of it holds the tone, so
 * the onset is 30 % of a window before the window's end. `minAmplitude` keeps a file without
 * this tone from yielding onsets out of its noise.
 */
export function beepOnsets(samples: Float32Array, hz: number, minAmplitude = 0.02): number[] {
  const envelope = toneEnvelope(samples, hz);
  let peak = 0;
  for (const value of envelope) peak = Math.max(peak, value);
  if (peak < minAmplitude) return [];
  const threshold = 0.3 * peak;
  const rearmSteps = Math.round((0.1 * SAMPLE_RATE) / HOP);
  const onsets: number[] = [];
  let quiet = rearmSteps;
  envelope.forEach((value, s) => {
    if (value > threshold) {
      if (quiet >= rearmSteps) onsets.push((s * HOP + WINDOW * 0.7) / SAMPLE_RATE);
      quiet = 0;
    } else quiet++;
  });
  return onsets;
}

/** Flash onsets per region and beep onsets per tone of one output file. */
export interface OutputEvents {
  flashes: number[][];
  beeps: Record<number, number[]>;
  /** Seconds, from the last video frame. */
  lastFrame: number;
}

export async function outputEvents(
  path: string,
  regions: readonly Region[],
  tones: readonly number[],
  { plane = 'y', minRise = 60 }: { plane?: Plane; minRise?: number } = {},
): Promise<OutputEvents> {
  const [video, audio] = await Promise.all([frameLuma(path, regions, plane), decodeAudio(path)]);
  return {
    flashes: video.luma.map((luma) => flashOnsets(video.times, luma, minRise)),
    beeps: Object.fromEntries(tones.map((hz) => [hz, beepOnsets(audio, hz)])),
    lastFrame: video.times.at(-1) ?? Number.NaN,
  };
}

/**
 * The two cells of a side-by-side composite, as bands through their middles: narrow enough to miss
 * borders, labels and letterboxing in any one-row layout of two.
 */
export const LEFT_CELL: Region = { x: 0.1, y: 0.4, width: 0.3, height: 0.2 };
export const RIGHT_CELL: Region = { x: 0.6, y: 0.4, width: 0.3, height: 0.2 };
