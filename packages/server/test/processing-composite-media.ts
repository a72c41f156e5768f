/**
 * Media for the composite layout tests: solid-colour cameras and tones that switch on and off,
 * written through a pipe like MediaRecorder output (no duration, millisecond timestamps, 1000/1),
 * remuxed and probed the way the pipeline does, and colour sampling of composite frames.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { ProcessingTrack } from '../src/processing/job.js';
import type { ProbedTrack } from '../src/processing/plan.js';
import { ffmpegToFile } from './fixtures/make-fixtures.js';

const exec = promisify(execFile);

/** A camera showing one solid colour (ffmpeg colour name or 0xRRGGBB), VP8 in WebM. */
export async function makeColorTrack(
  path: string,
  {
    color,
    seconds,
    width = 640,
    height = 360,
    fps = 30,
  }: { color: string; seconds: number; width?: number; height?: number; fps?: number },
): Promise<void> {
  await ffmpegToFile(
    [
      '-f',
      'lavfi',
      '-i',
      `color=c=${color}:s=${width}x${height}:r=${fps}:d=${seconds}`,
      '-vf',
      `settb=1/1000,setpts='(N/${fps}+0.012*random(1))/TB'`,
      '-fps_mode',
      'passthrough',
      '-enc_time_base',
      '1:1000',
      '-r',
      '1000',
      '-c:v',
      'libvpx',
      '-deadline',
      'realtime',
      '-cpu-used',
      '8',
      '-b:v',
      '300k',
      '-f',
      'webm',
    ],
    path,
  );
}

/** A microphone: a sine that sounds only during `on` (seconds from its start), Opus mono in WebM. */
export async function makeToneTrack(
  path: string,
  {
    seconds,
    frequency = 440,
    on,
  }: { seconds: number; frequency?: number; on?: { from: number; to: number }[] },
): Promise<void> {
  const gate = on
    ? `,volume=volume=0:enable='not(${on.map((s) => `between(t,${s.from},${s.to})`).join('+')})'`
    : '';
  await ffmpegToFile(
    [
      '-f',
      'lavfi',
      '-i',
      `sine=f=${frequency}:sample_rate=48000:d=${seconds}`,
      '-af',
      `volume=0.5${gate}`,
      '-c:a',
      'libopus',
      '-b:a',
      '48k',
      '-f',
      'webm',
    ],
    path,
  );
}

/** What the pipeline's remux step produces: `-c copy` into Matroska, with ffprobe's duration. */
export async function probedTrack(track: ProcessingTrack, remuxed: string): Promise<ProbedTrack> {
  await exec('ffmpeg', [
    '-hide_banner',
    '-loglevel',
    'error',
    '-y',
    '-i',
    track.path,
    '-c',
    'copy',
    '-f',
    'matroska',
    remuxed,
  ]);
  const { stdout } = await exec('ffprobe', [
    '-v',
    'error',
    '-print_format',
    'json',
    '-show_format',
    '-show_streams',
    remuxed,
  ]);
  const probed = JSON.parse(stdout) as {
    format: { duration: string };
    streams: { codec_name: string; channels?: number }[];
  };
  const stream = probed.streams[0];
  return {
    track,
    path: remuxed,
    duration: Number(probed.format.duration),
    codec: stream?.codec_name ?? '',
    channels: stream?.channels,
  };
}

/** One composite frame at `time`, scaled to `width` x `height`, as packed RGB. */
export async function rgbFrame(path: string, time: number, width: number, height: number): Promise<Buffer> {
  const { stdout } = await exec(
    'ffmpeg',
    [
      '-v',
      'error',
      '-ss',
      String(time),
      '-i',
      path,
      '-frames:v',
      '1',
      '-vf',
      `scale=${width}:${height}:flags=area`,
      '-f',
      'rawvideo',
      '-pix_fmt',
      'rgb24',
      'pipe:1',
    ],
    { encoding: 'buffer', maxBuffer: 16 * 1024 * 1024 },
  );
  return stdout;
}

export const PALETTE = {
  black: [0, 0, 0],
  red: [255, 0, 0],
  green: [0, 255, 0],
  blue: [0, 0, 255],
  yellow: [255, 255, 0],
  magenta: [255, 0, 255],
  cyan: [0, 255, 255],
  white: [255, 255, 255],
} as const;
export type Colour = keyof typeof PALETTE;

/** The palette colour nearest to the pixel at (x, y), as fractions of the frame. */
export function colourAt(frame: Buffer, width: number, height: number, fx: number, fy: number): Colour {
  const x = Math.min(width - 1, Math.floor(fx * width));
  const y = Math.min(height - 1, Math.floor(fy * height));
  const i = (y * width + x) * 3;
  const pixel = [frame[i] ?? 0, frame[i + 1] ?? 0, frame[i + 2] ?? 0];
  let best: Colour = 'black';
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const [name, rgb] of Object.entries(PALETTE) as [Colour, readonly number[]][]) {
    const distance = rgb.reduce((sum, c, k) => sum + (c - (pixel[k] ?? 0)) ** 2, 0);
    if (distance < bestDistance) {
      best = name;
      bestDistance = distance;
    }
  }
  return best;
}
