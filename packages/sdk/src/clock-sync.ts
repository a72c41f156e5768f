import { toTrackFailure } from './errors.js';
import type { ClockEstimate } from './protocol.js';

/** One request for the server's time: when it left, what the server said, when the answer came. */
export interface RoundTrip {
  sentAt: number;
  serverNow: number;
  receivedAt: number;
}

/**
 * NTP's estimate from the round trip with the smallest RTT (the one least delayed by queues):
 * the server read its clock halfway through, so offset = serverNow − (sent + received) / 2.
 */
export function estimateClock(roundTrips: readonly RoundTrip[]): ClockEstimate | undefined {
  let best: RoundTrip | undefined;
  for (const trip of roundTrips) {
    if (trip.receivedAt < trip.sentAt) continue; // the local clock jumped back mid-request
    if (!best || trip.receivedAt - trip.sentAt < best.receivedAt - best.sentAt) best = trip;
  }
  if (!best) return undefined;
  return {
    offsetMs: best.serverNow - (best.sentAt + best.receivedAt) / 2,
    rttMs: best.receivedAt - best.sentAt,
  };
}

/** Converts this browser's times to the server's clock. */
export interface ServerClock {
  /** The server's epoch ms now, as estimated. */
  serverNow(): number;
  toServerTime(localMs: number): number;
  /** The estimate in use; undefined until a sync succeeded (then the offset is 0). */
  readonly estimate: ClockEstimate | undefined;
}

export interface ClockSyncedEvent extends ClockEstimate {
  /** Local epoch ms of the measurement. */
  syncedAt: number;
}

/** A sync failed: times keep using the last good offset (0 if none) while it retries. */
export interface ClockSyncFailedEvent {
  code: string;
  message: string;
  /** Failures in a row. */
  attempt: number;
  /** The offset still in use. */
  offsetMs: number;
  /** Local epoch ms of the last good sync, if any. */
  syncedAt?: number;
  retryInMs: number;
}

export interface ClockSyncOptions {
  /** One request for the server's epoch ms (GET /v1/clock). */
  fetchServerTime: () => Promise<number>;
  /** The local clock; the one every local time the SDK takes comes from. */
  now?: () => number;
  /** Round trips per sync; the one with the smallest RTT counts. */
  roundTrips?: number;
  /** How often to sync again while recording. */
  intervalMs?: number;
  /** Wait before the first retry after a failed sync; doubles up to `intervalMs`. */
  retryDelayMs?: number;
  onSynced?: (event: ClockSyncedEvent) => void;
  onFailed?: (event: ClockSyncFailedEvent) => void;
}

export const CLOCK_SYNC_DEFAULTS = {
  roundTrips: 5,
  intervalMs: 30_000,
  retryDelayMs: 1000,
} as const;

/**
 * Keeps an estimate of the server's clock: a sync at `start()`, then one every `intervalMs`
 * (clocks drift, and a laptop may sleep), each from several NTP-style round trips. A failed sync
 * is reported through `onFailed` and retried with backoff; the last good offset stays in use.
 */
export class ClockSync implements ServerClock {
  readonly #options: ClockSyncOptions;
  readonly #now: () => number;
  #estimate: ClockEstimate | undefined;
  #syncedAt: number | undefined;
  #failures = 0;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #running = false;

  constructor(options: ClockSyncOptions) {
    this.#options = options;
    this.#now = options.now ?? Date.now;
  }

  get estimate(): ClockEstimate | undefined {
    return this.#estimate;
  }

  get offsetMs(): number {
    return this.#estimate?.offsetMs ?? 0;
  }

  serverNow(): number {
    return this.toServerTime(this.#now());
  }

  toServerTime(localMs: number): number {
    return Math.round(localMs + this.offsetMs);
  }

  /** One measurement; throws if no round trip succeeded. Does not change the estimate. */
  async measure(): Promise<ClockEstimate> {
    const count = this.#options.roundTrips ?? CLOCK_SYNC_DEFAULTS.roundTrips;
    const trips: RoundTrip[] = [];
    let lastError: unknown;
    let failuresInRow = 0;
    // Two failures in a row: the server is not answering now; the retry comes with backoff.
    for (let i = 0; i < count && failuresInRow < 2; i++) {
      const sentAt = this.#now();
      try {
        const serverNow = await this.#options.fetchServerTime();
        trips.push({ sentAt, serverNow, receivedAt: this.#now() });
        failuresInRow = 0;
      } catch (error) {
        lastError = error;
        failuresInRow += 1;
      }
    }
    const estimate = estimateClock(trips);
    if (!estimate) throw lastError ?? new Error('no usable round trip');
    return estimate;
  }

  /** Measures and adopts the result; on failure reports it and keeps the last good offset. */
  async sync(): Promise<boolean> {
    try {
      const estimate = await this.measure();
      this.#estimate = estimate;
      this.#syncedAt = this.#now();
      this.#failures = 0;
      this.#options.onSynced?.({ ...estimate, syncedAt: this.#syncedAt });
      return true;
    } catch (error) {
      this.#failures += 1;
      const { code, message } = toTrackFailure(error);
      this.#options.onFailed?.({
        code: 'clock_sync_failed',
        message: `could not read the server's clock (${code}: ${message})`,
        attempt: this.#failures,
        offsetMs: this.offsetMs,
        ...(this.#syncedAt === undefined ? {} : { syncedAt: this.#syncedAt }),
        retryInMs: this.#nextDelay(),
      });
      return false;
    }
  }

  /** The first sync (never rejects), then syncs on a schedule until `stop()`. */
  async start(): Promise<ClockEstimate | undefined> {
    this.#running = true;
    await this.sync();
    this.#schedule();
    return this.#estimate;
  }

  stop(): void {
    this.#running = false;
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #nextDelay(): number {
    const interval = this.#options.intervalMs ?? CLOCK_SYNC_DEFAULTS.intervalMs;
    if (this.#failures === 0) return interval;
    const first = this.#options.retryDelayMs ?? CLOCK_SYNC_DEFAULTS.retryDelayMs;
    return Math.min(interval, first * 2 ** (this.#failures - 1));
  }

  #schedule(): void {
    if (!this.#running) return;
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => {
      void this.sync().then(() => this.#schedule());
    }, this.#nextDelay());
  }
}
