import { join } from 'node:path';
import { participantArgs } from '../args/participant.js';
import { canCopy } from '../codecs.js';
import { largestKeyframeSize } from '../ffprobe.js';
import type { ProcessingJob, ProducedFile } from '../job.js';
import { fitWithin } from '../layout.js';
import type { ParticipantPlan, ProbedTrack } from '../plan.js';
import { runFfmpeg } from '../run-ffmpeg.js';
import { describeOutput } from './describe-output.js';

/** Writes `<dir>/<participantId>.<format>`: the participant's audio and video, in sync. */
export async function buildParticipantFile(
  plan: ParticipantPlan,
  job: ProcessingJob,
  dir: string,
  signal?: AbortSignal,
): Promise<ProducedFile> {
  const output = join(dir, `${plan.participantId}.${job.format}`);
  const source = (t: ProbedTrack | undefined) =>
    t && { path: t.path, codec: t.codec, offset: (t.track.startedAt - plan.startedAt) / 1000 };
  const args = participantArgs({
    audio: source(plan.audio),
    video: source(plan.video),
    output,
    format: job.format,
    videoCodec: job.videoCodec,
    audioCodec: job.audioCodec,
    videoBox: { ...(await videoBox(plan.video, job, signal)), fps: job.fps },
  });
  const inputs = [plan.video?.path, plan.audio?.path].filter((p): p is string => p !== undefined);
  await runFfmpeg(args, { step: 'participant', inputs, signal });
  return {
    ...(await describeOutput(output, job.format, 'participant', signal)),
    participantId: plan.participantId,
  };
}

/**
 * Frame size for a transcoded participant video: its largest frame, capped at the composite size.
 * Not the header's size, which is the smallest for WebRTC video that ramps up, and not the
 * composite size, which would upscale a 360p camera at several times the encoding cost.
 */
async function videoBox(
  video: ProbedTrack | undefined,
  job: ProcessingJob,
  signal?: AbortSignal,
): Promise<{ width: number; height: number }> {
  const limit = { width: job.width, height: job.height };
  if (!video || canCopy(video.codec, job.format, job.videoCodec)) return limit;
  const largest = await largestKeyframeSize(video.path, signal);
  return largest ? fitWithin(largest, limit) : limit;
}
