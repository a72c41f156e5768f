/**
 * Flags every ffmpeg run starts with. `-nostdin`: ffmpeg otherwise reads the terminal for
 * commands. `warning` keeps the stderr tail about what went wrong rather than progress lines.
 */
export const GLOBAL_ARGS: readonly string[] = ['-hide_banner', '-nostdin', '-loglevel', 'warning', '-y'];

/** Seconds as ffmpeg reads them, to the millisecond (MediaRecorder timestamps are milliseconds). */
export function seconds(value: number): string {
  return (Math.round(value * 1000) / 1000).toFixed(3);
}
