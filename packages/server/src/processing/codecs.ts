import type { AudioCodec, MediaKind, OutputFormat, VideoCodec } from '@callrec/sdk/protocol';

/** Codecs (ffprobe `codec_name`) each output container can carry without transcoding. */
const CONTAINER_CODECS: Record<OutputFormat, ReadonlySet<string>> = {
  webm: new Set(['vp8', 'vp9', 'av1', 'opus', 'vorbis']),
  mp4: new Set(['h264', 'hevc', 'vp9', 'av1', 'aac', 'opus', 'mp3']),
};

/** What may be chosen as the encoder for each container; mp4 cannot hold VP8 (ffmpeg's muxer refuses it). */
const ALLOWED_CHOICES: Record<OutputFormat, { video: readonly VideoCodec[]; audio: readonly AudioCodec[] }> =
  {
    webm: { video: ['vp8', 'vp9'], audio: ['opus'] },
    mp4: { video: ['h264', 'vp9'], audio: ['aac', 'opus'] },
  };

/** Returns why the combination cannot be produced, or `undefined` when it can. */
export function outputCodecsProblem(
  format: OutputFormat,
  videoCodec: VideoCodec,
  audioCodec: AudioCodec,
): string | undefined {
  const allowed = ALLOWED_CHOICES[format];
  if (!allowed.video.includes(videoCodec)) {
    return `format ${format} cannot carry video codec ${videoCodec} (use ${allowed.video.join(' or ')})`;
  }
  if (!allowed.audio.includes(audioCodec)) {
    return `format ${format} cannot carry audio codec ${audioCodec} (use ${allowed.audio.join(' or ')})`;
  }
  return undefined;
}

/**
 * Whether a source stream can be stream-copied into a participant file. WebM takes any WebM
 * codec, since every WebM player plays them all. MP4 is usually chosen for Safari and other
 * devices, so there we copy only what the job asked for (e.g. Opus is re-encoded when AAC was chosen).
 */
export function canCopy(sourceCodec: string, format: OutputFormat, chosen: VideoCodec | AudioCodec): boolean {
  if (!CONTAINER_CODECS[format].has(sourceCodec)) return false;
  return format === 'webm' || sourceCodec === chosen;
}

/**
 * Bits per pixel per frame; libvpx must always get an explicit -b:v (its defaults: 0.5 Mbit/s VP8,
 * 30 Mbit/s VP9). H.264 is encoded by quality (CRF) in software; hardware encoders get a bitrate.
 */
const BITS_PER_PIXEL: Record<VideoCodec, number> = { vp8: 0.08, vp9: 0.05, h264: 0.06 };
const MIN_VIDEO_KBPS = 200;
const AUDIO_BITRATE = '128k';

/** Target bitrate in kbit/s for libvpx and hardware encoders, rounded to 10 kbit/s. */
export function videoBitrateKbps(codec: VideoCodec, width: number, height: number, fps: number): number {
  const kbps = (width * height * fps * BITS_PER_PIXEL[codec]) / 1000;
  return Math.max(MIN_VIDEO_KBPS, Math.round(kbps / 10) * 10);
}

export interface VideoEncodeTarget {
  width: number;
  height: number;
  fps: number;
}

/** A keyframe every 2 s keeps seeking in long recordings cheap for players. */
export const keyframeInterval = (fps: number): string => String(Math.max(1, Math.round(fps * 2)));

/** Software encoder arguments for one output video stream. */
export function videoEncoderArgs(codec: VideoCodec, target: VideoEncodeTarget): string[] {
  const gop = keyframeInterval(target.fps);
  switch (codec) {
    case 'vp8':
      return [
        '-c:v',
        'libvpx',
        '-deadline',
        'realtime',
        '-cpu-used',
        '8',
        '-b:v',
        `${videoBitrateKbps('vp8', target.width, target.height, target.fps)}k`,
        '-g',
        gop,
      ];
    case 'vp9':
      return [
        '-c:v',
        'libvpx-vp9',
        '-deadline',
        'realtime',
        '-cpu-used',
        '8',
        '-row-mt',
        '1',
        '-b:v',
        `${videoBitrateKbps('vp9', target.width, target.height, target.fps)}k`,
        '-g',
        gop,
      ];
    case 'h264':
      // veryfast: measured 2.0–2.4x realtime for a 720p 2x2 grid on 2 cores (ultrafast: 2.8–3.4x).
      // Both beat realtime; veryfast keeps CABAC and B-frames, so files are much smaller for a
      // modest cost.
      return ['-c:v', 'libx264', '-preset', 'veryfast', '-crf', '23', '-g', gop];
  }
}

export function audioEncoderArgs(codec: AudioCodec): string[] {
  return codec === 'opus'
    ? ['-c:a', 'libopus', '-b:a', AUDIO_BITRATE]
    : ['-c:a', 'aac', '-b:a', AUDIO_BITRATE];
}

/** libopus's lookahead at 48 kHz (2.5 ms of analysis, 4 ms of delay compensation): 6.5 ms. */
const OPUS_PRIMING_SAMPLES = 312;

/**
 * Samples of priming the audio encoder puts before the first real one, at 48 kHz. libopus
 * stamps its first packet −312 samples (6.5 ms); the WebM muxer then shifts every stream so
 * nothing is negative, and a player drops the priming again (Opus's CodecDelay), so the picture
 * ends up 6.5 ms later than the sound. Delaying the audio by as much puts both back together.
 * AAC in MP4 carries its priming in an edit list, which players honour.
 */
export function audioEncoderDelaySamples(codec: AudioCodec): number {
  return codec === 'opus' ? OPUS_PRIMING_SAMPLES : 0;
}

/**
 * Milliseconds a recorded audio track's decoded sound runs behind its timestamps. Chromium's
 * MediaRecorder writes Opus with a pre-skip of 0, so a decoder plays the encoder's priming as if
 * it were the first 6.5 ms of sound and every sound after comes that much late (measured: beeps
 * 6-7 ms after those of a PCM recording of the same track started in the same task). An Opus
 * header that declares its priming, and any other codec, leave nothing to correct.
 */
export function undeclaredPrimingMs(stream: { codec: string; opusPreSkip?: number }): number {
  return stream.codec === 'opus' && stream.opusPreSkip === 0 ? (OPUS_PRIMING_SAMPLES / 48_000) * 1000 : 0;
}

/** `adelay` to `offsetSeconds` on the timeline, for audio the job's encoder will encode. */
export function audioDelayFilter(offsetSeconds: number, codec: AudioCodec): string {
  const samples = Math.round(offsetSeconds * 48_000) + audioEncoderDelaySamples(codec);
  return `adelay=delays=${samples}S:all=1`;
}

/** Muxer arguments; mp4 gets its index moved to the front so playback starts before the download ends. */
export function muxerArgs(format: OutputFormat): string[] {
  return format === 'mp4' ? ['-movflags', '+faststart', '-f', 'mp4'] : ['-f', 'webm'];
}

export function mimeType(format: OutputFormat, hasVideo: boolean): string {
  const kind: MediaKind = hasVideo ? 'video' : 'audio';
  return `${kind}/${format}`;
}
