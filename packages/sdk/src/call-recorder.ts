import { type FetchLike, RecordingClient, type TokenSource } from './api-client.js';
import { type EventSourceFactory, watchCompletion } from './completion.js';
import { type FailedTrack, InvalidStateError, RecorderError, TracksFailedError } from './errors.js';
import { type RecorderEventMap, TypedEmitter } from './events.js';
import { type IsTypeSupported, type MimeTypePreferences, pickMimeType } from './mime.js';
import { DEFAULT_PARTS_IN_FLIGHT } from './multipart-upload.js';
import {
  type CreateRecordingRequest,
  type MediaKind,
  PARTICIPANT_ID_PATTERN,
  type RecordingInfo,
} from './protocol.js';
import { RecordedTrack, type TrackStats } from './recorded-track.js';
import { type RecorderState, RecorderStateMachine } from './recorder-state.js';
import type { RetryOptions, RetryPolicy } from './retry.js';

export interface CallRecorderOptions {
  serverUrl: string;
  /** A recording token minted by the app's backend, or a function that fetches a fresh one. */
  token: TokenSource;
  videoBitsPerSecond?: number;
  audioBitsPerSecond?: number;
  /** How often the recorders hand out a chunk. */
  timesliceMs?: number;
  /** Preference lists, most preferred first, checked with `MediaRecorder.isTypeSupported`. */
  mimeTypes?: MimeTypePreferences;
  /** Parts of one track uploading at the same time. */
  partsInFlight?: number;
  retry?: Partial<RetryPolicy>;
  /** For tests and non-browser hosts. */
  fetch?: FetchLike;
  EventSource?: EventSourceFactory;
  isTypeSupported?: IsTypeSupported;
  /** For tests: how retries wait. */
  sleep?: (ms: number) => Promise<void>;
}

export const CALL_RECORDER_DEFAULTS = {
  videoBitsPerSecond: 2_000_000,
  audioBitsPerSecond: 128_000,
  timesliceMs: 1000,
  partsInFlight: DEFAULT_PARTS_IN_FLIGHT,
  progressIntervalMs: 1000,
} as const;

export type StartOptions = CreateRecordingRequest;

export interface AddTrackOptions {
  participantId: string;
  /** Defaults to the participant id. */
  displayName?: string;
}

/**
 * Records every track of a call, one file per track, and uploads each while the call runs.
 *
 * idle → starting → recording → stopping → stopped; `failed` when the server refuses the start or
 * the stop. A recorder records once: make a new one for the next recording.
 */
export class CallRecorder extends TypedEmitter<RecorderEventMap> {
  readonly #options: CallRecorderOptions;
  readonly #client: RecordingClient;
  readonly #retry: RetryOptions;
  readonly #machine = new RecorderStateMachine();
  #info: RecordingInfo | undefined;
  /** Every track ever added, in order. */
  readonly #tracks: RecordedTrack[] = [];
  /** Tracks still recording, by the MediaStreamTrack they record. */
  readonly #active = new Map<MediaStreamTrack, RecordedTrack>();
  #trackCount = 0;
  #progressTimer: ReturnType<typeof setInterval> | undefined;
  #completion: Promise<RecordingInfo> | undefined;

  constructor(options: CallRecorderOptions) {
    super();
    this.#options = options;
    this.#retry = {
      ...(options.retry ? { policy: options.retry } : {}),
      ...(options.sleep ? { sleep: options.sleep } : {}),
    };
    this.#client = new RecordingClient({
      serverUrl: options.serverUrl,
      token: options.token,
      retry: this.#retry,
      ...(options.fetch ? { fetch: options.fetch } : {}),
    });
  }

  get state(): RecorderState {
    return this.#machine.state;
  }

  /** The HTTP client this recorder uses, for `getRecordingInfo` and friends with the same token. */
  get client(): RecordingClient {
    return this.#client;
  }

  /** Known once `start()` resolved. */
  get recordingId(): string | undefined {
    return this.#info?.id;
  }

  /** A snapshot of every track added so far, in the order they were added. */
  get tracks(): TrackStats[] {
    return this.#tracks.map((track) => track.stats);
  }

  /** Creates the recording on the server (its id is the token's subject). */
  async start(options: StartOptions): Promise<RecordingInfo> {
    this.#machine.transition('starting', 'start');
    let info: RecordingInfo;
    try {
      info = await this.#client.createRecording(options);
    } catch (error) {
      this.#machine.transition('failed');
      throw error;
    }
    this.#info = info;
    this.#machine.transition('recording');
    this.emit('recordingStarted', { recordingId: info.id, roomId: info.roomId, startedAt: info.createdAt });
    this.#progressTimer = setInterval(() => this.#emitProgress(), CALL_RECORDER_DEFAULTS.progressIntervalMs);
    return info;
  }

  /**
   * Starts recording `track` into its own file; returns the track id. Adding a track that is
   * already recording is a no-op that returns its id.
   */
  addTrack(track: MediaStreamTrack, { participantId, displayName = participantId }: AddTrackOptions): string {
    this.#machine.expect(['recording'], 'add a track');
    const existing = this.#active.get(track);
    if (existing) return existing.trackId;
    if (!PARTICIPANT_ID_PATTERN.test(participantId)) {
      throw new RecorderError(
        'invalid_participant_id',
        `participantId ${JSON.stringify(participantId)} must match ${PARTICIPANT_ID_PATTERN}`,
      );
    }
    const kind: MediaKind = track.kind === 'audio' ? 'audio' : 'video';
    const options = this.#options;
    const recorded = new RecordedTrack({
      client: this.#client,
      recordingId: this.#requireInfo().id,
      trackId: this.#newTrackId(kind),
      track,
      participantId,
      displayName,
      mimeType: pickMimeType(kind, options.mimeTypes, options.isTypeSupported),
      bitsPerSecond:
        kind === 'video'
          ? (options.videoBitsPerSecond ?? CALL_RECORDER_DEFAULTS.videoBitsPerSecond)
          : (options.audioBitsPerSecond ?? CALL_RECORDER_DEFAULTS.audioBitsPerSecond),
      timesliceMs: options.timesliceMs ?? CALL_RECORDER_DEFAULTS.timesliceMs,
      partsInFlight: options.partsInFlight ?? CALL_RECORDER_DEFAULTS.partsInFlight,
      retry: this.#retry,
      onProgress: (event) => this.emit('trackProgress', event),
      onEnded: (event) => this.emit('trackEnded', event),
      onFailed: (event) => this.emit('trackFailed', event),
    });
    recorded.start();
    this.#tracks.push(recorded);
    this.#active.set(track, recorded);
    // However it ends (removed, track ended, failed), it no longer blocks re-adding the track.
    void recorded.done.then(() => {
      if (this.#active.get(track) === recorded) this.#active.delete(track);
    });
    const { trackId, stats } = recorded;
    this.emit('trackAdded', { trackId, participantId, displayName, kind, mimeType: stats.mimeType });
    return trackId;
  }

  /**
   * Stops recording `track` and finishes its upload. Resolves with the track's final stats (its
   * `status` says whether it made it), or undefined for a track that is not recording.
   */
  async removeTrack(track: MediaStreamTrack): Promise<TrackStats | undefined> {
    const recorded = this.#active.get(track);
    if (!recorded) return undefined;
    this.#active.delete(track);
    return recorded.stop();
  }

  /**
   * Stops every recorder, waits until every track's bytes are confirmed in storage (or the track
   * failed), then stops the recording on the server, which starts processing. Rejects with
   * `TracksFailedError` if any track failed; the recording is stopped anyway.
   */
  async stop(): Promise<RecordingInfo> {
    this.#machine.transition('stopping', 'stop');
    const stoppedAt = Date.now();
    clearInterval(this.#progressTimer);
    this.#active.clear();
    const results = await Promise.all(this.#tracks.map((track) => track.stop()));
    let info: RecordingInfo;
    try {
      info = await this.#client.stopRecording(this.#requireInfo().id, { stoppedAt });
    } catch (error) {
      this.#machine.transition('failed');
      throw error;
    }
    this.#info = info;
    this.#machine.transition('stopped');
    const failed: FailedTrack[] = results
      .filter((track) => track.status === 'failed')
      .map(({ trackId, participantId, kind, error }) => ({
        trackId,
        participantId,
        kind,
        code: error?.code ?? 'internal_error',
        message: error?.message ?? 'unknown failure',
      }));
    if (failed.length > 0) throw new TracksFailedError(info, failed);
    return info;
  }

  /**
   * Follows the server's processing (recordingProcessing, thumbnailsGenerated,
   * recordingUploaded, recordingCompleted, recordingFailed are re-emitted here). Resolves with
   * the final info on completion, rejects with `RecordingFailedError` on failure.
   */
  waitForCompletion(): Promise<RecordingInfo> {
    const recordingId = this.#info?.id;
    if (!recordingId) {
      return Promise.reject(
        new InvalidStateError(`cannot wait for completion while the recorder is ${this.state}`),
      );
    }
    this.#completion ??= watchCompletion({
      client: this.#client,
      recordingId,
      retry: this.#retry,
      ...(this.#options.EventSource ? { EventSource: this.#options.EventSource } : {}),
      // Same payload types: RecorderEventMap extends the protocol's map.
      onEvent: (name, payload) => this.emit(name, payload as RecorderEventMap[typeof name]),
    });
    return this.#completion;
  }

  #emitProgress(): void {
    if (this.state !== 'recording' || !this.#info) return;
    let chunks = 0;
    let bytes = 0;
    const participants = new Set<string>();
    for (const track of this.#tracks) {
      const stats = track.stats;
      chunks += stats.chunks;
      bytes += stats.recordedBytes;
      if (track.active) participants.add(stats.participantId);
    }
    this.emit('recordingProgress', {
      recordingId: this.#info.id,
      chunks,
      participants: participants.size,
      bytes,
    });
  }

  #newTrackId(kind: MediaKind): string {
    // Random too: the same recording id may be started again (a reloaded page), and a reused
    // track id would write into the earlier upload.
    const random = Array.from(crypto.getRandomValues(new Uint8Array(4)), (b) =>
      b.toString(16).padStart(2, '0'),
    );
    return `${kind}-${++this.#trackCount}-${random.join('')}`;
  }

  #requireInfo(): RecordingInfo {
    if (!this.#info) throw new InvalidStateError(`the recorder is ${this.state} and has no recording`);
    return this.#info;
  }
}
