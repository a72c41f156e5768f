/**
 * Chromium stamps a local camera's or screen's frames and a received track's frames on one
 * monotonic clock. Local frames reach the page 1-2 ms after capture, so their quickest delivery
 * gives that clock's offset from `performance.now()` to within those 1-2 ms; received frames can
 * be delivered before their stamp (FirstCapture), which their own deliveries cannot reveal. This
 * keeps the best offset the page's local video tracks found, for the received ones to use.
 */
export class LocalVideoClock {
  #offsetMs: number | undefined;
  readonly #calibrating = new Set<Promise<unknown>>();

  /** A local video track's calibration: capture-clock ms minus page ms, or undefined. */
  add(calibration: Promise<number | undefined>): void {
    const settled = calibration.then((offsetMs) => {
      // The largest is the quickest delivery seen: the closest to the true offset.
      if (offsetMs !== undefined && offsetMs > (this.#offsetMs ?? Number.NEGATIVE_INFINITY)) {
        this.#offsetMs = offsetMs;
      }
    });
    this.#calibrating.add(settled);
    void settled.finally(() => this.#calibrating.delete(settled));
  }

  /** The offset once the calibrations under way have ended; undefined if no local track gave one. */
  async offset(): Promise<number | undefined> {
    while (this.#calibrating.size > 0) await Promise.all(this.#calibrating);
    return this.#offsetMs;
  }
}

/** One per page: every recorder of the page shares the capture clock. */
export const pageLocalVideoClock = new LocalVideoClock();
