import { GLOBAL_ARGS, seconds } from './common.js';

export const THUMBNAIL_WIDTH = 320;
export const THUMBNAIL_POSITIONS: readonly number[] = [0, 25, 50, 75, 100];

/** How far before the last frame's time the final seek lands: inside that frame, never past it. */
const LAST_FRAME_MARGIN = 0.01;

/** Thumbnail height for a frame of `width`x`height`: same aspect, even (JPEG 4:2:0 chroma). */
export function thumbnailHeight(width: number, height: number): number {
  return Math.max(2, Math.round((THUMBNAIL_WIDTH * height) / width / 2) * 2);
}

/**
 * Seek times (relative to the file start) for each position. 100 % is the last frame: seeking to
 * the duration itself decodes nothing (ffmpeg exits 0 without writing), so it seeks just before
 * the last video packet's time, which the caller takes from ffprobe.
 */
export function thumbnailTimes(duration: number, lastFrameTime: number): number[] {
  return THUMBNAIL_POSITIONS.map((position) =>
    position === 100
      ? Math.max(0, lastFrameTime - LAST_FRAME_MARGIN)
      : Math.min((duration * position) / 100, Math.max(0, lastFrameTime - LAST_FRAME_MARGIN)),
  );
}

export interface ThumbnailShot {
  /** Seconds from the start of the file. */
  time: number;
  output: string;
}

/** One run, one seeked input per shot: each input decodes only from the keyframe before its time. */
export function thumbnailArgs(
  input: string,
  shots: ThumbnailShot[],
  width: number,
  height: number,
): string[] {
  const args = [...GLOBAL_ARGS];
  for (const shot of shots) args.push('-ss', seconds(shot.time), '-i', input);
  args.push('-filter_complex', shots.map((_, i) => `[${i}:v]scale=${width}:${height}[t${i}]`).join(';'));
  shots.forEach((shot, i) => {
    args.push('-map', `[t${i}]`, '-frames:v', '1', '-update', '1', '-q:v', '3', shot.output);
  });
  return args;
}
