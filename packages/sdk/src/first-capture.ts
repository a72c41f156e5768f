/**
 * Chunks read per track, about a second's worth: enough to see one delivered without delay. A
 * busy page gets its first frames and audio buffers in bursts: with 8 of each, two browsers'
 * synthetic tracks were placed 19 ms (audio) and up to 35 ms (video) apart.
 */
const CALIBRATION_CHUNKS = { video: 30, audio: 100 };
/** A track that sends no media for this long leaves the start time to the caller's fallback. */
const GIVE_UP_MS = 5_000;

interface MediaChunk {
  /** Capture time of the chunk's first frame or sample, µs on Chromium's capture clock. */
  readonly timestamp: number;
  /** µs; an audio buffer can only be delivered once its last sample was captured. */
  readonly duration?: number | null;
  close(): void;
}
type TrackProcessorConstructor = new (init: {
  track: MediaStreamTrack;
}) => {
  readonly readable: ReadableStream<MediaChunk>;
};

/**
 * When the first frame (video) or sample (audio) a MediaRecorder records was captured, as epoch
 * ms. A file's time 0 is that moment: for video the first frame delivered after `start()`, 0-35 ms
 * after the call less the capture latency, so the call alone is up to a frame off. A reader of a
 * clone of the track, opened in the same task right before `start()`, gets the same first frame
 * (24 of 24 starts measured with numbered frames).
 *
 * The clone is read for the first few chunks only, then released. Without
 * `MediaStreamTrackProcessor` (browsers other than Chromium) `open` returns undefined and the
 * caller keeps its own stamp.
 */
export class FirstCapture {
  readonly #clone: MediaStreamTrack;
  readonly #reader: ReadableStreamDefaultReader<MediaChunk>;
  #first: number | undefined;
  /**
   * Capture-clock ms minus `performance.now()` ms. Video and audio stamps run on different clocks
   * (hours apart measured), so each track maps its own: a chunk can only be read once it was
   * captured (a frame) or ended (an audio buffer), so the largest `chunk end − arrival` seen is the
   * offset less the smallest delivery delay (1-2 ms for a local camera, checked against
   * `requestVideoFrameCallback`'s `captureTime`).
   */
  #offset = Number.NEGATIVE_INFINITY;
  #closed = false;
  readonly #result: Promise<number | undefined>;

  /** Open it in the same task as, and right before, the recorder's `start()`. */
  static open(track: MediaStreamTrack): FirstCapture | undefined {
    const Processor = (globalThis as { MediaStreamTrackProcessor?: TrackProcessorConstructor })
      .MediaStreamTrackProcessor;
    return Processor ? new FirstCapture(track.clone(), Processor, track.kind === 'audio') : undefined;
  }

  private constructor(clone: MediaStreamTrack, Processor: TrackProcessorConstructor, audio: boolean) {
    this.#clone = clone;
    this.#reader = new Processor({ track: clone }).readable.getReader();
    this.#result = this.#read(audio);
  }

  /** Epoch ms of the first recorded chunk's capture, or undefined if none came in time. */
  result(): Promise<number | undefined> {
    return this.#result;
  }

  /** Releases the clone without waiting for more chunks (done, or the recorder stopped early). */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#reader.cancel().catch((error: unknown) => {
      console.warn('callrec: releasing the first-capture reader failed', error);
    });
    this.#clone.stop();
  }

  async #read(audio: boolean): Promise<number | undefined> {
    const giveUp = setTimeout(() => this.close(), GIVE_UP_MS);
    try {
      for (let chunks = 0; chunks < CALIBRATION_CHUNKS[audio ? 'audio' : 'video']; chunks++) {
        const { value, done } = await this.#reader.read();
        if (done) break;
        const arrivedAt = performance.now();
        const capturedAt = value.timestamp / 1000;
        const end = audio ? capturedAt + (value.duration ?? 0) / 1000 : capturedAt;
        this.#offset = Math.max(this.#offset, end - arrivedAt);
        value.close();
        this.#first ??= capturedAt;
      }
    } catch (error) {
      // Releasing the clone ends the stream without an error, so this is a real failure; the
      // chunks read so far still count, and with none the caller keeps its own stamp.
      console.warn('callrec: reading the first captured media failed', error);
    } finally {
      clearTimeout(giveUp);
      this.close();
    }
    if (this.#first === undefined) return undefined;
    // On the same wall clock as the SDK's other stamps (`Date.now()`).
    return Date.now() - performance.now() + (this.#first - this.#offset);
  }
}
