import type { PauseSpan } from '@callrec/sdk/protocol';
import type { ProcessingTrack } from './job.js';

/** A track after remuxing: a seekable file whose duration ffprobe knows. */
export interface ProbedTrack {
  track: ProcessingTrack;
  /** The remuxed file. */
  path: string;
  /** Seconds, from ffprobe. */
  duration: number;
  /** ffprobe `codec_name` of the track's stream. */
  codec: string;
  /** Audio channels, for audio tracks. */
  channels?: number;
}

export interface Timeline {
  /** Epoch ms (server clock) of the earliest track start: output time 0. */
  startedAt: number;
  /** Epoch ms of the latest track end, pauses included. */
  endsAt: number;
  /** Seconds of output: the span from start to end with the pauses left out. */
  duration: number;
  /** Merged, sorted, clipped to the timeline. */
  pauses: PauseSpan[];
}

/** Sorted, overlapping or touching spans merged, empty ones dropped. */
export function mergePauses(pauses: readonly PauseSpan[]): PauseSpan[] {
  const merged: PauseSpan[] = [];
  for (const { from, to } of [...pauses].filter((p) => p.to > p.from).sort((a, b) => a.from - b.from)) {
    const last = merged.at(-1);
    if (last && from <= last.to) last.to = Math.max(last.to, to);
    else merged.push({ from, to });
  }
  return merged;
}

/** Milliseconds of pause in [from, to). */
function pausedBetween(pauses: readonly PauseSpan[], from: number, to: number): number {
  let paused = 0;
  for (const p of pauses) paused += Math.max(0, Math.min(to, p.to) - Math.max(from, p.from));
  return paused;
}

/**
 * Seconds on the output timeline of a wall-clock instant: time since the start, less the pauses
 * before it. An instant inside a pause maps to where the pause was cut out.
 */
export function outputSeconds(timeline: Pick<Timeline, 'startedAt' | 'pauses'>, at: number): number {
  if (at <= timeline.startedAt) return (at - timeline.startedAt) / 1000;
  return (at - timeline.startedAt - pausedBetween(timeline.pauses, timeline.startedAt, at)) / 1000;
}

/**
 * Where a track begins on the output timeline, in seconds. Its media is continuous from there:
 * MediaRecorder already leaves paused time out of its timestamps.
 */
export const trackOffset = (timeline: Pick<Timeline, 'startedAt' | 'pauses'>, t: ProbedTrack): number =>
  outputSeconds(timeline, t.track.startedAt);

/** Wall-clock end of a track that started at its start and paused with the recording. */
function wallClockEnd(pauses: readonly PauseSpan[], t: ProbedTrack): number {
  let end = t.track.startedAt;
  let media = t.duration * 1000;
  for (const p of pauses) {
    if (p.to <= end) continue;
    if (p.from >= end + media) break;
    media -= Math.max(0, p.from - end);
    end = Math.max(end, p.to);
  }
  return end + media;
}

export const trackEnd = (t: ProbedTrack, pauses: readonly PauseSpan[] = []): number =>
  wallClockEnd(pauses, t);

/**
 * The span the outputs cover: earliest start to latest end over every track, with the recording's
 * pauses left out of `duration`.
 */
export function computeTimeline(tracks: readonly ProbedTrack[], pauses: readonly PauseSpan[] = []): Timeline {
  if (tracks.length === 0) throw new Error('a timeline needs at least one track');
  const merged = mergePauses(pauses);
  const startedAt = Math.min(...tracks.map((t) => t.track.startedAt));
  const endsAt = Math.max(...tracks.map((t) => trackEnd(t, merged)));
  const clipped = merged
    .map((p) => ({ from: Math.max(p.from, startedAt), to: Math.min(p.to, endsAt) }))
    .filter((p) => p.to > p.from);
  const timeline = { startedAt, endsAt, pauses: clipped };
  return { ...timeline, duration: outputSeconds(timeline, endsAt) };
}

export interface ParticipantPlan {
  participantId: string;
  /** The tracks that go into the participant's own file. */
  audio?: ProbedTrack;
  video?: ProbedTrack;
  /** Every video track of the participant; the composite shows them all in the participant's cell. */
  videoTracks: ProbedTrack[];
  /** Epoch ms: earliest start among `audio` and `video`. */
  startedAt: number;
  /** Epoch ms: latest end among `audio` and `video`. */
  endsAt: number;
}

const longest = (tracks: ProbedTrack[]): ProbedTrack | undefined =>
  tracks.reduce<ProbedTrack | undefined>(
    (best, t) => (best && best.duration >= t.duration ? best : t),
    undefined,
  );

/**
 * Groups tracks by participant, ordered by when each participant's first track started (join
 * order), ties broken by id so the grid is stable.
 *
 * A participant's own file takes one track of each kind. When there are several (a rejoin, a
 * restarted camera), it takes the longest for now; stitching them with gaps is left for later.
 * The composite is not limited this way: it places every track at its own offset.
 */
export function planParticipants(tracks: readonly ProbedTrack[]): ParticipantPlan[] {
  const byParticipant = new Map<string, ProbedTrack[]>();
  for (const t of tracks) {
    const list = byParticipant.get(t.track.participantId) ?? [];
    list.push(t);
    byParticipant.set(t.track.participantId, list);
  }
  const plans: ParticipantPlan[] = [];
  for (const [participantId, list] of byParticipant) {
    const audio = longest(list.filter((t) => t.track.kind === 'audio'));
    const video = longest(list.filter((t) => t.track.kind === 'video'));
    const chosen = [audio, video].filter((t): t is ProbedTrack => t !== undefined);
    plans.push({
      participantId,
      audio,
      video,
      videoTracks: list.filter((t) => t.track.kind === 'video'),
      startedAt: Math.min(...chosen.map((t) => t.track.startedAt)),
      endsAt: Math.max(...chosen.map((t) => trackEnd(t))),
    });
  }
  const firstStart = (p: ParticipantPlan) =>
    Math.min(
      ...tracks.filter((t) => t.track.participantId === p.participantId).map((t) => t.track.startedAt),
    );
  return plans.sort(
    (a, b) => firstStart(a) - firstStart(b) || a.participantId.localeCompare(b.participantId),
  );
}
