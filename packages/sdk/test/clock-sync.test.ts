import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  ClockSync,
  type ClockSyncedEvent,
  type ClockSyncFailedEvent,
  estimateClock,
} from '../src/clock-sync.js';

describe('estimateClock', () => {
  it('takes the round trip with the smallest RTT and assumes the server read its clock halfway', () => {
    const estimate = estimateClock([
      { sentAt: 1000, serverNow: 8100, receivedAt: 1300 }, // rtt 300
      { sentAt: 2000, serverNow: 9030, receivedAt: 2040 }, // rtt 40: offset 9030 - 2020
      { sentAt: 3000, serverNow: 10_090, receivedAt: 3100 }, // rtt 100
    ]);
    expect(estimate).toEqual({ offsetMs: 7010, rttMs: 40 });
  });

  it('handles a server behind the browser, and ignores trips the local clock ran backwards in', () => {
    expect(
      estimateClock([
        { sentAt: 5000, serverNow: 1000, receivedAt: 4000 },
        { sentAt: 5000, serverNow: 3010, receivedAt: 5020 },
      ]),
    ).toEqual({ offsetMs: -2000, rttMs: 20 });
  });

  it('has no estimate without a usable round trip', () => {
    expect(estimateClock([])).toBeUndefined();
    expect(estimateClock([{ sentAt: 10, serverNow: 5, receivedAt: 9 }])).toBeUndefined();
  });
});

/**
 * A browser clock `skewMs` ahead of the server; each request takes `delays[i]` ms, all of it on
 * the way there except `returnMs` on the way back, so the estimate's error is visible.
 */
function network(options: { skewMs: number; delays: number[]; returnMs?: number }) {
  let serverTime = 1_000_000;
  const local = () => serverTime + options.skewMs;
  let call = 0;
  const fetchServerTime = vi.fn(async () => {
    const delay = options.delays[call++ % options.delays.length] ?? 0;
    const back = options.returnMs ?? delay / 2;
    serverTime += delay - back;
    const now = serverTime;
    serverTime += back;
    return now;
  });
  return { local, fetchServerTime, advance: (ms: number) => (serverTime += ms) };
}

describe('ClockSync', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('converts local times to the server clock with the fastest round trip of a sync', async () => {
    const net = network({ skewMs: 7000, delays: [300, 20, 80, 500, 60] });
    const synced: ClockSyncedEvent[] = [];
    const clock = new ClockSync({
      fetchServerTime: net.fetchServerTime,
      now: net.local,
      onSynced: (e) => synced.push(e),
    });
    expect(clock.estimate).toBeUndefined();
    expect(clock.toServerTime(50_000)).toBe(50_000); // offset 0 until a sync succeeded
    expect(await clock.sync()).toBe(true);
    expect(net.fetchServerTime).toHaveBeenCalledTimes(5);
    expect(clock.estimate).toEqual({ offsetMs: -7000, rttMs: 20 });
    expect(clock.toServerTime(50_000)).toBe(43_000);
    expect(clock.serverNow()).toBe(net.local() - 7000);
    expect(synced).toEqual([{ offsetMs: -7000, rttMs: 20, syncedAt: expect.any(Number) }]);
  });

  it('is off by at most half the RTT when the path is asymmetric', async () => {
    // Every answer spends all its delay on the way back: the server read its clock early.
    const net = network({ skewMs: -3000, delays: [40, 30, 90], returnMs: 30 });
    const clock = new ClockSync({ fetchServerTime: net.fetchServerTime, now: net.local, roundTrips: 3 });
    await clock.sync();
    const { offsetMs, rttMs } = clock.estimate ?? { offsetMs: Number.NaN, rttMs: 0 };
    expect(rttMs).toBe(30);
    expect(Math.abs(offsetMs - 3000)).toBeLessThanOrEqual(rttMs / 2);
  });

  it('uses the round trips that succeeded when some fail', async () => {
    const net = network({ skewMs: 1000, delays: [10] });
    let call = 0;
    const flaky = async () => {
      if (call++ % 2 === 0) throw new Error('connection reset');
      return net.fetchServerTime();
    };
    const clock = new ClockSync({ fetchServerTime: flaky, now: net.local, roundTrips: 4 });
    expect(await clock.sync()).toBe(true);
    expect(clock.estimate).toEqual({ offsetMs: -1000, rttMs: 10 });
  });

  it('warns on a failed sync, keeps the last good offset, and retries with backoff', async () => {
    vi.useFakeTimers();
    const net = network({ skewMs: 2000, delays: [10] });
    let down = false;
    const fetchServerTime = async () => {
      if (down) throw new Error('offline');
      return net.fetchServerTime();
    };
    const failed: ClockSyncFailedEvent[] = [];
    const synced: ClockSyncedEvent[] = [];
    const clock = new ClockSync({
      fetchServerTime,
      now: net.local,
      roundTrips: 2,
      intervalMs: 30_000,
      retryDelayMs: 1000,
      onFailed: (e) => failed.push(e),
      onSynced: (e) => synced.push(e),
    });
    await clock.start();
    expect(clock.offsetMs).toBe(-2000);

    down = true;
    await vi.advanceTimersByTimeAsync(30_000); // the scheduled sync fails
    expect(failed).toHaveLength(1);
    expect(failed[0]).toMatchObject({
      code: 'clock_sync_failed',
      attempt: 1,
      offsetMs: -2000,
      retryInMs: 1000,
      syncedAt: synced[0]?.syncedAt,
    });
    expect(failed[0]?.message).toMatch(/offline/);
    expect(clock.toServerTime(10_000)).toBe(8000); // the last good offset stays in use

    await vi.advanceTimersByTimeAsync(1000);
    await vi.advanceTimersByTimeAsync(2000);
    expect(failed.map((f) => f.retryInMs)).toEqual([1000, 2000, 4000]);

    down = false;
    await vi.advanceTimersByTimeAsync(4000);
    expect(synced).toHaveLength(2);
    await vi.advanceTimersByTimeAsync(29_000);
    expect(synced).toHaveLength(2); // back on the regular interval
    await vi.advanceTimersByTimeAsync(1000);
    expect(synced).toHaveLength(3);

    clock.stop();
    await vi.advanceTimersByTimeAsync(120_000);
    expect(synced).toHaveLength(3);
  });

  it('starts without an estimate when the first sync fails, and says so', async () => {
    vi.useFakeTimers();
    const failed: ClockSyncFailedEvent[] = [];
    const clock = new ClockSync({
      fetchServerTime: async () => {
        throw new Error('refused');
      },
      roundTrips: 1,
      onFailed: (e) => failed.push(e),
    });
    expect(await clock.start()).toBeUndefined();
    expect(failed).toEqual([
      expect.objectContaining({ code: 'clock_sync_failed', attempt: 1, offsetMs: 0, retryInMs: 1000 }),
    ]);
    expect(failed[0]).not.toHaveProperty('syncedAt');
    clock.stop();
  });

  it('follows a drifting clock: later syncs replace the estimate', async () => {
    vi.useFakeTimers();
    let skew = 500;
    let serverTime = 10_000;
    const clock = new ClockSync({
      fetchServerTime: async () => serverTime,
      now: () => serverTime + skew,
      roundTrips: 1,
      intervalMs: 1000,
    });
    await clock.start();
    expect(clock.offsetMs).toBe(-500);
    skew = 650;
    serverTime += 1000;
    await vi.advanceTimersByTimeAsync(1000);
    expect(clock.offsetMs).toBe(-650);
    clock.stop();
  });
});

describe('ClockSync against a server that stopped answering', () => {
  it('gives up on a sync after two failures in a row instead of waiting out every round trip', async () => {
    const fetchServerTime = vi.fn(async (): Promise<number> => {
      throw new Error('timeout');
    });
    const clock = new ClockSync({ fetchServerTime, roundTrips: 5 });
    expect(await clock.sync()).toBe(false);
    expect(fetchServerTime).toHaveBeenCalledTimes(2);
  });
});
