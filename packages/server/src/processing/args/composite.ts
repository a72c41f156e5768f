import type { AudioCodec, OutputFormat, VideoCodec } from '@callrec/sdk/protocol';
import { audioEncoderArgs, muxerArgs, videoEncoderArgs } from '../codecs.js';
import type { Cell } from '../layout.js';
import { GLOBAL_ARGS, seconds } from './common.js';

export interface CompositeVideoInput {
  /** A remuxed video track. */
  path: string;
  /** Seconds after the timeline start. */
  offset: number;
  cell: Cell;
}

export interface CompositeAudioInput {
  /** A remuxed audio track. */
  path: string;
  /** Seconds after the timeline start. */
  offset: number;
  /** From ffprobe; mono tracks are spread to both channels at full level. */
  channels?: number;
}

export interface CompositeArgsInput {
  videos: CompositeVideoInput[];
  audios: CompositeAudioInput[];
  width: number;
  height: number;
  fps: number;
  /** The whole timeline, seconds. */
  duration: number;
  format: OutputFormat;
  videoCodec: VideoCodec;
  audioCodec: AudioCodec;
  output: string;
}

const AUDIO_FORMAT = 'aformat=sample_fmts=fltp:sample_rates=48000:channel_layouts=stereo';

/**
 * The composite's filter graph. Inputs are numbered videos first, then audios.
 *
 * Video: a black `color` base as long as the timeline sets the output clock (fps, size). Each
 * track is shifted to its wall-clock offset, brought to the output rate with `fps=` (MediaRecorder
 * files claim 1000/1), fitted into its cell and overlaid with `eof_action=pass`, so late joiners
 * appear late and early leavers leave a black cell.
 *
 * Audio: each track is delayed by its offset and the tracks are summed with `normalize=0`
 * (amix otherwise divides every input's volume by the number of inputs), then padded to the timeline.
 */
export function compositeFilterGraph(input: CompositeArgsInput): string {
  const { width, height, fps } = input;
  const duration = seconds(input.duration);
  const parts = [`color=c=black:s=${width}x${height}:r=${fps}:d=${duration}[base]`];
  let canvas = 'base';
  input.videos.forEach((video, i) => {
    const { x, y, width: w, height: h } = video.cell;
    parts.push(
      `[${i}:v]setpts=PTS-STARTPTS+${seconds(video.offset)}/TB,fps=${fps},` +
        `scale=${w}:${h}:force_original_aspect_ratio=decrease:force_divisible_by=2,` +
        `pad=${w}:${h}:(ow-iw)/2:(oh-ih)/2:color=black,setsar=1[v${i}]`,
      `[${canvas}][v${i}]overlay=x=${x}:y=${y}:eof_action=pass[o${i}]`,
    );
    canvas = `o${i}`;
  });
  parts.push(`[${canvas}]format=yuv420p[vout]`);

  const first = input.videos.length;
  input.audios.forEach((audio, i) => {
    // async=1 fills timestamp gaps (a lost chunk) with silence; amix ignores timestamps and
    // would otherwise pull everything after a gap earlier.
    // A mono microphone plays at full level on both speakers in the browser (Web Audio's up-mix);
    // ffmpeg's default mono-to-stereo matrix would lower it by 3 dB.
    const upmix = audio.channels === 1 ? 'pan=stereo|c0=c0|c1=c0,' : '';
    parts.push(
      `[${first + i}:a]aresample=48000:async=1,${upmix}${AUDIO_FORMAT},` +
        `adelay=delays=${Math.round(audio.offset * 1000)}:all=1[a${i}]`,
    );
  });
  if (input.audios.length === 0) {
    parts.push(`anullsrc=channel_layout=stereo:sample_rate=48000:d=${duration}[aout]`);
  } else {
    const labels = input.audios.map((_, i) => `[a${i}]`).join('');
    parts.push(
      `${labels}amix=inputs=${input.audios.length}:duration=longest:dropout_transition=0:normalize=0,` +
        `apad=whole_dur=${duration}[aout]`,
    );
  }
  return parts.join(';');
}

/** The composite's full argument list: grid video over the timeline plus the mixed audio. */
export function compositeArgs(input: CompositeArgsInput): string[] {
  const args = [...GLOBAL_ARGS];
  for (const video of input.videos) {
    // Remote WebRTC video changes size mid-file; a rebuilt graph loses frames and desyncs cells,
    // while `scale` alone handles the new size.
    args.push('-reinit_filter', '0', '-i', video.path);
  }
  for (const audio of input.audios) args.push('-i', audio.path);
  args.push(
    '-filter_complex',
    compositeFilterGraph(input),
    '-map',
    '[vout]',
    '-map',
    '[aout]',
    ...videoEncoderArgs(input.videoCodec, input),
    ...audioEncoderArgs(input.audioCodec),
    '-t',
    seconds(input.duration),
    ...muxerArgs(input.format),
    input.output,
  );
  return args;
}
