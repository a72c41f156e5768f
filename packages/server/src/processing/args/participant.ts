import type { AudioCodec, OutputFormat, VideoCodec } from '@callrec/sdk/protocol';
import {
  audioDelayFilter,
  audioEncoderArgs,
  canCopy,
  muxerArgs,
  type VideoEncodeTarget,
  videoEncoderArgs,
} from '../codecs.js';
import type { EncoderArgs } from '../hwaccel.js';
import { AUDIO_ON_TIMESTAMPS, AUDIO_TIMESTAMP_SLACK_MS, GLOBAL_ARGS, seconds } from './common.js';

export interface ParticipantSource {
  /** A remuxed track. */
  path: string;
  /** Seconds on the recording's timeline (pauses left out) where the track begins. */
  offset: number;
  /** Seconds of media, from ffprobe. */
  duration: number;
  /** ffprobe `codec_name` of its stream. */
  codec: string;
  /** Audio channels, from ffprobe. */
  channels?: number;
  /** How far its timestamps stray from its sound, ms, where measured (audio). */
  timestampSpreadMs?: number;
}

export interface ParticipantArgsInput {
  /** Every track of each kind; a kind with none is left out of the file. */
  audios: ParticipantSource[];
  videos: ParticipantSource[];
  /** The recording's timeline in seconds: every participant file is this long. */
  duration: number;
  output: string;
  format: OutputFormat;
  videoCodec: VideoCodec;
  audioCodec: AudioCodec;
  /**
   * Frame for transcoded video: the participant's largest frame, capped. WebRTC video changes
   * size mid-file (270p → 720p as bandwidth ramps up) but an encoder takes one size, so every
   * frame is fitted into this box, keeping its aspect ratio.
   */
  videoBox: VideoEncodeTarget;
  /** Video encoder for transcoding; software `videoEncoderArgs` when absent. */
  encoder?: EncoderArgs;
}

/**
 * How far (seconds) a copied track may miss either end of the timeline. A copied stream cannot
 * get black or silence added, so this much is left empty at the start or the end instead.
 */
export const COPY_TOLERANCE_SECONDS = 0.25;

/**
 * The source a kind can be stream-copied from: a single track covering the timeline within
 * the tolerance at both ends, in a codec the container may carry (see `canCopy`), and for audio
 * without gaps in its timestamps. Anything else (late start, early end, a rejoin's second track,
 * sound with gaps) is rebuilt on the timeline by transcoding.
 */
export function copySource(
  sources: readonly ParticipantSource[],
  duration: number,
  format: OutputFormat,
  chosen: VideoCodec | AudioCodec,
): ParticipantSource | undefined {
  const [only] = sources;
  if (!only || sources.length > 1 || !canCopy(only.codec, format, chosen)) return undefined;
  // A player lays sound out sample after sample: a gap is closed, drift kept, and the rest plays off.
  if ((only.timestampSpreadMs ?? 0) > AUDIO_TIMESTAMP_SLACK_MS) return undefined;
  const covers =
    only.offset <= COPY_TOLERANCE_SECONDS && only.offset + only.duration >= duration - COPY_TOLERANCE_SECONDS;
  return covers ? only : undefined;
}

const AUDIO_RATE = 48000;

/**
 * Black frames of the box for the whole timeline, each track overlaid from its offset and
 * centred. `overlay` re-evaluates the position per frame, so a track whose frames change size or
 * shape mid-stream stays centred; `scale` refits each new size to the box (keeping its aspect),
 * and `pad`, which cannot follow a size change without a graph rebuild, is not used.
 */
function videoGraph(input: ParticipantArgsInput, firstInput: number): string {
  const { width, height, fps } = input.videoBox;
  const parts = [`color=c=black:s=${width}x${height}:r=${fps}:d=${seconds(input.duration)}[vbase]`];
  let canvas = 'vbase';
  input.videos.forEach((video, i) => {
    parts.push(
      `[${firstInput + i}:v]setpts=PTS-STARTPTS+${seconds(video.offset)}/TB,fps=${fps},` +
        `scale=${width}:${height}:force_original_aspect_ratio=decrease:force_divisible_by=2,setsar=1[pv${i}]`,
      `[${canvas}][pv${i}]overlay=x=(main_w-overlay_w)/2:y=(main_h-overlay_h)/2:eval=frame:eof_action=pass[pvo${i}]`,
    );
    canvas = `pvo${i}`;
  });
  const suffix = input.encoder?.filterSuffix ? `,${input.encoder.filterSuffix}` : '';
  parts.push(`[${canvas}]format=yuv420p${suffix}[vout]`);
  return parts.join(';');
}

/**
 * Each track delayed to its offset, summed (`normalize=0` keeps every level) and padded with
 * silence to the timeline. Mono stays mono; with any stereo track, mono tracks go to both sides
 * at full level.
 */
function audioGraph(input: ParticipantArgsInput, firstInput: number): string {
  const stereo = input.audios.some((a) => a.channels !== 1);
  const layout = stereo ? 'stereo' : 'mono';
  const parts = input.audios.map((audio, i) => {
    const upmix = stereo && audio.channels === 1 ? 'pan=stereo|c0=c0|c1=c0,' : '';
    return (
      `[${firstInput + i}:a]${AUDIO_ON_TIMESTAMPS},${upmix}` +
      `aformat=sample_fmts=fltp:sample_rates=${AUDIO_RATE}:channel_layouts=${layout},` +
      `${audioDelayFilter(audio.offset, input.audioCodec)}[pa${i}]`
    );
  });
  const labels = input.audios.map((_, i) => `[pa${i}]`).join('');
  const mix =
    input.audios.length > 1
      ? `${labels}amix=inputs=${input.audios.length}:duration=longest:dropout_transition=0:normalize=0,`
      : labels;
  parts.push(`${mix}apad=whole_dur=${seconds(input.duration)}[aout]`);
  return parts.join(';');
}

/**
 * One participant's file on the recording's timeline: as long as the recording, every track at
 * its offset, black before, between and after video tracks and silence around audio tracks.
 * A kind is stream-copied when one track covers the timeline (see `copySource`), otherwise
 * transcoded with the job's codecs; audio and video are placed by the same offsets, so they
 * stay in sync either way.
 */
export function participantArgs(input: ParticipantArgsInput): string[] {
  if (input.videos.length + input.audios.length === 0) {
    throw new Error('a participant file needs at least one track');
  }
  const copyVideo = copySource(input.videos, input.duration, input.format, input.videoCodec);
  const copyAudio = copySource(input.audios, input.duration, input.format, input.audioCodec);
  const transcodeVideo = input.videos.length > 0 && !copyVideo;
  const transcodeAudio = input.audios.length > 0 && !copyAudio;

  const args = [...GLOBAL_ARGS];
  if (transcodeVideo) args.push(...(input.encoder?.inputArgs ?? []));
  const videoInputs = copyVideo ? [copyVideo] : input.videos;
  const audioInputs = copyAudio ? [copyAudio] : input.audios;
  for (const video of videoInputs) {
    // Without -reinit_filter 0 ffmpeg rebuilds the graph at every size change and loses frames.
    if (transcodeVideo) args.push('-reinit_filter', '0');
    else if (video.offset > 0) args.push('-itsoffset', seconds(video.offset));
    args.push('-i', video.path);
  }
  for (const audio of audioInputs) {
    if (copyAudio && audio.offset > 0) args.push('-itsoffset', seconds(audio.offset));
    args.push('-i', audio.path);
  }

  const graphs: string[] = [];
  if (transcodeVideo) graphs.push(videoGraph(input, 0));
  if (transcodeAudio) graphs.push(audioGraph(input, videoInputs.length));
  if (graphs.length > 0) args.push('-filter_complex', graphs.join(';'));

  if (copyVideo) args.push('-map', '0:v:0', '-c:v', 'copy');
  else if (transcodeVideo) {
    args.push(
      '-map',
      '[vout]',
      ...(input.encoder?.outputArgs ?? videoEncoderArgs(input.videoCodec, input.videoBox)),
    );
  }
  if (copyAudio) args.push('-map', `${videoInputs.length}:a:0`, '-c:a', 'copy');
  else if (transcodeAudio) args.push('-map', '[aout]', ...audioEncoderArgs(input.audioCodec));

  // Copied streams end where their track ends (within the tolerance); generated ones are cut here.
  if (graphs.length > 0) args.push('-t', seconds(input.duration));
  args.push(...muxerArgs(input.format), input.output);
  return args;
}
