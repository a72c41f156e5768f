import type { RecordingClient } from './api-client.js';
import { RecorderError, type TrackFailure, toTrackFailure } from './errors.js';
import type { CompletedPart, MediaKind, TrackInfo } from './protocol.js';
import type { RetryOptions } from './retry.js';
import { createUploadSink, type UploadSink } from './upload-sink.js';

/** The server calls one track's upload needs. */
export type TrackUploadApi = Pick<
  RecordingClient,
  'registerTrack' | 'signParts' | 'putPart' | 'putChunk' | 'completeTrack' | 'failTrack'
>;

export interface TrackUploadStats {
  chunks: number;
  /** Bytes the recorder produced. */
  recordedBytes: number;
  /** Bytes storage confirmed. */
  uploadedBytes: number;
}

export type TrackUploadStatus = 'waiting' | 'uploading' | 'completing' | 'complete' | 'failed';

export interface TrackUploadOptions {
  api: TrackUploadApi;
  recordingId: string;
  trackId: string;
  participantId: string;
  displayName: string;
  kind: MediaKind;
  mimeType: string;
  partsInFlight?: number;
  signBatchSize?: number;
  retry?: RetryOptions;
  /** After every chunk and every confirmed part. */
  onProgress?: (stats: TrackUploadStats) => void;
  /** Called once, at once; reporting to the server happens in the background. */
  onFailed?: (failure: TrackFailure) => void;
}

/**
 * Gets one track's bytes into storage while it is being recorded: registers the track once its
 * start time is known, streams chunks into an upload sink, completes the track with every part
 * at the end, or reports why it gave up.
 */
export class TrackUpload {
  readonly #options: TrackUploadOptions;
  readonly #api: TrackUploadApi;
  #status: TrackUploadStatus = 'waiting';
  readonly #stats: TrackUploadStats = { chunks: 0, recordedBytes: 0, uploadedBytes: 0 };
  /** Chunks that arrive before the server said how to upload them (registration in flight). */
  #pending: Blob[] = [];
  #sink: UploadSink | undefined;
  #registration: Promise<void> | undefined;
  #registeredOnServer = false;
  #failure: TrackFailure | undefined;
  /** Settles once the failure reached the server, so `stop` is not sent before it. */
  #failureReported: Promise<void> | undefined;
  #finished: Promise<TrackInfo> | undefined;

  constructor(options: TrackUploadOptions) {
    this.#options = options;
    this.#api = options.api;
  }

  get status(): TrackUploadStatus {
    return this.#status;
  }

  get stats(): TrackUploadStats {
    return { ...this.#stats };
  }

  get failure(): TrackFailure | undefined {
    return this.#failure;
  }

  /** The recorder started at `startedAt` (its `start` event): register the track. */
  begin(startedAt: number): void {
    if (this.#registration) return;
    this.#registration = this.#register(startedAt);
  }

  push(chunk: Blob): void {
    if (this.#status === 'failed' || chunk.size === 0) return;
    if (this.#status === 'completing' || this.#status === 'complete') {
      console.error(`callrec: track ${this.#options.trackId} got a chunk after it was finished; dropped`);
      return;
    }
    this.#stats.chunks++;
    this.#stats.recordedBytes += chunk.size;
    if (this.#sink) this.#sink.push(chunk);
    else this.#pending.push(chunk);
    this.#progress();
  }

  /**
   * The recorder delivered its last chunk: upload the rest and complete the track. Rejects with
   * the track's failure if it failed at any point.
   */
  finish(endedAt: number): Promise<TrackInfo> {
    this.#finished ??= this.#finish(endedAt);
    return this.#finished;
  }

  async #finish(endedAt: number): Promise<TrackInfo> {
    if (!this.#registration) {
      this.fail(new RecorderError('recorder_not_started', 'the recorder stopped before it started'));
    }
    await this.#registration;
    let parts: CompletedPart[];
    try {
      if (!this.#sink || this.#status !== 'uploading') throw this.#failureError();
      this.#status = 'completing';
      parts = await this.#sink.finish();
      if (this.#stats.recordedBytes === 0) {
        throw new RecorderError('empty_track', 'the recorder produced no data for this track');
      }
    } catch (error) {
      this.fail(error);
      await this.#failureReported;
      throw this.#failureError();
    }
    try {
      const info = await this.#api.completeTrack(this.#options.recordingId, this.#options.trackId, {
        parts,
        bytes: this.#stats.recordedBytes,
        endedAt,
      });
      this.#status = 'complete';
      return info;
    } catch (error) {
      this.fail(error);
      await this.#failureReported;
      throw this.#failureError();
    }
  }

  /** Gives up on the track: stops uploading, tells the server why, reports `onFailed`. */
  fail(reason: unknown): void {
    if (this.#status === 'failed' || this.#status === 'complete') return;
    this.#status = 'failed';
    const failure = toTrackFailure(reason);
    this.#failure = failure;
    this.#pending = [];
    this.#sink?.abort(reason);
    // Unregistered tracks are unknown to the server; `#register` reports them once it knows them.
    this.#failureReported = this.#registeredOnServer ? this.#sendFailure(failure) : Promise.resolve();
    this.#options.onFailed?.(failure);
  }

  async #register(startedAt: number): Promise<void> {
    const { recordingId, trackId, participantId, displayName, kind, mimeType } = this.#options;
    try {
      const { upload } = await this.#api.registerTrack(recordingId, trackId, {
        participantId,
        displayName,
        kind,
        mimeType,
        startedAt,
      });
      this.#registeredOnServer = true;
      if (this.#status === 'failed') {
        // Failed while registering: the server learns the reason now that it knows the track.
        if (this.#failure) await this.#sendFailure(this.#failure);
        return;
      }
      this.#sink = createUploadSink(upload, {
        signParts: (partNumbers) => this.#api.signParts(recordingId, trackId, partNumbers),
        putPart: (part, body) => this.#api.putPart(part, body),
        putChunk: (url, body, contentRange) => this.#api.putChunk(url, body, contentRange),
        partsInFlight: this.#options.partsInFlight,
        signBatchSize: this.#options.signBatchSize,
        retry: this.#options.retry,
        onPartUploaded: (size) => {
          this.#stats.uploadedBytes += size;
          this.#progress();
        },
        onError: (error) => this.fail(error),
      });
      this.#status = 'uploading';
      const pending = this.#pending;
      this.#pending = [];
      for (const chunk of pending) this.#sink.push(chunk);
    } catch (error) {
      this.fail(error);
    }
  }

  async #sendFailure(failure: TrackFailure): Promise<void> {
    try {
      await this.#api.failTrack(this.#options.recordingId, this.#options.trackId, failure);
    } catch (error) {
      // The track is lost either way; the server marks it `not_completed` at stop.
      console.error(`callrec: could not report the failure of track ${this.#options.trackId}`, error);
    }
  }

  #failureError(): RecorderError {
    const failure = this.#failure ?? {
      code: 'internal_error',
      message: 'the upload ended in an unknown state',
    };
    return new RecorderError(failure.code, failure.message);
  }

  #progress(): void {
    this.#options.onProgress?.(this.stats);
  }
}
