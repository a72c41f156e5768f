import { median } from './median.js';

/**
 * Chunks read per track, about a second's worth: enough to see one delivered without delay. A
 * busy page gets its first frames and audio buffers in bursts: with 8 of each, two browsers'
 * synthetic tracks were placed 19 ms (audio) and up to 35 ms (video) apart.
 */
const CALIBRATION_CHUNKS = { video: 30, audio: 100 };
/**
 * Audio chunks a clone keeps while the page is busy. Chromium keeps 10 (100 ms) by default and
 * drops the oldest past that, so a page blocked for 150 ms right after `start()` read its first
 * chunk 50 ms late and dated the file that much late (measured: 10 of 10 trials). 100 (1 s, about
 * 400 KB, only while the first second is read) rides out a block of up to a second. Video keeps
 * the default: camera frames come from a small pool, and a clone holding many would starve it.
 */
const AUDIO_BUFFER_CHUNKS = CALIBRATION_CHUNKS.audio;
/** A track that sends no media for this long leaves the start time to the caller's fallback. */
const GIVE_UP_MS = 5_000;

type Source = 'audio' | 'local video' | 'remote video';

interface MediaChunk {
  /** Capture time of the chunk's first frame or sample, µs on Chromium's capture clock. */
  readonly timestamp: number;
  /** µs; an audio buffer can only be delivered once its last sample was captured. */
  readonly duration?: number | null;
  close(): void;
}
type TrackProcessorConstructor = new (init: {
  track: MediaStreamTrack;
  maxBufferSize?: number;
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
 * A received video frame is stamped with its render time until the first RTCP sender reports
 * arrive, a few seconds into a connection, and is delivered 11-16 ms ahead of it; after, with the
 * sender's capture time, behind delivery by the network and the jitter buffer. Either way it is
 * dated by when the page got it to show, as the page got the sound to play: by the median
 * delivery, as received frames come on a cadence of their own, 0-15 ms after the quickest
 * (measured median 8 ms), and were shown as they came. ReceivedVideoTiming follows the delivery
 * for the rest of the track, by the same median.
 *
 * A recorder attaches to its track inside `start()`, so a chunk delivered between the clone's
 * attaching and the recorder's goes to the clone only: the recorder's file then begins one chunk
 * later (seen for audio in 1 of 9 calls, placing it 10 ms early). A second clone opened right
 * after `start()` brackets the recorder's first chunk; when the two disagree, the midpoint halves
 * the worst error.
 *
 * A canvas or a screen sends a new sink its current frame again, at once, and the recorder counts
 * its file from that moment: the repeat keeps its old capture stamp, while every later frame lands
 * at its capture time less the `start()` call (to 0.5 ms in 13 trials, idle and loaded). A canvas
 * last drawn up to a frame before `start()` was placed up to 33 ms early, a still screen would be
 * seconds early; so a local frame captured before the call is dated at the call. A camera sends
 * no repeat: its first frame after the call was captured after it (8 trials). Nor does a received
 * track, whose file counts from its first frame's stamp even when that is before the call (6
 * trials), so it keeps its date.
 *
 * The clones are read for the first few chunks only, then released. Without
 * `MediaStreamTrackProcessor` (browsers other than Chromium) `open` returns undefined and the
 * caller keeps its own stamp.
 */
export class FirstCapture {
  readonly #clone: MediaStreamTrack;
  readonly #reader: ReadableStreamDefaultReader<MediaChunk>;
  #first: number | undefined;
  /** The first chunk of the clone opened after `start()`: the recorder's first, or a later one. */
  #firstAfterStart: Promise<number | undefined> = Promise.resolve(undefined);
  #releaseAfterStart: () => void = () => {};
  readonly #Processor: TrackProcessorConstructor;
  readonly #bufferSize: number | undefined;
  /**
   * `chunk end − arrival` per chunk read: capture-clock ms minus `performance.now()` ms, less the
   * delivery delay. Video and audio stamps run on different clocks (hours apart measured), so each
   * track maps its own: a chunk can only be read once it was captured (a frame) or ended (an audio
   * buffer), so the largest is the offset less the smallest delivery delay (1-2 ms for a local
   * camera, checked against `requestVideoFrameCallback`'s `captureTime`).
   */
  readonly #offsets: number[] = [];
  /** Page ms of the recorder's `start()` call, once told. */
  #startCalledAt: number | undefined;
  #closed = false;
  readonly #result: Promise<number | undefined>;

  /** Open it right before the recorder's `start()`, and call `recorderStarted()` right after, in one task. */
  static open(track: MediaStreamTrack): FirstCapture | undefined {
    const Processor = (globalThis as { MediaStreamTrackProcessor?: TrackProcessorConstructor })
      .MediaStreamTrackProcessor;
    if (!Processor) return undefined;
    // The WebRTC spec labels a received track "remote video", and a clone keeps the label.
    const source: Source =
      track.kind === 'audio' ? 'audio' : track.label === 'remote video' ? 'remote video' : 'local video';
    const bufferSize = source === 'audio' ? AUDIO_BUFFER_CHUNKS : undefined;
    return new FirstCapture(track.clone(), Processor, source, bufferSize);
  }

  private constructor(
    clone: MediaStreamTrack,
    Processor: TrackProcessorConstructor,
    source: Source,
    bufferSize: number | undefined,
  ) {
    this.#clone = clone;
    this.#Processor = Processor;
    this.#bufferSize = bufferSize;
    this.#reader = this.#open(clone);
    this.#result = this.#read(source === 'audio').then(async () => {
      if (this.#first === undefined) return undefined;
      const offset = source === 'remote video' ? median(this.#offsets) : Math.max(...this.#offsets);
      const after = await this.#firstAfterStart;
      const first = after === undefined || after <= this.#first ? this.#first : (this.#first + after) / 2;
      let capturedAt = first - offset;
      // A local frame captured before the `start()` call reached the recorder as a repeat.
      if (source === 'local video' && this.#startCalledAt !== undefined) {
        capturedAt = Math.max(capturedAt, this.#startCalledAt);
      }
      // On the same wall clock as the SDK's other stamps (`Date.now()`).
      return Date.now() - performance.now() + capturedAt;
    });
  }

  /**
   * Call right after the recorder's `start()`, in the same task, with `performance.now()` read
   * right before it.
   */
  recorderStarted(startCalledAt: number): void {
    this.#startCalledAt = startCalledAt;
    if (this.#closed) return;
    const clone = this.#clone.clone();
    const reader = this.#open(clone);
    this.#releaseAfterStart = once(() => {
      reader.cancel().catch((error: unknown) => {
        console.warn('callrec: releasing the first-capture reader failed', error);
      });
      clone.stop();
    });
    this.#firstAfterStart = reader.read().then(
      ({ value }) => {
        value?.close();
        return value === undefined ? undefined : value.timestamp / 1000;
      },
      (error: unknown) => {
        console.warn('callrec: reading the first media after start failed', error);
        return undefined;
      },
    );
    void this.#firstAfterStart.finally(this.#releaseAfterStart);
  }

  #open(clone: MediaStreamTrack): ReadableStreamDefaultReader<MediaChunk> {
    const init = this.#bufferSize === undefined ? {} : { maxBufferSize: this.#bufferSize };
    return new this.#Processor({ track: clone, ...init }).readable.getReader();
  }

  /** Epoch ms of the first recorded chunk's capture, or undefined if none came in time. */
  result(): Promise<number | undefined> {
    return this.#result;
  }

  /** Releases the clones without waiting for more chunks (done, or the recorder stopped early). */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#releaseAfterStart();
    this.#reader.cancel().catch((error: unknown) => {
      console.warn('callrec: releasing the first-capture reader failed', error);
    });
    this.#clone.stop();
  }

  async #read(audio: boolean): Promise<void> {
    const giveUp = setTimeout(() => this.close(), GIVE_UP_MS);
    try {
      for (let chunks = 0; chunks < CALIBRATION_CHUNKS[audio ? 'audio' : 'video']; chunks++) {
        const { value, done } = await this.#reader.read();
        if (done) break;
        const arrivedAt = performance.now();
        const capturedAt = value.timestamp / 1000;
        const end = audio ? capturedAt + (value.duration ?? 0) / 1000 : capturedAt;
        this.#offsets.push(end - arrivedAt);
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
  }
}

function once(action: () => void): () => void {
  let done = false;
  return () => {
    if (done) return;
    done = true;
    action();
  };
}
