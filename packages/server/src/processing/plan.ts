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
  /** Audio tracks: how far their timestamps stray from the sound, ms (`audioTimestampSpreadMs`). */
  audioSpreadMs?: number;
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
  /** Every audio track of the participant, by start time; each goes in at its own offset. */
  audioTracks: ProbedTrack[];
  /** Every video track of the participant, by start time; each goes in at its own offset. */
  videoTracks: ProbedTrack[];
  /** Epoch ms: earliest start among the participant's tracks. */
  startedAt: number;
  /** Epoch ms: latest end among the participant's tracks, pauses included. */
  endsAt: number;
}

const byStart = (a: ProbedTrack, b: ProbedTrack) =>
  a.track.startedAt - b.track.startedAt || a.track.trackId.localeCompare(b.track.trackId);

/**
 * Groups tracks by participant, ordered by when each participant's first track started (join
 * order), ties broken by id so the grid is stable. Every track is kept: a rejoin or a restarted
 * camera shows up in every span it covers, each track at its own offset on the timeline.
 */
export function planParticipants(
  tracks: readonly ProbedTrack[],
  pauses: readonly PauseSpan[] = [],
): ParticipantPlan[] {
  const merged = mergePauses(pauses);
  const byParticipant = new Map<string, ProbedTrack[]>();
  for (const t of [...tracks].sort(byStart)) {
    const list = byParticipant.get(t.track.participantId) ?? [];
    list.push(t);
    byParticipant.set(t.track.participantId, list);
  }
  const plans = [...byParticipant].map(([participantId, list]) => ({
    participantId,
    audioTracks: list.filter((t) => t.track.kind === 'audio'),
    videoTracks: list.filter((t) => t.track.kind === 'video'),
    startedAt: Math.min(...list.map((t) => t.track.startedAt)),
    endsAt: Math.max(...list.map((t) => trackEnd(t, merged))),
  }));
  return plans.sort((a, b) => a.startedAt - b.startedAt || a.participantId.localeCompare(b.participantId));
}
