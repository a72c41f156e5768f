/** Waiting bytes above which the app is warned by default: tens of MiB of Blobs in memory. */
export const DEFAULT_JOURNAL_WARNING_BYTES = 32 * 1024 * 1024;

/**
 * Tells when the chunks waiting in memory for the journal cross a threshold: once per crossing.
 * It warns again only after the wait fell below half the threshold, so a backlog hovering
 * around the threshold does not warn every second.
 */
export class JournalLagAlarm {
  readonly thresholdBytes: number;
  #raised = false;

  constructor(thresholdBytes = DEFAULT_JOURNAL_WARNING_BYTES) {
    this.thresholdBytes = thresholdBytes;
  }

  /** True when `waitingBytes` just crossed the threshold. */
  update(waitingBytes: number): boolean {
    if (this.#raised) {
      if (waitingBytes < this.thresholdBytes / 2) this.#raised = false;
      return false;
    }
    this.#raised = waitingBytes > this.thresholdBytes;
    return this.#raised;
  }
}
