import { join } from 'node:path';
import { copySource, type ParticipantSource, participantArgs } from '../args/participant.js';
import { largestKeyframeSize } from '../ffprobe.js';
import {
  type EncoderChoice,
  type EncoderUsed,
  encodeWithFallback,
  type FallbackLogger,
  softwareEncoder,
} from '../hwaccel.js';
import type { ProcessingJob, ProducedFile } from '../job.js';
import { fitWithin } from '../layout.js';
import { type ParticipantPlan, type ProbedTrack, type Timeline, trackOffset } from '../plan.js';
import { runFfmpeg } from '../run-ffmpeg.js';
import { describeOutput } from './describe-output.js';

export interface ParticipantStepContext {
  /** The video encoder `job.hwaccel` asks for, for a frame of this size. */
  chooseEncoder: (target: { width: number; height: number; fps: number }) => Promise<EncoderChoice>;
  log: FallbackLogger;
  signal?: AbortSignal;
}

export interface ParticipantFile {
  file: ProducedFile;
  /** The video encoder used: `copy` for a copied stream, absent without video. */
  encoder?: EncoderUsed;
}

/**
 * Writes `<dir>/<participantId>.<format>`: the participant on the recording's timeline, as long
 * as the recording, every track at its offset, in sync.
 */
export async function buildParticipantFile(
  plan: ParticipantPlan,
  timeline: Timeline,
  job: ProcessingJob,
  dir: string,
  context: ParticipantStepContext,
): Promise<ParticipantFile> {
  const { signal } = context;
  const output = join(dir, `${plan.participantId}.${job.format}`);
  const source = (t: ProbedTrack): ParticipantSource => ({
    path: t.path,
    offset: trackOffset(timeline, t),
    duration: t.duration,
    codec: t.codec,
    channels: t.channels,
    ...(t.audioSpreadMs === undefined ? {} : { timestampSpreadMs: t.audioSpreadMs }),
  });
  const videos = plan.videoTracks.map(source);
  const audios = plan.audioTracks.map(source);
  const base = {
    videos,
    audios,
    duration: timeline.duration,
    output,
    format: job.format,
    videoCodec: job.videoCodec,
    audioCodec: job.audioCodec,
  };
  const inputs = [...plan.videoTracks, ...plan.audioTracks].map((t) => t.path);
  const describe = async () => ({
    ...(await describeOutput(output, job.format, 'participant', signal)),
    participantId: plan.participantId,
  });

  const copied = copySource(videos, timeline.duration, job.format, job.videoCodec);
  if (videos.length === 0 || copied) {
    const videoBox = { width: job.width, height: job.height, fps: job.fps };
    await runFfmpeg(participantArgs({ ...base, videoBox }), { step: 'participant', inputs, signal });
    return { file: await describe(), ...(copied ? { encoder: { name: 'copy', hardware: false } } : {}) };
  }
  const videoBox = { ...(await largestFrame(plan.videoTracks, job, signal)), fps: job.fps };
  const { result, encoder } = await encodeWithFallback({
    choice: await context.chooseEncoder(videoBox),
    software: softwareEncoder(job.videoCodec, videoBox),
    run: async (encoder) => {
      await runFfmpeg(participantArgs({ ...base, videoBox, encoder }), {
        step: 'participant',
        inputs,
        signal,
      });
      return describe();
    },
    log: context.log,
    label: `participant ${plan.participantId}`,
    signal,
  });
  return { file: result, encoder };
}

/**
 * Frame size for a participant's transcoded video: its largest frame over all its video tracks,
 * capped at the composite size. Not a header's size, which is the smallest for WebRTC video that
 * ramps up, and not the composite size, which would upscale a 360p camera at several times the
 * encoding cost.
 */
async function largestFrame(
  tracks: readonly ProbedTrack[],
  job: ProcessingJob,
  signal?: AbortSignal,
): Promise<{ width: number; height: number }> {
  const limit = { width: job.width, height: job.height };
  let largest: { width: number; height: number } | undefined;
  for (const track of tracks) {
    const size = await largestKeyframeSize(track.path, signal);
    if (size && (!largest || size.width * size.height > largest.width * largest.height)) largest = size;
  }
  return largest ? fitWithin(largest, limit) : limit;
}
