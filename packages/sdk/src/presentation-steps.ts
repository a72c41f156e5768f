import { median } from './median.js';
import { MAX_TIMING_SHIFT_MS, MAX_TIMING_STEPS, type TimingStep } from './protocol.js';

/** Frames are grouped by this much file time; a group's median delay is its level. */
const WINDOW_MS = 1_000;
/** A level this far from the current one is a change; a smaller one is delivery jitter. */
const STEP_MS = 10;

interface Frame {
  fileMs: number;
  delayMs: number;
}

/**
 * Where a received video track's delay changes for good: its frames' arrival in the page less
 * their timestamps, per frame, in file order. Received frames arrive on a cadence of their own,
 * 0-15 ms after the quickest of their second (a sawtooth: measured median 8 ms), and are shown as
 * they arrive, so the median of each second is the delay's level, as FirstCapture dates the
 * track's start. A level STEP_MS or more away from the current one, in two windows in a row that
 * agree, is a step: one window is not enough, a busy second delays most of its frames.
 *
 * The step begins at the first frame of the new level: after the last frame closer to the old
 * level when the delay rose, or at the first frame closer to the new level when it fell (a late
 * read can only make a frame look slower).
 */
export class PresentationSteps {
  #base: number | undefined;
  #level = 0;
  #window: Frame[] = [];
  #windowStart = 0;
  /** The window before the current one: a rise only shows in the window after it began. */
  #previous: Frame[] = [];
  /** A first window off the level, waiting for the next to agree. */
  #pending: { windowLevel: number; frames: Frame[] } | undefined;
  readonly #steps: TimingStep[] = [];
  #dropped = 0;

  add(fileMs: number, delayMs: number): void {
    if (this.#window.length === 0) this.#windowStart = fileMs;
    else if (fileMs - this.#windowStart >= WINDOW_MS) {
      this.#closeWindow();
      this.#windowStart = fileMs;
    }
    this.#window.push({ fileMs, delayMs });
  }

  /** Steps found so far, ascending; the last window or two are not judged yet. */
  steps(): TimingStep[] {
    return this.#steps.map((step) => ({ ...step }));
  }

  /** Steps past MAX_TIMING_STEPS, left out: the last kept step holds for the rest of the track. */
  get dropped(): number {
    return this.#dropped;
  }

  #closeWindow(): void {
    const frames = this.#window;
    this.#window = [];
    const windowLevel = median(frames.map((f) => f.delayMs));
    if (this.#base === undefined) {
      this.#base = windowLevel;
      this.#level = windowLevel;
    } else if (Math.abs(windowLevel - this.#level) < STEP_MS) {
      this.#pending = undefined;
    } else if (this.#pending && Math.abs(windowLevel - this.#pending.windowLevel) < STEP_MS) {
      // The window that confirms lies wholly after the change; the first may straddle it.
      this.#step(windowLevel, [...this.#pending.frames, ...frames], this.#base);
      this.#pending = undefined;
    } else {
      this.#pending = { windowLevel, frames: [...this.#previous, ...frames] };
    }
    this.#previous = frames;
  }

  #step(level: number, frames: readonly Frame[], base: number): void {
    const middle = (this.#level + level) / 2;
    let at: number | undefined;
    if (level > this.#level) {
      const lastOld = frames.findLastIndex((f) => f.delayMs < middle);
      at = frames[lastOld + 1]?.fileMs;
    } else {
      at = frames.find((f) => f.delayMs < middle)?.fileMs;
    }
    const shiftMs = Math.round(level - base);
    this.#level = level;
    if (at === undefined || Math.abs(shiftMs) > MAX_TIMING_SHIFT_MS) return;
    if (this.#steps.length >= MAX_TIMING_STEPS) {
      this.#dropped++;
      return;
    }
    const atMs = Math.round(Math.max(at, this.#steps.at(-1)?.atMs ?? 0));
    this.#steps.push({ atMs, shiftMs });
  }
}
