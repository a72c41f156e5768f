import { describe, expect, it } from 'vitest';
import { RecordingApiError } from '../src/errors.js';
import { ManualOnlineSignal } from '../src/online.js';
import {
  backoffCeiling,
  backoffDelay,
  classifyError,
  classifyStatus,
  DEFAULT_RETRY_POLICY,
  type FailureAction,
  withRetry,
} from '../src/retry.js';

const apiError = (status: number, code = `http_${status}`) =>
  new RecordingApiError(status, code, `status ${status}`);

describe('backoff', () => {
  it('grows exponentially from 500 ms and is capped at 30 s', () => {
    const ceilings = Array.from({ length: 10 }, (_, i) => backoffCeiling(i + 1));
    expect(ceilings).toEqual([500, 1000, 2000, 4000, 8000, 16_000, 30_000, 30_000, 30_000, 30_000]);
    for (let i = 1; i < ceilings.length; i++)
      expect(ceilings[i]).toBeGreaterThanOrEqual(ceilings[i - 1] as number);
  });

  it('uses full jitter: uniform in [0, ceiling)', () => {
    for (let retry = 1; retry <= 12; retry++) {
      const ceiling = backoffCeiling(retry);
      expect(backoffDelay(retry, DEFAULT_RETRY_POLICY, () => 0)).toBe(0);
      expect(backoffDelay(retry, DEFAULT_RETRY_POLICY, () => 0.5)).toBe(Math.floor(ceiling / 2));
      const high = backoffDelay(retry, DEFAULT_RETRY_POLICY, () => 0.999_999);
      expect(high).toBeLessThan(ceiling);
      expect(high).toBeGreaterThanOrEqual(ceiling - 1);
    }
  });

  it('stays within bounds with a real random source', () => {
    for (let i = 0; i < 1000; i++) {
      const delay = backoffDelay(1 + (i % 10));
      expect(delay).toBeGreaterThanOrEqual(0);
      expect(delay).toBeLessThan(DEFAULT_RETRY_POLICY.maxDelayMs);
    }
  });
});

describe('classification', () => {
  const table: [number, FailureAction][] = [
    [0, 'retry'],
    [408, 'retry'],
    [429, 'retry'],
    [500, 'retry'],
    [502, 'retry'],
    [503, 'retry'],
    [504, 'retry'],
    [401, 'refresh'],
    [403, 'refresh'],
    [400, 'fail'],
    [404, 'fail'],
    [409, 'fail'],
    [413, 'fail'],
    [422, 'fail'],
  ];
  it.each(table)('status %i → %s', (status, action) => {
    expect(classifyStatus(status)).toBe(action);
    expect(classifyError(apiError(status))).toBe(action);
  });

  it('never retries local errors or errors already retried to the limit', () => {
    expect(classifyError(new TypeError('bug'))).toBe('fail');
    expect(classifyError(apiError(503).giveUp(8))).toBe('fail');
  });
});

describe('withRetry', () => {
  const noSleep = { sleep: async () => {}, random: () => 0.5 };

  it('retries transient failures with growing delays, then succeeds', async () => {
    const delays: number[] = [];
    let calls = 0;
    const result = await withRetry(
      async () => {
        calls++;
        if (calls < 4) throw apiError(calls === 1 ? 0 : 503);
        return 'ok';
      },
      { random: () => 0.5, sleep: async (ms) => void delays.push(ms) },
    );
    expect(result).toBe('ok');
    expect(calls).toBe(4);
    expect(delays).toEqual([250, 500, 1000]);
  });

  it('gives up after maxAttempts with the last error, marked exhausted', async () => {
    let calls = 0;
    const error = await withRetry(
      async () => {
        calls++;
        throw apiError(503, 'unavailable');
      },
      { ...noSleep, policy: { maxAttempts: 3 } },
    ).catch((e: unknown) => e);
    expect(calls).toBe(3);
    expect(error).toBeInstanceOf(RecordingApiError);
    expect(error).toMatchObject({ status: 503, code: 'unavailable', exhausted: true });
  });

  it('fails at once on other 4xx with the server code', async () => {
    let calls = 0;
    const error = await withRetry(async () => {
      calls++;
      throw apiError(409, 'part_mismatch');
    }, noSleep).catch((e: unknown) => e);
    expect(calls).toBe(1);
    expect(error).toMatchObject({ status: 409, code: 'part_mismatch', exhausted: false });
  });

  it('refreshes credentials once on 401/403, then fails', async () => {
    let refreshes = 0;
    let calls = 0;
    const error = await withRetry(
      async () => {
        calls++;
        throw apiError(401, 'token_expired');
      },
      { ...noSleep, refresh: () => ++refreshes > 0 },
    ).catch((e: unknown) => e);
    expect(refreshes).toBe(1);
    expect(calls).toBe(2);
    expect(error).toMatchObject({ code: 'token_expired' });
  });

  it('succeeds after a refresh, and fails at once when nothing can be refreshed', async () => {
    let calls = 0;
    const ok = await withRetry(
      async () => {
        if (++calls === 1) throw apiError(403, 'url_expired');
        return 'ok';
      },
      { ...noSleep, refresh: () => true },
    );
    expect(ok).toBe('ok');

    let fixedCalls = 0;
    await expect(
      withRetry(
        async () => {
          fixedCalls++;
          throw apiError(401, 'invalid_token');
        },
        { ...noSleep, refresh: () => false },
      ),
    ).rejects.toMatchObject({ code: 'invalid_token' });
    expect(fixedCalls).toBe(1);
  });
});

describe('withRetry offline and persistent', () => {
  it('waits while offline without calling, and does not count failures caused by going offline', async () => {
    const online = new ManualOnlineSignal(false);
    const waits: number[] = [];
    let calls = 0;
    const result = withRetry(
      async () => {
        calls++;
        if (calls <= 3) {
          // The request dies because the network went away under it.
          online.set(false);
          throw apiError(0, 'network_error');
        }
        return 'ok';
      },
      { online, policy: { maxAttempts: 1 }, sleep: async (ms) => void waits.push(ms) },
    );
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect(calls).toBe(0);
    for (let i = 0; i < 3; i++) {
      online.set(true);
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
    online.set(true);
    await expect(result).resolves.toBe('ok');
    expect(calls).toBe(4);
    expect(waits).toEqual([]);
  });

  it('keeps retrying transient failures, exhausted ones included, while persist() holds, with capped backoff', async () => {
    let persist = true;
    const waits: number[] = [];
    let calls = 0;
    const error = await withRetry(
      async () => {
        calls++;
        if (calls === 20) persist = false;
        // An inner retry loop that already gave up: still transient.
        throw calls % 2 ? apiError(503).giveUp(3) : apiError(502);
      },
      {
        persist: () => persist,
        policy: { maxAttempts: 4, baseDelayMs: 100, maxDelayMs: 1000 },
        random: () => 0.999,
        sleep: async (ms) => void waits.push(ms),
      },
    ).catch((e: unknown) => e);
    expect(calls).toBe(20);
    expect(error).toMatchObject({ status: 502, exhausted: true });
    expect(Math.max(...waits)).toBeLessThan(1000);
    expect(waits.slice(-3)).toEqual([999, 999, 999]);
  });

  it('never persists through a 4xx', async () => {
    let calls = 0;
    await expect(
      withRetry(
        async () => {
          calls++;
          throw apiError(409, 'recording_not_active');
        },
        { persist: () => true, sleep: async () => {} },
      ),
    ).rejects.toMatchObject({ code: 'recording_not_active' });
    expect(calls).toBe(1);
  });
});
