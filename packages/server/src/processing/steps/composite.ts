import { compositeArgs } from '../args/composite.js';
import type { ProcessingJob, ProducedFile } from '../job.js';
import { gridLayout } from '../layout.js';
import { type ParticipantPlan, type ProbedTrack, type Timeline, trackOffset } from '../plan.js';
import { runFfmpeg } from '../run-ffmpeg.js';
import { describeOutput } from './describe-output.js';

/**
 * Writes the grid composite. Participants with video get a cell in join order (audio-only ones
 * have nothing to show); every video track sits in its participant's cell at its own offset,
 * and every audio track is mixed in.
 */
export async function buildComposite(
  participants: readonly ParticipantPlan[],
  tracks: readonly ProbedTrack[],
  timeline: Timeline,
  job: ProcessingJob,
  output: string,
  signal?: AbortSignal,
): Promise<ProducedFile> {
  const offset = (t: ProbedTrack) => trackOffset(timeline, t);
  const withVideo = participants.filter((p) => p.videoTracks.length > 0);
  const { cells } = gridLayout(withVideo.length, job.width, job.height);
  const videos = withVideo.flatMap((p, i) => {
    const cell = cells[i];
    if (!cell) throw new Error(`grid has no cell ${i} for ${withVideo.length} participants`);
    return p.videoTracks.map((t) => ({ path: t.path, offset: offset(t), cell }));
  });
  const audios = tracks
    .filter((t) => t.track.kind === 'audio')
    .map((t) => ({ path: t.path, offset: offset(t), channels: t.channels }));
  const args = compositeArgs({
    videos,
    audios,
    width: job.width,
    height: job.height,
    fps: job.fps,
    duration: timeline.duration,
    format: job.format,
    videoCodec: job.videoCodec,
    audioCodec: job.audioCodec,
    output,
  });
  const inputs = [...videos.map((v) => v.path), ...audios.map((a) => a.path)];
  await runFfmpeg(args, { step: 'composite', inputs, signal });
  return describeOutput(output, job.format, 'composite', signal);
}
