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
  /** Epoch ms of the earliest track start. */
  startedAt: number;
  /** Epoch ms of the latest track end (start + probed duration). */
  endsAt: number;
  /** Seconds. */
  duration: number;
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

export const trackEnd = (t: ProbedTrack): number => t.track.startedAt + t.duration * 1000;

/** The span the composite covers: earliest start to latest end over every track. */
export function computeTimeline(tracks: readonly ProbedTrack[]): Timeline {
  if (tracks.length === 0) throw new Error('a timeline needs at least one track');
  const startedAt = Math.min(...tracks.map((t) => t.track.startedAt));
  const endsAt = Math.max(...tracks.map(trackEnd));
  return { startedAt, endsAt, duration: (endsAt - startedAt) / 1000 };
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
      endsAt: Math.max(...chosen.map(trackEnd)),
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
