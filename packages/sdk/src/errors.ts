import type { RecordingInfo } from './protocol.js';

/**
 * An HTTP call to the recording server or to a signed storage URL failed. `status` is 0 when no
 * response arrived at all (network error, timeout); `code` is then `network_error` or `timeout`.
 */
export class RecordingApiError extends Error {
  override readonly name = 'RecordingApiError';
  readonly status: number;
  /** The server's machine-readable code (`token_expired`, `part_mismatch`, ...), or one the SDK made up. */
  readonly code: string;
  readonly details?: unknown;
  /**
   * Set once the SDK has retried the request as often as its policy allows, so that an outer
   * retry loop does not multiply the attempts.
   */
  readonly exhausted: boolean;

  constructor(
    status: number,
    code: string,
    message: string,
    options: { details?: unknown; cause?: unknown; exhausted?: boolean } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.status = status;
    this.code = code;
    this.details = options.details;
    this.exhausted = options.exhausted ?? false;
  }

  /** The same failure, marked as final after `attempts` tries. */
  giveUp(attempts: number): RecordingApiError {
    return new RecordingApiError(
      this.status,
      this.code,
      `${this.message} (gave up after ${attempts} attempts)`,
      {
        details: this.details,
        cause: this,
        exhausted: true,
      },
    );
  }
}

/** A failure on the browser's side: the recorder, the media stack, or a misuse of the API. */
export class RecorderError extends Error {
  override readonly name: string = 'RecorderError';
  readonly code: string;

  constructor(code: string, message: string, options: { cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
  }
}

/** A method was called in a state that does not allow it (e.g. `stop()` before `start()`). */
export class InvalidStateError extends RecorderError {
  override readonly name = 'InvalidStateError';

  constructor(message: string) {
    super('invalid_state', message);
  }
}

/** A reason a track could not be recorded; sent to the server's fail endpoint as is. */
export interface TrackFailure {
  code: string;
  message: string;
}

export interface FailedTrack extends TrackFailure {
  trackId: string;
  participantId: string;
  kind: string;
}

/**
 * `stop()` stopped the recording, but some tracks did not make it to storage. The recording
 * goes on with the tracks that did; `info` is what the server answered to the stop.
 */
export class TracksFailedError extends RecorderError {
  override readonly name = 'TracksFailedError';
  readonly info: RecordingInfo;
  readonly failedTracks: readonly FailedTrack[];

  constructor(info: RecordingInfo, failedTracks: readonly FailedTrack[]) {
    const list = failedTracks
      .map((t) => `${t.trackId} (${t.participantId}, ${t.kind}): ${t.code}: ${t.message}`)
      .join('; ');
    super('tracks_failed', `${failedTracks.length} track(s) failed to record: ${list}`);
    this.info = info;
    this.failedTracks = failedTracks;
  }
}

/**
 * `stop()` could not get every byte to storage: it stayed unreachable beyond the retries. The
 * recording was NOT stopped (the server would abort the unfinished uploads); the journal keeps
 * the bytes, and `CallRecorder.recover()` finishes the recording later, from this page or the
 * next one.
 */
export class RecordingInterruptedError extends RecorderError {
  override readonly name = 'RecordingInterruptedError';
  readonly recordingId: string;
  readonly interruptedTracks: readonly FailedTrack[];

  constructor(recordingId: string, interruptedTracks: readonly FailedTrack[]) {
    const list = interruptedTracks.map((t) => `${t.trackId}: ${t.code}: ${t.message}`).join('; ');
    super(
      'recording_interrupted',
      `recording ${recordingId} could not be uploaded completely yet: ${list || 'earlier tracks pending'}`,
    );
    this.recordingId = recordingId;
    this.interruptedTracks = interruptedTracks;
  }
}

/** The server reported `recordingFailed` while `waitForCompletion()` was waiting. */
export class RecordingFailedError extends RecorderError {
  override readonly name = 'RecordingFailedError';
  readonly recordingId: string;
  readonly details?: unknown;

  constructor(recordingId: string, error: { code: string; message: string; details?: unknown }) {
    super(error.code, `recording ${recordingId} failed: ${error.message}`);
    this.recordingId = recordingId;
    this.details = error.details;
  }
}

/** Turns anything thrown into the `{code, message}` the fail endpoint and `trackFailed` carry. */
export function toTrackFailure(error: unknown): TrackFailure {
  if (error instanceof RecordingApiError || error instanceof RecorderError) {
    return { code: error.code, message: error.message };
  }
  if (error instanceof Error) return { code: 'internal_error', message: error.message };
  return { code: 'internal_error', message: String(error) };
}
