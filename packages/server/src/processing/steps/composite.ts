import { rm, writeFile } from 'node:fs/promises';
import {
  type CompositeEncoder,
  type CompositeLabel,
  type CompositeVideoInput,
  compositeArgs,
  compositeFilterGraph,
} from '../args/composite.js';
import { LEVEL_WINDOW_SECONDS, measureAudioLevels } from '../audio-levels.js';
import type { ProcessingJob, ProducedFile } from '../job.js';
import { type ParticipantPlan, type ProbedTrack, type Timeline, trackOffset } from '../plan.js';
import { type ParticipantPresence, presenceSegments, type Span } from '../presence.js';
import { runFfmpeg } from '../run-ffmpeg.js';
import { gridScenes, placementsOf, type Scene, speakerScenes } from '../scenes.js';
import { type ParticipantLevels, selectSpeakers } from '../speaker.js';
import { describeOutput } from './describe-output.js';

/** Above this the graph goes to a file: Linux caps one argument at 128 KiB. */
const MAX_INLINE_GRAPH = 100_000;

/**
 * Writes the composite. The layout follows who is present at each moment (any of a
 * participant's tracks covers it): an adaptive grid in join order, or with `layout: 'speaker'`
 * the loudest participant large and the others in a filmstrip. A present participant without
 * video shows a black cell; every video track is drawn in its participant's cell at its own
 * offset, and every audio track is mixed in.
 */
export async function buildComposite(
  participants: readonly ParticipantPlan[],
  tracks: readonly ProbedTrack[],
  timeline: Timeline,
  job: ProcessingJob,
  output: string,
  signal?: AbortSignal,
  encoder?: CompositeEncoder,
): Promise<ProducedFile> {
  const { duration } = timeline;
  const spanOf = (t: ProbedTrack): Span => {
    const from = trackOffset(timeline, t);
    return { from: Math.max(0, from), to: Math.min(duration, from + t.duration) };
  };
  const tracksOf = (id: string) => tracks.filter((t) => t.track.participantId === id);
  const presence: ParticipantPresence[] = participants.map((p) => ({
    participantId: p.participantId,
    spans: tracksOf(p.participantId).map(spanOf),
  }));
  const segments = presenceSegments(presence, duration);
  const scenes: Scene[] =
    job.layout === 'speaker'
      ? speakerScenes(segments, await speakers(participants, tracks, timeline, signal), job.width, job.height)
      : gridScenes(segments, job.width, job.height);

  const videos: CompositeVideoInput[] = participants.flatMap((p) =>
    p.videoTracks.map((t) => {
      const span = spanOf(t);
      const placements = placementsOf(scenes, p.participantId, span);
      const only = placements.length === 1 ? placements[0] : undefined;
      const whole = only?.ranges.length === 1 && coversSpan(only.ranges[0], span, 1 / job.fps);
      return whole && only
        ? { path: t.path, offset: trackOffset(timeline, t), cell: only.cell }
        : { path: t.path, offset: trackOffset(timeline, t), placements };
    }),
  );
  const labels: CompositeLabel[] = job.labels
    ? participants.flatMap((p) => {
        const text = tracksOf(p.participantId)[0]?.track.displayName ?? p.participantId;
        return placementsOf(scenes, p.participantId, { from: 0, to: duration }).map(({ cell, ranges }) => ({
          text,
          cell,
          ranges,
        }));
      })
    : [];
  const audios = tracks
    .filter((t) => t.track.kind === 'audio')
    .map((t) => ({ path: t.path, offset: trackOffset(timeline, t), channels: t.channels }));
  const input = {
    videos,
    audios,
    labels,
    width: job.width,
    height: job.height,
    fps: job.fps,
    duration,
    format: job.format,
    videoCodec: job.videoCodec,
    audioCodec: job.audioCodec,
    encoder,
    output,
  };
  const graph = compositeFilterGraph(input);
  const filterScript = graph.length > MAX_INLINE_GRAPH ? `${output}.filtergraph.txt` : undefined;
  if (filterScript) await writeFile(filterScript, graph);
  try {
    const inputs = [...videos.map((v) => v.path), ...audios.map((a) => a.path)];
    await runFfmpeg(compositeArgs({ ...input, filterScript }), { step: 'composite', inputs, signal });
  } finally {
    if (filterScript) await rm(filterScript, { force: true });
  }
  return describeOutput(output, job.format, 'composite', signal);
}

const coversSpan = (range: Span | undefined, span: Span, slack: number): boolean =>
  range !== undefined && range.from <= span.from + slack && range.to >= span.to - slack;

/**
 * Who speaks when: each audio track's levels, decoded one track at a time, placed on the output
 * timeline at the track's offset; a participant's level in a window is its loudest track's.
 */
async function speakers(
  participants: readonly ParticipantPlan[],
  tracks: readonly ProbedTrack[],
  timeline: Timeline,
  signal?: AbortSignal,
) {
  const windows = Math.ceil(timeline.duration / LEVEL_WINDOW_SECONDS);
  const levels: ParticipantLevels[] = [];
  for (const p of participants) {
    const combined = new Float32Array(windows).fill(Number.NEGATIVE_INFINITY);
    for (const t of tracks) {
      if (t.track.participantId !== p.participantId || t.track.kind !== 'audio') continue;
      const measured = await measureAudioLevels(t.path, signal);
      const first = Math.round(trackOffset(timeline, t) / LEVEL_WINDOW_SECONDS);
      measured.forEach((level, j) => {
        const k = first + j;
        if (k >= 0 && k < windows && level > (combined[k] ?? Number.NEGATIVE_INFINITY)) combined[k] = level;
      });
    }
    levels.push({ participantId: p.participantId, levels: combined });
  }
  return selectSpeakers(levels, { windowSeconds: LEVEL_WINDOW_SECONDS });
}
