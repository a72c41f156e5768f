import type { MediaKind } from '@callrec/sdk/protocol';
import { GLOBAL_ARGS } from './common.js';

/**
 * Rewrites a raw recorder track into a seekable Matroska file with `-c copy`: the muxer adds the
 * Duration and Cues that MediaRecorder output lacks. Matroska (not WebM) so that any recorded
 * codec fits, H.264 from `video/webm;codecs=h264` and fragmented MP4 included.
 */
export function remuxArgs(input: string, output: string, kind: MediaKind): string[] {
  const stream = kind === 'video' ? '0:v:0' : '0:a:0';
  return [...GLOBAL_ARGS, '-i', input, '-map', stream, '-c', 'copy', '-f', 'matroska', output];
}
