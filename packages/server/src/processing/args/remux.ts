import type { MediaKind, TimingStep } from '@callrec/sdk/protocol';
import { GLOBAL_ARGS, seconds } from './common.js';

/**
 * Rewrites a raw recorder track into a seekable Matroska file with `-c copy`: the muxer adds the
 * Duration and Cues that MediaRecorder output lacks. Matroska (not WebM) so that any recorded
 * codec fits, H.264 from `video/webm;codecs=h264` and fragmented MP4 included. A received video
 * track's `timing` steps move its frames to when they were shown (`timingFilter`).
 */
export function remuxArgs(
  input: string,
  output: string,
  kind: MediaKind,
  timing: readonly TimingStep[] = [],
): string[] {
  const stream = kind === 'video' ? '0:v:0' : '0:a:0';
  const filter = kind === 'video' ? timingFilter(timing) : undefined;
  return [
    ...GLOBAL_ARGS,
    '-i',
    input,
    '-map',
    stream,
    '-c',
    'copy',
    ...(filter ? ['-bsf:v', filter] : []),
    '-f',
    'matroska',
    output,
  ];
}

/**
 * A `setts` bitstream filter that adds each step's shift to every packet from its `atMs` on, as a
 * flat sum of the changes (`gte` is 1 from a step on), so a long list is no deeper to evaluate
 * than a short one. A packet never goes before the one before it (`PREV_OUTPTS`): where the delay
 * fell, the frames before the step would otherwise overlap the ones after, and the muxer refuses
 * timestamps that go back. Undefined without steps: the packets keep their timestamps.
 */
export function timingFilter(timing: readonly TimingStep[]): string | undefined {
  if (timing.length === 0) return undefined;
  let previous = 0;
  const terms: string[] = [];
  for (const { atMs, shiftMs } of timing) {
    const change = shiftMs - previous;
    previous = shiftMs;
    if (change !== 0) terms.push(`(${seconds(change / 1000)})*gte(TS*TB\\,${seconds(atMs / 1000)})`);
  }
  if (terms.length === 0) return undefined;
  // Commas inside an option are escaped: the bitstream filter list itself is comma-separated.
  return `setts=ts=max(TS+(${terms.join('+')})/TB\\,PREV_OUTPTS)`;
}
