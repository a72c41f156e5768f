/**
 * Flags every ffmpeg run starts with. `-nostdin`: ffmpeg otherwise reads the terminal for
 * commands. `warning` keeps the stderr tail about what went wrong rather than progress lines.
 */
export const GLOBAL_ARGS: readonly string[] = ['-hide_banner', '-nostdin', '-loglevel', 'warning', '-y'];

/**
 * ms an audio track's timestamps may stray from its sound: their own jitter, ±1 ms in Chromium's
 * Opus and up to 9 ms from a 44.1 kHz microphone (measured), which is no gap.
 */
export const AUDIO_TIMESTAMP_SLACK_MS = 20;

/**
 * A recorded audio track, resampled to 48 kHz and kept on its timestamps. A MediaRecorder's audio
 * timestamps jump where the browser skipped audio callbacks under load (measured: a 10 ms jump
 * 14 s into a loaded call), and the sound after the jump was heard that much later; a
 * microphone's clock drifts from the capture clock. `async=1` alone acts only on a difference
 * over 0.1 s: a shorter gap was dropped and all later sound came that much early against its
 * video. Here a gap over the slack is filled with silence (an overlap trimmed), and smaller
 * differences and drift are absorbed by stretching by up to 2 %, which soft compensation only does
 * with the resampler forced on (`flags=res`; the rates are equal). Costs ~40 % more in this
 * filter, next to nothing beside video.
 */
export const AUDIO_ON_TIMESTAMPS =
  'aresample=48000:min_comp=0.001:max_soft_comp=0.02:' +
  `min_hard_comp=${AUDIO_TIMESTAMP_SLACK_MS / 1000}:flags=res`;

/** Seconds as ffmpeg reads them, to the millisecond (MediaRecorder timestamps are milliseconds). */
export function seconds(value: number): string {
  return (Math.round(value * 1000) / 1000).toFixed(3);
}
