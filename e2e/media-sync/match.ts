/**
 * Puts events detected in an output next to the same events measured live. Live times are epoch
 * ms of the real clock; output times are seconds of the output. A stream that is placed right has
 * one origin (the real instant of output time 0) that maps every output event onto its live one.
 */
import { median } from '../../packages/sdk/src/median.js';

export interface MatchedEvent {
  /** Real epoch ms, measured live. */
  live: number;
  /** Seconds in the output. */
  output: number;
}

export interface StreamFit {
  /** Real epoch ms of the output's time 0, as this stream places it (median over its events). */
  origin: number;
  events: MatchedEvent[];
  /** Output events no live event explains. */
  unmatched: number[];
}

export interface FitOptions {
  /** Where output time 0 should be (epoch ms), and how far from it to look. */
  expectedOrigin?: number;
  searchMs?: number;
  /**
   * A live event and an output event this close (ms), once shifted, are the same event: half the
   * shortest gap of the pattern, so an output event with no live one nearer (the page missed it)
   * stays unmatched rather than paired with its neighbour.
   */
  toleranceMs?: number;
}

/**
 * Tries every origin one (live, output) pair suggests and keeps the one that pairs most events
 * (least total distance on a tie). The patterns are irregular, so only the true origin pairs them
 * all; with a looping pattern, `expectedOrigin ± searchMs` must stay within half a loop.
 */
export function fitStream(
  live: readonly number[],
  output: readonly number[],
  options: FitOptions = {},
): StreamFit {
  const { expectedOrigin, searchMs = Number.POSITIVE_INFINITY, toleranceMs = 200 } = options;
  let best: { count: number; cost: number; origin: number } | undefined;
  for (const l of live) {
    for (const t of output) {
      const origin = l - t * 1000;
      if (expectedOrigin !== undefined && Math.abs(origin - expectedOrigin) > searchMs) continue;
      let count = 0;
      let cost = 0;
      for (const u of output) {
        const distance = nearestDistance(live, origin + u * 1000);
        if (distance <= toleranceMs) {
          count++;
          cost += distance;
        }
      }
      if (!best || count > best.count || (count === best.count && cost < best.cost))
        best = { count, cost, origin };
    }
  }
  if (!best) return { origin: Number.NaN, events: [], unmatched: [...output] };
  const events: MatchedEvent[] = [];
  const unmatched: number[] = [];
  for (const t of output) {
    const target = best.origin + t * 1000;
    const nearest = live.reduce((a, b) => (Math.abs(b - target) < Math.abs(a - target) ? b : a));
    if (Math.abs(nearest - target) <= toleranceMs) events.push({ live: nearest, output: t });
    else unmatched.push(t);
  }
  return { origin: median(events.map((e) => e.live - e.output * 1000)), events, unmatched };
}

function nearestDistance(sorted: readonly number[], target: number): number {
  let distance = Number.POSITIVE_INFINITY;
  for (const value of sorted) distance = Math.min(distance, Math.abs(value - target));
  return distance;
}

/** How far (ms) each event sits from where `origin` puts it: + means later in the output than live. */
export function offsetsFrom(origin: number, events: readonly MatchedEvent[]): number[] {
  return events.map((e) => e.output * 1000 - (e.live - origin));
}

export interface OffsetStats {
  count: number;
  /** Signed mean, ms. */
  mean: number;
  /** Mean of absolute offsets, ms. */
  meanAbs: number;
  /** Largest absolute offset, ms. */
  max: number;
}

export function offsetStats(offsets: readonly number[]): OffsetStats {
  const count = offsets.length;
  const sum = (f: (x: number) => number) => offsets.reduce((acc, x) => acc + f(x), 0);
  return {
    count,
    mean: count ? sum((x) => x) / count : Number.NaN,
    meanAbs: count ? sum(Math.abs) / count : Number.NaN,
    max: count ? Math.max(...offsets.map(Math.abs)) : Number.NaN,
  };
}

export const formatStats = (s: OffsetStats): string =>
  `n=${s.count} mean ${s.mean.toFixed(1)} ms, mean |.| ${s.meanAbs.toFixed(1)} ms, max |.| ${s.max.toFixed(1)} ms`;

/**
 * Output times (seconds) of the events of `fit` that answer each scheduled instant (epoch ms), by
 * the live time nearest it (within `toleranceMs`); with the live time too.
 */
export function byInstant(
  fit: StreamFit,
  instants: readonly number[],
  // Only names the instant an event belongs to, not how accurate it is (pairOffsets measures
  // that against the live times). Instants are at least 700 ms apart, and on a busy machine a
  // page's Web Audio beeps were captured up to 240 ms after their instant.
  toleranceMs = 300,
): Map<number, MatchedEvent> {
  const found = new Map<number, MatchedEvent>();
  for (const event of fit.events) {
    const instant = instants.reduce((a, b) => (Math.abs(b - event.live) < Math.abs(a - event.live) ? b : a));
    if (Math.abs(instant - event.live) <= toleranceMs) found.set(instant, event);
  }
  return found;
}

/**
 * For every instant both streams show: how much further apart they are in the output than they
 * were live (ms; + means `b` later). Zero when both are placed right on one timeline.
 */
export function pairOffsets(
  a: Map<number, MatchedEvent>,
  b: Map<number, MatchedEvent>,
): { instant: number; offset: number }[] {
  const pairs: { instant: number; offset: number }[] = [];
  for (const [instant, ea] of a) {
    const eb = b.get(instant);
    if (!eb) continue;
    pairs.push({ instant, offset: (eb.output - ea.output) * 1000 - (eb.live - ea.live) });
  }
  return pairs.sort((x, y) => x.instant - y.instant);
}

/**
 * Live beep times with the reading noise taken out. A Web Audio gate is sample-accurate, so a
 * page's beeps leave its microphone at their instants plus one constant pipeline latency; but the
 * capture timestamp of the audio buffer a beep was read in jitters (±25 ms measured, more on a
 * busy page), and that noise would count twice in a difference of two pages. Each beep becomes
 * its instant plus the page's median latency; a beep the page never played (no live reading
 * within `toleranceMs` of its instant) stays out.
 */
export function steadyBeeps(
  live: readonly number[],
  instants: readonly number[],
  toleranceMs = 300,
): number[] {
  const heard = new Map<number, number>();
  for (const at of live) {
    const instant = instants.reduce((a, b) => (Math.abs(b - at) < Math.abs(a - at) ? b : a));
    if (Math.abs(instant - at) <= toleranceMs && !heard.has(instant)) heard.set(instant, at);
  }
  if (heard.size === 0) return [];
  const latency = median([...heard].map(([instant, at]) => at - instant));
  return [...heard.keys()].sort((a, b) => a - b).map((instant) => instant + latency);
}
