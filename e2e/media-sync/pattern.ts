/**
 * The flash-and-beep pattern every media-sync fixture and page uses. One loop is 4 s (120 frames
 * at 30 fps, 192,000 samples at 48 kHz); the flashes inside it are irregular, so the gaps between
 * them tell every flash apart and no shift by less than a loop lines the pattern up with itself.
 */
export const FPS = 30;
export const SAMPLE_RATE = 48_000;
export const LOOP_FRAMES = 120;
export const LOOP_SECONDS = LOOP_FRAMES / FPS;
/** First frame of each flash inside the loop. Gaps: 23, 12, 29, 25, 31 frames (no two alike). */
export const FLASH_FRAMES = [6, 29, 41, 70, 95] as const;
/** Frames a flash stays white: two, so a page sampling at display rate cannot miss one. */
export const FLASH_LENGTH_FRAMES = 2;
export const BEEP_SECONDS = 0.06;
export const WIDTH = 640;
export const HEIGHT = 360;

/** Flash (and beep) onsets inside one loop, seconds. */
export const PATTERN_SECONDS: readonly number[] = FLASH_FRAMES.map((f) => f / FPS);

/** Every onset in [0, until) seconds of a pattern that loops from 0. */
export function onsetsUntil(until: number): number[] {
  const onsets: number[] = [];
  for (let loop = 0; loop * LOOP_SECONDS < until; loop++) {
    for (const at of PATTERN_SECONDS)
      if (loop * LOOP_SECONDS + at < until) onsets.push(loop * LOOP_SECONDS + at);
  }
  return onsets;
}
