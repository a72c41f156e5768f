import { RecordingApiError } from './errors.js';
import type { OnlineSignal } from './online.js';

export interface RetryPolicy {
  baseDelayMs: number;
  maxDelayMs: number;
  /** Total tries, the first one included. */
  maxAttempts: number;
}

export const DEFAULT_RETRY_POLICY: Readonly<RetryPolicy> = {
  baseDelayMs: 500,
  maxDelayMs: 30_000,
  maxAttempts: 8,
};

/**
 * `retry`: transient, try again later. `refresh`: the credentials were refused; renewing them
 * (token, signed URL) may help once. `fail`: retrying cannot help.
 */
export type FailureAction = 'retry' | 'refresh' | 'fail';

/** Status 0 stands for "no response" (network error, timeout). */
export function classifyStatus(status: number): FailureAction {
  if (status === 0 || status === 408 || status === 429 || status >= 500) return 'retry';
  if (status === 401 || status === 403) return 'refresh';
  return 'fail';
}

/** A failure that may pass later (no response, 408, 429, 5xx), even if retries ran out already. */
export function isTransient(error: unknown): boolean {
  return error instanceof RecordingApiError && classifyStatus(error.status) === 'retry';
}

export function classifyError(error: unknown): FailureAction {
  // Anything that is not an HTTP failure is a bug or a local condition: retrying will not help.
  if (!(error instanceof RecordingApiError) || error.exhausted) return 'fail';
  return classifyStatus(error.status);
}

/** The largest delay before retry number `retry` (1-based): base · 2^(retry-1), capped. */
export function backoffCeiling(retry: number, policy: RetryPolicy = DEFAULT_RETRY_POLICY): number {
  return Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.max(0, retry - 1));
}

/**
 * "Full jitter": uniform in [0, ceiling). Many browsers retrying after the same outage would
 * otherwise hit the server in lockstep.
 */
export function backoffDelay(
  retry: number,
  policy: RetryPolicy = DEFAULT_RETRY_POLICY,
  random: () => number = Math.random,
): number {
  return Math.floor(random() * backoffCeiling(retry, policy));
}

export interface RetryOptions {
  policy?: Partial<RetryPolicy>;
  random?: () => number;
  sleep?: (ms: number) => Promise<void>;
  /**
   * Renews whatever credentials the operation uses; resolves false if it cannot. Called at most
   * once per operation, on the first 401/403.
   */
  refresh?: () => boolean | Promise<boolean>;
  /**
   * Requests wait while this says the browser is offline, and a failure while offline does not
   * count as an attempt: an outage on the user's side is not the server's fault.
   */
  online?: OnlineSignal;
  /**
   * While this returns true, transient failures never run out of attempts: the delay stays at
   * the policy's ceiling. For uploads during a call, whose bytes are safe in the journal.
   */
  persist?: () => boolean;
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Runs `operation` until it succeeds, fails for good, or runs out of attempts. */
export async function withRetry<T>(operation: () => Promise<T>, options: RetryOptions = {}): Promise<T> {
  const policy = { ...DEFAULT_RETRY_POLICY, ...options.policy };
  const wait = options.sleep ?? sleep;
  let refreshed = false;
  for (let attempt = 1; ; attempt++) {
    await options.online?.whenOnline();
    try {
      return await operation();
    } catch (error) {
      if (isTransient(error)) {
        if (options.online && !options.online.isOnline()) {
          attempt--;
          continue;
        }
        if (options.persist?.() && (attempt >= policy.maxAttempts || classifyError(error) === 'fail')) {
          await wait(backoffDelay(attempt, policy, options.random));
          continue;
        }
      }
      const action = classifyError(error);
      if (action === 'fail') throw error;
      if (action === 'refresh') {
        if (refreshed || !options.refresh || !(await options.refresh())) throw error;
        refreshed = true;
        if (attempt < policy.maxAttempts) continue;
      }
      if (attempt >= policy.maxAttempts) {
        throw error instanceof RecordingApiError ? error.giveUp(attempt) : error;
      }
      await wait(backoffDelay(attempt, policy, options.random));
    }
  }
}
