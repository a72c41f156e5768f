/** A span of output time, seconds: `from` inclusive, `to` exclusive. */
export interface Span {
  from: number;
  to: number;
}

/** When a participant's tracks cover the output timeline. */
export interface ParticipantPresence {
  participantId: string;
  /** Any order, may overlap (audio and video tracks of one participant). */
  spans: Span[];
}

/** A stretch of output time in which the same participants are present. */
export interface PresenceSegment extends Span {
  /** Present participants in join order (the order of the input list). */
  present: string[];
}

/** Changes shorter than this do not change the layout, so it does not flicker. */
export const DEFAULT_MIN_SEGMENT_SECONDS = 0.5;

const sameSet = (a: readonly string[], b: readonly string[]) =>
  a.length === b.length && a.every((id, i) => id === b[i]);

/**
 * Splits [0, duration) into segments where the set of present participants is constant.
 *
 * A change that lasts less than `minSeconds` is ignored: the segment before it simply goes on
 * (a camera restarting, a track starting 0.2 s after another). A short first segment goes to the
 * one after it instead. Segments with nobody present are kept (the frame is black).
 */
export function presenceSegments(
  participants: readonly ParticipantPresence[],
  duration: number,
  minSeconds = DEFAULT_MIN_SEGMENT_SECONDS,
): PresenceSegment[] {
  if (duration <= 0) return [];
  const cuts = new Set<number>([0, duration]);
  for (const p of participants) {
    for (const s of p.spans) {
      for (const at of [s.from, s.to]) if (at > 0 && at < duration) cuts.add(at);
    }
  }
  const points = [...cuts].sort((a, b) => a - b);
  const presentAt = (t: number) =>
    participants.filter((p) => p.spans.some((s) => s.from <= t && t < s.to)).map((p) => p.participantId);

  const segments: PresenceSegment[] = [];
  for (let i = 0; i + 1 < points.length; i++) {
    const from = points[i] as number;
    const to = points[i + 1] as number;
    const present = presentAt((from + to) / 2);
    const last = segments.at(-1);
    if (last && (sameSet(last.present, present) || to - from < minSeconds)) last.to = to;
    else segments.push({ from, to, present });
  }
  const [first, second] = segments;
  if (first && second && first.to - first.from < minSeconds) {
    second.from = first.from;
    segments.shift();
  }
  // Absorbing a short change can leave two neighbours with the same set.
  return segments.reduce<PresenceSegment[]>((merged, s) => {
    const last = merged.at(-1);
    if (last && sameSet(last.present, s.present)) last.to = s.to;
    else merged.push({ ...s });
    return merged;
  }, []);
}
