import { PresentationSteps } from './presentation-steps.js';
import type { TimingStep } from './protocol.js';

interface VideoChunk {
  /** µs on Chromium's capture clock. */
  readonly timestamp: number;
  close(): void;
}
type TrackProcessorConstructor = new (init: {
  track: MediaStreamTrack;
}) => { readonly readable: ReadableStream<VideoChunk> };

/** Until a received track shows its frame rate. */
const FRAME_MS = 1000 / 30;

/**
 * How a received video track's frames were shown, against the timestamps its recorder writes.
 * Chromium stamps a received frame with its render time until the sender's first RTCP sender
 * reports arrive (2-3 s into a connection), and with the sender's capture time after, while it
 * keeps showing frames at their render time: from then on the file's timestamps run early by the
 * network and jitter-buffer delay (measured in loopback: 25 ms; 150 ms with a 150 ms jitter
 * buffer, and Chromium's muxer then stacks the frames of that jump on one timestamp). WebRTC's
 * lip sync moves the delay again later. A reader of a clone, opened right before the recorder's
 * `start()` so that its first frame is the recorder's, follows every frame's arrival; the server
 * shifts the file's frames by the steps this finds (PresentationSteps).
 *
 * It follows the recorder's file time: paused spans are left out, as the recorder leaves them out
 * of its timestamps, and a timestamp behind the one before it counts at that one, as the
 * recorder's muxer counts it. Without `MediaStreamTrackProcessor` `open` returns undefined.
 */
export class ReceivedVideoTiming {
  readonly #clone: MediaStreamTrack;
  readonly #reader: ReadableStreamDefaultReader<VideoChunk>;
  readonly #steps = new PresentationSteps();
  #first: number | undefined;
  #fileMs = 0;
  /** The last frame the recorder wrote (not one shown while paused). */
  #last: number | undefined;
  #frameMs = FRAME_MS;
  #pausedMs = 0;
  #paused = false;
  #resumed = false;
  #closed = false;

  /** Open it right before the recorder's `start()`, in the same task. Received video only. */
  static open(track: MediaStreamTrack): ReceivedVideoTiming | undefined {
    const Processor = (globalThis as { MediaStreamTrackProcessor?: TrackProcessorConstructor })
      .MediaStreamTrackProcessor;
    // The WebRTC spec labels a received track "remote video", and a clone keeps the label.
    if (!Processor || track.kind !== 'video' || track.label !== 'remote video') return undefined;
    return new ReceivedVideoTiming(track.clone(), Processor);
  }

  private constructor(clone: MediaStreamTrack, Processor: TrackProcessorConstructor) {
    this.#clone = clone;
    this.#reader = new Processor({ track: clone }).readable.getReader();
    this.#read().catch((error: unknown) => {
      // The steps found so far still hold; the rest of the track keeps its timestamps.
      console.warn('callrec: following the received video frames failed', error);
    });
  }

  pause(): void {
    this.#paused = true;
  }

  resume(): void {
    if (!this.#paused) return;
    this.#paused = false;
    this.#resumed = true;
  }

  /** Stops following the frames; the steps found, ascending. */
  finish(): TimingStep[] {
    if (!this.#closed) {
      this.#closed = true;
      this.#reader.cancel().catch((error: unknown) => {
        console.warn('callrec: releasing the received video reader failed', error);
      });
      this.#clone.stop();
      if (this.#steps.dropped > 0) {
        console.warn(
          `callrec: a received video track changed its delay more than ${this.#steps.steps().length} times; ` +
            `${this.#steps.dropped} later changes are not corrected`,
        );
      }
    }
    return this.#steps.steps();
  }

  async #read(): Promise<void> {
    while (!this.#closed) {
      const { value, done } = await this.#reader.read();
      if (done) return;
      const arrivedAt = performance.now();
      const stamp = value.timestamp / 1000;
      value.close();
      this.#frame(stamp, arrivedAt);
    }
  }

  #frame(stamp: number, arrivedAt: number): void {
    if (this.#paused) return;
    const last = this.#last;
    this.#last = stamp;
    if (this.#first === undefined) {
      this.#first = stamp;
    } else if (this.#resumed && last !== undefined) {
      // The recorder goes on one frame after the last one it wrote before the pause.
      this.#pausedMs += Math.max(0, stamp - last - this.#frameMs);
    } else if (last !== undefined && stamp > last) {
      this.#frameMs = stamp - last;
    }
    this.#resumed = false;
    this.#fileMs = Math.max(this.#fileMs, stamp - this.#first - this.#pausedMs);
    this.#steps.add(this.#fileMs, arrivedAt - stamp);
  }
}
