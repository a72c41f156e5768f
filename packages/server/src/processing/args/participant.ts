import type { AudioCodec, OutputFormat, VideoCodec } from '@callrec/sdk/protocol';
import { audioEncoderArgs, canCopy, muxerArgs, type VideoEncodeTarget, videoEncoderArgs } from '../codecs.js';
import { GLOBAL_ARGS, seconds } from './common.js';

export interface ParticipantSource {
  /** A remuxed track. */
  path: string;
  /** Seconds after the participant's earliest track start. */
  offset: number;
  /** ffprobe `codec_name` of its stream. */
  codec: string;
}

export interface ParticipantArgsInput {
  audio?: ParticipantSource;
  video?: ParticipantSource;
  output: string;
  format: OutputFormat;
  videoCodec: VideoCodec;
  audioCodec: AudioCodec;
  /**
   * Frame for transcoded video. WebRTC video changes size mid-file (270p → 720p as bandwidth
   * ramps up) but an encoder takes one size, so frames are fitted into this box.
   */
  videoBox: VideoEncodeTarget;
}

/**
 * One participant's audio and video in one file, each delayed by `-itsoffset` to its start
 * relative to the participant's earliest track, so they play in sync. Streams are copied when
 * the container allows (see `canCopy`), otherwise transcoded with the job's codecs.
 */
export function participantArgs(input: ParticipantArgsInput): string[] {
  const sources = [input.video, input.audio].filter((s): s is ParticipantSource => s !== undefined);
  if (sources.length === 0) throw new Error('a participant file needs at least one track');
  const args = [...GLOBAL_ARGS];
  const copyVideo = input.video ? canCopy(input.video.codec, input.format, input.videoCodec) : false;
  for (const source of sources) {
    if (source === input.video && !copyVideo) {
      // Without this ffmpeg rebuilds the filter graph at every size change and loses frames.
      args.push('-reinit_filter', '0');
    }
    if (source.offset > 0) args.push('-itsoffset', seconds(source.offset));
    args.push('-i', source.path);
  }
  let index = 0;
  if (input.video) {
    args.push('-map', `${index++}:v:0`);
    if (copyVideo) {
      args.push('-c:v', 'copy');
    } else {
      const { width, height } = input.videoBox;
      args.push(
        '-filter:v',
        `scale=${width}:${height}:force_original_aspect_ratio=decrease:force_divisible_by=2,` +
          `pad=${width}:${height}:(ow-iw)/2:(oh-ih)/2:color=black,setsar=1,format=yuv420p`,
        // Keep the recorder's own frame times: a constant rate would duplicate frames from the
        // 1000/1 "frame rate" MediaRecorder files report.
        '-fps_mode',
        'vfr',
        ...videoEncoderArgs(input.videoCodec, input.videoBox),
      );
    }
  }
  if (input.audio) {
    args.push('-map', `${index++}:a:0`);
    if (canCopy(input.audio.codec, input.format, input.audioCodec)) args.push('-c:a', 'copy');
    else args.push(...audioEncoderArgs(input.audioCodec));
  }
  args.push(...muxerArgs(input.format), input.output);
  return args;
}
