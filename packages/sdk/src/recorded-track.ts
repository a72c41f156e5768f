import type { RecordingClient } from './api-client.js';
import type { ChunkJournal } from './chunk-journal.js';
import type { ServerClock } from './clock-sync.js';
import { type FailedTrack, RecorderError, type TrackFailure } from './errors.js';
import type {
  RecorderProgressEvent,
  TrackEndedEvent,
  TrackFailedEvent,
  TrackProgressEvent,
} from './events.js';
import { type MediaKind, PARTICIPANT_ID_PATTERN, type TimingStep } from './protocol.js';
import type { RetryOptions } from './retry.js';
import { TrackRecorder } from './track-recorder.js';
import { TrackUpload } from './track-upload.js';

/**
 * `interrupted`: storage stayed unreachable after the recorder stopped; the journal keeps the
 * track, and `CallRecorder.recover()` finishes it later.
 */
export type RecordedTrackStatus =
  | 'starting'
  | 'recording'
  | 'finishing'
  | 'complete'
  | 'failed'
  | 'interrupted';

/** What `CallRecorder.tracks` reports for each track it recorded. */
export interface TrackStats {
  trackId: string;
  participantId: string;
  displayName: string;
  kind: MediaKind;
  mimeType: string;
  status: RecordedTrackStatus;
  chunks: number;
  /** Bytes the recorder produced; each counts once it is in the journal. */
  recordedBytes: number;
  uploadedBytes: number;
  /** CRC-32 of the recorded bytes in order, 8 hex digits: what storage must hold in the end. */
  crc32: string;
  /** Recorded bytes storage has not confirmed yet. */
  backlogBytes: number;
  /** Recorded bytes still in memory, waiting for the journal to commit them. */
  waitingBytes: number;
  /** Server clock, as sent to the server. */
  startedAt?: number;
  endedAt?: number;
  error?: TrackFailure;
}

export interface RecordedTrackOptions {
  client: RecordingClient;
  journal: ChunkJournal;
  recordingId: string;
  trackId: string;
  track: MediaStreamTrack;
  participantId: string;
  displayName: string;
  mimeType: string;
  bitsPerSecond: number;
  timesliceMs: number;
  partsInFlight?: number;
  retry?: RetryOptions;
  /** Every time sent to the server is converted to its clock. */
  clock: ServerClock;
  onProgress: (event: TrackProgressEvent) => void;
  onEnded: (event: TrackEndedEvent) => void;
  onFailed: (event: TrackFailedEvent) => void;
}

/** One track's whole data path: track → recorder → upload → storage. */
export class RecordedTrack {
  readonly trackId: string;
  readonly track: MediaStreamTrack;
  readonly #options: RecordedTrackOptions;
  readonly #recorder: TrackRecorder;
  readonly #upload: TrackUpload;
  #status: RecordedTrackStatus = 'starting';
  #startedAt: number | undefined;
  #endedAt: number | undefined;
  #done: Promise<TrackStats> | undefined;
  #resolveDone: ((stats: TrackStats) => void) | undefined;

  constructor(options: RecordedTrackOptions) {
    this.trackId = options.trackId;
    this.track = options.track;
    this.#options = options;
    this.#upload = new TrackUpload({
      api: options.client,
      journal: options.journal,
      recordingId: options.recordingId,
      trackId: options.trackId,
      participantId: options.participantId,
      displayName: options.displayName,
      kind: this.kind,
      mimeType: options.mimeType,
      partsInFlight: options.partsInFlight,
      retry: options.retry,
      onProgress: () => options.onProgress(this.#progressEvent()),
      onFailed: (failure, interrupted) => this.#onFailed(failure, interrupted),
    });
    this.#recorder = new TrackRecorder(options.track, {
      mimeType: options.mimeType,
      bitsPerSecond: options.bitsPerSecond,
      timesliceMs: options.timesliceMs,
      onStart: (localStartedAt) => {
        const startedAt = options.clock.toServerTime(localStartedAt);
        this.#startedAt = startedAt;
        if (this.#status === 'starting') this.#status = 'recording';
        this.#upload.begin(startedAt, options.clock.estimate);
      },
      onChunk: (chunk) => this.#upload.push(chunk, options.clock.serverNow()),
      onStop: (endedAt, _reason, timing) => this.#finish(options.clock.toServerTime(endedAt), timing),
      // The recorder stops by itself after an error; `onStop` then finishes the (failed) upload.
      onError: (error) => this.#upload.fail(error),
    });
  }

  get kind(): MediaKind {
    return this.#options.track.kind === 'audio' ? 'audio' : 'video';
  }

  get stats(): TrackStats {
    const { participantId, displayName, mimeType } = this.#options;
    return {
      trackId: this.trackId,
      participantId,
      displayName,
      kind: this.kind,
      mimeType,
      status: this.#status,
      ...this.#upload.stats,
      ...(this.#startedAt === undefined ? {} : { startedAt: this.#startedAt }),
      ...(this.#endedAt === undefined ? {} : { endedAt: this.#endedAt }),
      ...(this.#upload.failure ? { error: this.#upload.failure } : {}),
    };
  }

  /** True until the recorder has stopped. */
  get active(): boolean {
    return this.#status === 'starting' || this.#status === 'recording';
  }

  /** Throws if the browser refuses to record the track. */
  start(paused = false): void {
    this.#recorder.start(paused);
    this.#done = new Promise((resolve) => {
      this.#resolveDone = resolve;
    });
  }

  pause(): void {
    this.#recorder.pause();
  }

  resume(): void {
    this.#recorder.resume();
  }

  /** Stops recording and waits until the track is complete in storage, or failed. Never rejects. */
  stop(): Promise<TrackStats> {
    this.#recorder.stop().catch((error: unknown) => {
      console.error(`callrec: stopping the recorder of track ${this.trackId} failed`, error);
    });
    return this.done;
  }

  /** Settles when the track is complete or failed, however it ended. Never rejects. */
  get done(): Promise<TrackStats> {
    return this.#done ?? Promise.resolve(this.stats);
  }

  #finish(endedAt: number, timing: TimingStep[]): void {
    this.#endedAt = endedAt;
    if (this.#status !== 'failed' && this.#status !== 'interrupted') this.#status = 'finishing';
    this.#upload.finish(endedAt, timing).then(
      () => {
        this.#status = 'complete';
        this.#options.onEnded({ ...this.#progressEvent(), endedAt });
        this.#resolveDone?.(this.stats);
      },
      () => {
        // Already reported through `onFailed` (see `#onFailed`); the stats carry the reason.
        this.#resolveDone?.(this.stats);
      },
    );
  }

  #onFailed(failure: TrackFailure, interrupted: boolean): void {
    this.#status = interrupted ? 'interrupted' : 'failed';
    const { participantId } = this.#options;
    const event = { trackId: this.trackId, participantId, kind: this.kind, error: failure, interrupted };
    this.#options.onFailed(event);
    // Nothing recorded from now on would reach storage.
    if (this.#endedAt === undefined) {
      this.#recorder.stop().catch((error: unknown) => {
        console.error(`callrec: stopping the recorder of failed track ${this.trackId} failed`, error);
      });
    }
  }

  #progressEvent(): TrackProgressEvent {
    return {
      trackId: this.trackId,
      participantId: this.#options.participantId,
      kind: this.kind,
      ...this.#upload.stats,
    };
  }
}

/** Track ids are random too: a reloaded page may start the same recording again. */
export function newTrackId(kind: MediaKind, count: number): string {
  const random = Array.from(crypto.getRandomValues(new Uint8Array(4)), (b) =>
    b.toString(16).padStart(2, '0'),
  );
  return `${kind}-${count}-${random.join('')}`;
}

/** The recording's progress as the browser sees it; failed tracks have no backlog left to save. */
export function recordingProgress(
  recordingId: string,
  tracks: readonly RecordedTrack[],
): RecorderProgressEvent {
  let chunks = 0;
  let bytes = 0;
  let backlogBytes = 0;
  let waitingBytes = 0;
  const participants = new Set<string>();
  for (const track of tracks) {
    const stats = track.stats;
    chunks += stats.chunks;
    bytes += stats.recordedBytes;
    if (stats.status !== 'failed') backlogBytes += stats.backlogBytes;
    waitingBytes += stats.waitingBytes;
    if (track.active) participants.add(stats.participantId);
  }
  return { recordingId, chunks, participants: participants.size, bytes, backlogBytes, waitingBytes };
}

export function checkParticipantId(participantId: string): void {
  if (PARTICIPANT_ID_PATTERN.test(participantId)) return;
  throw new RecorderError(
    'invalid_participant_id',
    `participantId ${JSON.stringify(participantId)} must match ${PARTICIPANT_ID_PATTERN}`,
  );
}

export function failedTrack({ trackId, participantId, kind, error }: TrackStats): FailedTrack {
  const { code = 'internal_error', message = 'unknown failure' } = error ?? {};
  return { trackId, participantId, kind, code, message };
}
