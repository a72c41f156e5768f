import { RecorderError } from './errors.js';
import { FirstCapture } from './first-capture.js';
import type { MediaKind, TimingStep } from './protocol.js';
import { ReceivedVideoTiming } from './received-video-timing.js';

/** Chromium stops within ~30 ms; this only guards against a recorder that never answers. */
const STOP_TIMEOUT_MS = 10_000;

export type StopReason = 'requested' | 'track-ended' | 'recorder-stopped';

export interface TrackRecorderOptions {
  mimeType: string;
  bitsPerSecond: number;
  timesliceMs: number;
  /** Wall-clock time of the recorder's `start` event. */
  onStart: (startedAt: number) => void;
  /** Chunks arrive in recording order; only their concatenation is a valid file. */
  onChunk: (chunk: Blob) => void;
  /**
   * After the final chunk. Every started recorder calls it exactly once. `timing`: where a
   * received video track's timestamps left how its frames were shown (ReceivedVideoTiming).
   */
  onStop: (endedAt: number, reason: StopReason, timing: TimingStep[]) => void;
  onError: (error: RecorderError) => void;
}

/**
 * One MediaRecorder for one MediaStreamTrack. Chromium's recorders do not reliably stop on their
 * own (a remote track can stay `live` after its peer left), so this one stops when told to or
 * when the track ends, and never relies on the browser to do it.
 */
export class TrackRecorder {
  readonly track: MediaStreamTrack;
  readonly kind: MediaKind;
  readonly #options: TrackRecorderOptions;
  #recorder: MediaRecorder | undefined;
  /** Remote audio produces no data unless something plays it; muted is enough. */
  #audioElement: HTMLAudioElement | undefined;
  #startCalledAt = 0;
  /** While it finds when the recorder's first frame or sample was captured. */
  #firstCapture: FirstCapture | undefined;
  /** For received video, for the whole recording. */
  #timing: ReceivedVideoTiming | undefined;
  #timingSteps: TimingStep[] = [];
  /** When a track that had no media at `start()` (a remote track before its first packet) got some. */
  #mediaArrivedAt: number | undefined;
  #startedAt: number | undefined;
  #stopReason: StopReason = 'recorder-stopped';
  #endedAt: number | undefined;
  #watchdog: ReturnType<typeof setTimeout> | undefined;
  #stopped: Promise<number> | undefined;
  #resolveStopped: ((endedAt: number) => void) | undefined;
  readonly #onTrackEnded = (): void => {
    this.#stop('track-ended');
  };

  constructor(track: MediaStreamTrack, options: TrackRecorderOptions) {
    this.track = track;
    this.kind = track.kind === 'audio' ? 'audio' : 'video';
    this.#options = options;
  }

  /**
   * Throws if the browser refuses to record; the start time comes later, with `onStart`. A
   * recorder started `paused` records nothing until `resume()`.
   */
  start(paused = false): void {
    if (this.#recorder) throw new RecorderError('invalid_state', 'the track recorder was already started');
    if (this.track.readyState === 'ended') {
      throw new RecorderError('track_ended', `the ${this.kind} track has already ended`);
    }
    const { mimeType, bitsPerSecond, timesliceMs } = this.#options;
    const recorder = new MediaRecorder(
      new MediaStream([this.track]),
      this.kind === 'video'
        ? { mimeType, videoBitsPerSecond: bitsPerSecond }
        : { mimeType, audioBitsPerSecond: bitsPerSecond },
    );
    this.#recorder = recorder;
    this.#stopped = new Promise((resolve) => {
      this.#resolveStopped = resolve;
    });

    // The file's time 0 is the capture time of its first frame or sample, which FirstCapture
    // finds on Chromium's capture clock, the one a recorder lays its file out by; the `start()`
    // call is up to a frame off, and the `start` event only fires once the first frame was
    // encoded and muxed, 60-200 ms later and more under load. Without it, a muted track (remote,
    // before its first packet) starts when its media arrives, any other at the call.
    const waitingForMedia = this.track.muted;
    if (waitingForMedia) {
      this.track.addEventListener('unmute', () => (this.#mediaArrivedAt ??= Date.now()), { once: true });
    }
    const fallback = () => (waitingForMedia ? (this.#mediaArrivedAt ?? Date.now()) : this.#startCalledAt);
    recorder.addEventListener('start', () => {
      const firstCapture = this.#firstCapture;
      if (!firstCapture) return this.#markStarted(fallback());
      const fallbackAt = fallback();
      void firstCapture.result().then((at) => this.#markStarted(at ?? fallbackAt));
    });
    recorder.addEventListener('dataavailable', (event) => {
      if (event.data.size > 0) this.#options.onChunk(event.data);
    });
    recorder.addEventListener('error', (event) => {
      const cause = (event as Event & { error?: unknown }).error;
      const detail = cause instanceof Error ? `${cause.name}: ${cause.message}` : 'unknown error';
      this.#options.onError(
        new RecorderError('recorder_error', `MediaRecorder failed: ${detail}`, { cause }),
      );
    });
    recorder.addEventListener('stop', () => this.#onStopped());
    this.track.addEventListener('ended', this.#onTrackEnded);

    if (this.kind === 'audio') this.#attachAudio();
    // A paused start records its first frame at `resume()`, which this does not follow.
    this.#firstCapture = paused ? undefined : FirstCapture.open(this.track);
    this.#timing = ReceivedVideoTiming.open(this.track);
    if (paused) this.#timing?.pause();
    this.#startCalledAt = Date.now();
    const startCalledAt = performance.now();
    try {
      recorder.start(timesliceMs);
      this.#firstCapture?.recorderStarted(startCalledAt);
      if (paused) recorder.pause();
    } catch (error) {
      this.#cleanUp();
      throw new RecorderError('recorder_error', `MediaRecorder refused to start: ${String(error)}`, {
        cause: error,
      });
    }
  }

  /**
   * Chromium leaves the paused time out of the file's timestamps: the media stays continuous.
   * A recorder that is not recording (stopped, or paused already) is left as it is.
   */
  pause(): void {
    if (this.#recorder?.state !== 'recording') return;
    this.#recorder.pause();
    this.#timing?.pause();
  }

  resume(): void {
    if (this.#recorder?.state !== 'paused') return;
    this.#recorder.resume();
    this.#timing?.resume();
  }

  /** Resolves with the end time once the final chunk was delivered. Safe to call repeatedly. */
  stop(): Promise<number> {
    return this.#stop('requested');
  }

  #stop(reason: StopReason): Promise<number> {
    const recorder = this.#recorder;
    if (!recorder || !this.#stopped) return Promise.reject(new RecorderError('invalid_state', 'not started'));
    if (recorder.state !== 'inactive') {
      this.#stopReason = reason;
      // The final `dataavailable`, then `stop`, follow asynchronously.
      recorder.stop();
      this.#watchdog ??= setTimeout(() => {
        // A call that never ends would be worse than a track that misses its last second.
        console.warn(
          `callrec: the ${this.kind} recorder sent no 'stop' within ${STOP_TIMEOUT_MS} ms; ending it`,
        );
        this.#onStopped();
      }, STOP_TIMEOUT_MS);
    }
    return this.#stopped;
  }

  #markStarted(at: number): void {
    if (this.#startedAt !== undefined) return;
    this.#startedAt = at;
    this.#options.onStart(at);
  }

  #onStopped(): void {
    if (this.#endedAt !== undefined) return;
    clearTimeout(this.#watchdog);
    // Stopped before the encoder got its first frame: the start time is only known roughly.
    this.#markStarted(this.#startCalledAt);
    const endedAt = Date.now();
    this.#endedAt = endedAt;
    this.#cleanUp();
    this.#options.onStop(endedAt, this.#stopReason, this.#timingSteps);
    this.#resolveStopped?.(endedAt);
  }

  #attachAudio(): void {
    const element = document.createElement('audio');
    element.muted = true;
    element.srcObject = new MediaStream([this.track]);
    this.#audioElement = element;
    element.play().catch((error: unknown) => {
      console.warn(
        `callrec: the audio element for track ${this.track.id} did not play; remote audio may record silence`,
        error,
      );
    });
  }

  #cleanUp(): void {
    this.track.removeEventListener('ended', this.#onTrackEnded);
    this.#firstCapture?.close();
    this.#firstCapture = undefined;
    if (this.#timing) this.#timingSteps = this.#timing.finish();
    this.#timing = undefined;
    if (this.#audioElement) {
      this.#audioElement.pause();
      this.#audioElement.srcObject = null;
      this.#audioElement = undefined;
    }
  }
}
