import type { Span } from './presence.js';

/** Audio levels of one participant on the output timeline, one value per window. */
export interface ParticipantLevels {
  participantId: string;
  /** dBFS per window from output time 0; -Infinity where silent or absent. */
  levels: ArrayLike<number>;
}

export interface SpeakerSpan extends Span {
  participantId: string;
}

export interface SpeakerOptions {
  /** Seconds per level window. */
  windowSeconds: number;
  /** A speaker stays at least this long before anyone else may take over. */
  holdSeconds?: number;
  /** Someone else must be clearly louder for this long to take over. */
  switchSeconds?: number;
  /** "Clearly louder": this many dB above the current speaker. */
  marginDb?: number;
  /** Below this a window counts as silence. */
  silenceDb?: number;
}

export const SPEAKER_DEFAULTS = { holdSeconds: 1.5, switchSeconds: 0.5, marginDb: 6, silenceDb: -50 };

/**
 * Who is the active speaker when, from audio levels. Processing sees the whole call, so a switch
 * is placed where the new speaker started being louder, not where that was confirmed.
 *
 * Rules: a challenger takes over when it is above silence and `marginDb` louder than the current
 * speaker for `switchSeconds` in a row, and not before the current speaker has held
 * `holdSeconds`. Silence keeps the last speaker. The first speaker is shown from time 0. Ties go
 * to the participant listed first (join order). Returns spans covering the levels' length, or
 * none when nobody ever speaks.
 */
export function selectSpeakers(
  participants: readonly ParticipantLevels[],
  options: SpeakerOptions,
): SpeakerSpan[] {
  const { windowSeconds: w } = options;
  const { holdSeconds, switchSeconds, marginDb, silenceDb } = {
    ...SPEAKER_DEFAULTS,
    ...definedOnly(options),
  };
  const windows = Math.max(0, ...participants.map((p) => p.levels.length));
  const level = (index: number | undefined, i: number) =>
    index === undefined
      ? Number.NEGATIVE_INFINITY
      : (participants[index]?.levels[i] ?? Number.NEGATIVE_INFINITY);
  const needed = Math.max(1, Math.round(switchSeconds / w));
  const hold = Math.round(holdSeconds / w);

  const changes: { at: number; index: number }[] = [];
  let current: number | undefined;
  let since = 0;
  let candidate: number | undefined;
  let candidateSince = 0;
  for (let i = 0; i < windows; i++) {
    let loudest: number | undefined;
    for (let p = 0; p < participants.length; p++) if (level(p, i) > level(loudest, i)) loudest = p;
    const challenger =
      loudest !== undefined &&
      loudest !== current &&
      level(loudest, i) > silenceDb &&
      level(loudest, i) >= level(current, i) + marginDb
        ? loudest
        : undefined;
    if (challenger !== candidate) {
      candidate = challenger;
      candidateSince = i;
    }
    if (candidate === undefined || i - candidateSince + 1 < needed) continue;
    const at = current === undefined ? candidateSince : Math.max(candidateSince, since + hold);
    if (at > i) continue;
    current = candidate;
    since = at;
    changes.push({ at, index: candidate });
    candidate = undefined;
  }

  return changes.map((change, k) => ({
    from: k === 0 ? 0 : change.at * w,
    to: (changes[k + 1]?.at ?? windows) * w,
    participantId: participants[change.index]?.participantId ?? '',
  }));
}

function definedOnly<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
