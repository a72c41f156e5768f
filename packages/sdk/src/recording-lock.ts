/**
 * Marks a recording as owned by a live page, so that recovery in another tab (or after a reload
 * of this one, before the old page is gone) never finishes a recording that is still running.
 */
export interface RecordingLocks {
  /**
   * The lock's release function if nobody held it, else undefined. The lock is held until it is
   * released or the page goes away.
   */
  tryAcquire(recordingId: string): Promise<(() => void) | undefined>;
}

const lockName = (recordingId: string) => `callrec:recording:${recordingId}`;

/** Web Locks: the browser releases a lock when its page is closed, reloaded or crashes. */
export function webRecordingLocks(locks: LockManager): RecordingLocks {
  return {
    tryAcquire: (recordingId) =>
      new Promise<(() => void) | undefined>((resolve, reject) => {
        locks
          .request(lockName(recordingId), { ifAvailable: true }, (lock) => {
            if (!lock) {
              resolve(undefined);
              return undefined;
            }
            // The lock is held until this promise settles.
            return new Promise<void>((release) => resolve(() => release()));
          })
          .catch(reject);
      }),
  };
}

/** Locks within this page only: for tests and browsers without Web Locks. */
export function localRecordingLocks(): RecordingLocks {
  const held = new Set<string>();
  return {
    tryAcquire: async (recordingId) => {
      if (held.has(recordingId)) return undefined;
      held.add(recordingId);
      return () => {
        held.delete(recordingId);
      };
    },
  };
}

let shared: RecordingLocks | undefined;

/** Web Locks where the browser has them, else page-local ones. */
export function defaultRecordingLocks(): RecordingLocks {
  shared ??=
    typeof navigator !== 'undefined' && navigator.locks
      ? webRecordingLocks(navigator.locks)
      : localRecordingLocks();
  return shared;
}
