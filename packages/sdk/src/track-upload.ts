import type { RecordingClient } from './api-client.js';
import { type ChunkJournal, type JournaledTrack, MemoryChunkJournal } from './chunk-journal.js';
import { RecorderError, type TrackFailure, toTrackFailure } from './errors.js';
import type { ClockEstimate, CompletedPart, TimingStep, TrackInfo } from './protocol.js';
import { isTransient, type RetryOptions } from './retry.js';
import {
  newJournaledTrack,
  TrackJournal,
  type TrackMetadata,
  type TrackUploadStats,
  type TrackUploadStatus,
} from './track-journal.js';
import { registerJournaledTrack } from './track-registration.js';
import { createJournaledSink, type UploadSink } from './upload-sink.js';

type Calls = 'registerTrack' | 'signParts' | 'putPart' | 'putChunk' | 'completeTrack' | 'failTrack';
/** The server calls one track's upload needs (listing stored parts is optional). */
export type TrackUploadApi = Pick<RecordingClient, Calls> & Partial<Pick<RecordingClient, 'listParts'>>;

export type { TrackUploadStats, TrackUploadStatus };

export interface TrackUploadOptions extends TrackMetadata {
  api: TrackUploadApi;
  /** Where chunks wait until storage confirms them; in memory if absent. */
  journal?: ChunkJournal;
  /** Finishing a track found in the journal after a reload, instead of recording a new one. */
  resume?: JournaledTrack;
  partsInFlight?: number;
  signBatchSize?: number;
  retry?: RetryOptions;
  /** After every journaled chunk and every confirmed part. */
  onProgress?: (stats: TrackUploadStats) => void;
  /** Called once, at once; reporting to the server happens in the background. */
  onFailed?: (failure: TrackFailure, interrupted: boolean) => void;
}

/**
 * Gets one track's bytes into storage while it is being recorded: journals every chunk, registers
 * the track once its start time is known, feeds the journaled bytes to an upload sink, completes
 * the track with every part at the end, or reports why it gave up. Network trouble never fails a
 * track while it records: the bytes wait in the journal until storage takes them.
 */
export class TrackUpload {
  readonly #options: TrackUploadOptions;
  readonly #api: TrackUploadApi;
  readonly #journal: TrackJournal;
  readonly #retry: RetryOptions;
  #status: TrackUploadStatus = 'waiting';
  #sink: UploadSink | undefined;
  /** The track's length as the sink knows it. */
  #sinkBytes = 0;
  #registration: Promise<void> | undefined;
  #registeredOnServer = false;
  /** Registered again after a reload, and the server already had it complete. */
  #alreadyComplete: TrackInfo | undefined;
  #finishRequested = false;
  #failure: TrackFailure | undefined;
  /** Settles once the failure reached the server, so `stop` is not sent before it. */
  #failureReported: Promise<void> | undefined;
  #finished: Promise<TrackInfo> | undefined;

  constructor(options: TrackUploadOptions) {
    this.#options = options;
    this.#api = options.api;
    const journal = options.journal ?? new MemoryChunkJournal();
    this.#journal = new TrackJournal(journal, options.resume ?? newJournaledTrack(options));
    if (!options.resume) this.#journal.save().catch((error: unknown) => this.fail(error));
    // Bytes wait safely in the journal, so uploads keep trying until the recorder stops.
    this.#retry = { ...options.retry, persist: () => !this.#finishRequested && !this.#ended };
  }

  get status(): TrackUploadStatus {
    return this.#status;
  }

  get stats(): TrackUploadStats {
    return this.#journal.stats;
  }

  get failure(): TrackFailure | undefined {
    return this.#failure;
  }

  /**
   * The recorder started at `startedAt` (its `start` event, server clock, converted with
   * `clock`): register the track.
   */
  begin(startedAt: number, clock?: ClockEstimate): void {
    if (this.#registration) return;
    this.#registration = this.#register(startedAt, clock);
  }

  /** Journals the chunk; it counts as recorded once the journal has it. */
  push(chunk: Blob, at: number = Date.now()): void {
    if (this.#ended || chunk.size === 0) return;
    if (this.#finishRequested) {
      console.error(`callrec: track ${this.#options.trackId} got a chunk after it was finished; dropped`);
      return;
    }
    this.#journal.append(chunk, at).then(
      () => {
        this.#feedSink();
        this.#progress();
      },
      (error: unknown) => this.fail(error),
    );
  }

  /**
   * The recorder delivered its last chunk: upload the rest and complete the track. Rejects with
   * the track's failure if it failed at any point.
   */
  finish(endedAt: number, timing: TimingStep[] = []): Promise<TrackInfo> {
    this.#finishRequested = true;
    this.#finished ??= this.#finish(endedAt, timing);
    return this.#finished;
  }

  async #finish(endedAt: number, timing: TimingStep[]): Promise<TrackInfo> {
    if (!this.#registration) {
      this.fail(new RecorderError('recorder_not_started', 'the recorder stopped before it started'));
    }
    await this.#registration;
    await this.#journal.settled();
    if (this.#alreadyComplete) return this.#completed(this.#alreadyComplete);
    let parts: CompletedPart[];
    try {
      if (!this.#sink || this.#status !== 'uploading') throw this.#failureError();
      await this.#journal.update({ status: 'ended', endedAt });
      this.#feedSink();
      this.#status = 'completing';
      parts = await this.#sink.finish();
      // The last confirmations are journaled before anyone is told the track is complete.
      await this.#journal.settled();
      if (this.#journal.state.recordedBytes === 0) {
        throw new RecorderError('empty_track', 'the recorder produced no data for this track');
      }
      const { recordingId, trackId } = this.#options;
      const bytes = this.#journal.state.recordedBytes;
      const info = await this.#api.completeTrack(recordingId, trackId, {
        parts,
        bytes,
        endedAt,
        ...(timing.length > 0 ? { timing } : {}),
      });
      return await this.#completed(info);
    } catch (error) {
      this.fail(error);
      await this.#failureReported;
      throw this.#failureError();
    }
  }

  async #completed(info: TrackInfo): Promise<TrackInfo> {
    this.#status = 'complete';
    try {
      await this.#journal.update({ status: 'complete' });
    } catch (error) {
      // Storage has the track; a reload would only find it complete on the server.
      console.error(`callrec: could not mark track ${this.#options.trackId} complete in the journal`, error);
    }
    return info;
  }

  /**
   * Gives up on the track: stops uploading, reports `onFailed`, and, unless the reason is one a
   * later retry may overcome (then the track is only interrupted), tells the server why.
   */
  fail(reason: unknown): void {
    if (this.#ended || this.#status === 'complete') return;
    const failure = toTrackFailure(reason);
    this.#failure = failure;
    this.#sink?.abort(reason);
    const interrupted = isTransient(reason);
    this.#status = interrupted ? 'interrupted' : 'failed';
    if (interrupted) {
      this.#failureReported = Promise.resolve();
    } else {
      this.#journal.update({ status: 'failed', error: failure }).catch((error: unknown) => {
        console.error(`callrec: could not mark track ${this.#options.trackId} failed in the journal`, error);
      });
      // Unregistered tracks are unknown to the server; `#register` reports them once it knows them.
      this.#failureReported = this.#registeredOnServer ? this.#sendFailure(failure) : Promise.resolve();
    }
    this.#options.onFailed?.(failure, interrupted);
  }

  /** Failed or interrupted: nothing more is uploaded. */
  get #ended(): boolean {
    return this.#status === 'failed' || this.#status === 'interrupted';
  }

  async #register(startedAt: number, clock?: ClockEstimate): Promise<void> {
    try {
      const { track, upload } = await registerJournaledTrack(
        this.#api,
        this.#journal,
        startedAt,
        this.#retry,
        clock,
      );
      this.#registeredOnServer = true;
      if (this.#ended) {
        // Failed while registering: the server learns the reason now that it knows the track.
        if (this.#status === 'failed' && this.#failure) await this.#sendFailure(this.#failure);
        return;
      }
      if (track.status === 'complete') {
        this.#alreadyComplete = track;
        return;
      }
      this.#sinkBytes = this.#journal.state.confirmedBytes;
      this.#sink = createJournaledSink(upload, {
        ...this.#options,
        journal: this.#journal,
        retry: this.#retry,
        onPartUploaded: (part) => {
          this.#journal.confirm(part).then(
            () => this.#progress(),
            (error: unknown) => this.fail(error),
          );
        },
        onError: (error) => this.fail(error),
      });
      this.#status = 'uploading';
      this.#feedSink();
    } catch (error) {
      this.fail(error);
    }
  }

  /** Hands the sink whatever the journal holds beyond what the sink already knows. */
  #feedSink(): void {
    const recorded = this.#journal.state.recordedBytes;
    if (!this.#sink || this.#ended || recorded <= this.#sinkBytes) return;
    const size = recorded - this.#sinkBytes;
    this.#sinkBytes = recorded;
    this.#sink.append(size);
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
    const { code, message } = this.#failure ?? { code: 'internal_error', message: 'unknown upload state' };
    return new RecorderError(code, message);
  }

  #progress(): void {
    this.#options.onProgress?.(this.stats);
  }
}
