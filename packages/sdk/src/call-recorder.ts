import { RecordingClient } from './api-client.js';
import {
  type AddTrackOptions,
  CALL_RECORDER_DEFAULTS,
  type CallRecorderOptions,
  retryOptions,
  type StartOptions,
  type StopOptions,
  trackSettings,
} from './call-recorder-options.js';
import { ClockSync } from './clock-sync.js';
import { watchCompletion } from './completion.js';
import { InvalidStateError, RecordingInterruptedError, TracksFailedError } from './errors.js';
import { type RecorderEventMap, TypedEmitter } from './events.js';
import { JournalLagAlarm } from './journal-lag.js';
import { sendPauses } from './pauses.js';
import type { MediaKind, RecordingInfo } from './protocol.js';
import {
  checkParticipantId,
  failedTrack,
  newTrackId,
  RecordedTrack,
  recordingProgress,
  type TrackStats,
} from './recorded-track.js';
import { type RecorderState, RecorderStateMachine } from './recorder-state.js';
import { RecordingDurability } from './recording-durability.js';
import { type RecoveredRecording, type RecoverOptions, recoverRecordings } from './recovery.js';
import type { RetryOptions } from './retry.js';

/**
 * Records every track of a call, one file per track, and uploads each while the call runs. Every
 * time it sends is on the server's clock (see `ClockSync`), so browsers whose clocks disagree
 * can record into one recording.
 *
 * idle → starting → recording ⇄ paused → stopping → stopped; `failed` when the server refuses the
 * start or the stop. A recorder records once: make a new one for the next recording.
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
  #durability: RecordingDurability | undefined;
  readonly #clock: ClockSync;
  /** Server clock; set while paused. */
  #pausedAt: number | undefined;
  /** Unfinished tracks an earlier page left in the same recording, being finished now. */
  #leftovers: Promise<{ status: string }[]> = Promise.resolve([]);
  readonly #journalLag: JournalLagAlarm;

  /**
   * Finishes the recordings earlier pages left unfinished (reload, crash, closed tab): see
   * `recoverRecordings`. Call it once the page has loaded.
   */
  static recover(options: RecoverOptions): Promise<RecoveredRecording[]> {
    return recoverRecordings(options);
  }

  constructor(options: CallRecorderOptions) {
    super();
    this.#options = options;
    this.#retry = retryOptions(options);
    this.#journalLag = new JournalLagAlarm(options.journalWarningBytes);
    this.#client = new RecordingClient({
      serverUrl: options.serverUrl,
      token: options.token,
      retry: this.#retry,
      ...(options.fetch ? { fetch: options.fetch } : {}),
    });
    this.#clock = new ClockSync({
      fetchServerTime: () => this.#client.getServerTime(),
      ...(options.clockSyncIntervalMs ? { intervalMs: options.clockSyncIntervalMs } : {}),
      ...(options.clockSyncRoundTrips ? { roundTrips: options.clockSyncRoundTrips } : {}),
      onSynced: (event) => this.emit('clockSynced', event),
      onFailed: (event) => this.emit('clockSyncFailed', event),
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

  /** This browser's estimate of the server's clock; every time the recorder sends is on it. */
  get clock(): Pick<ClockSync, 'serverNow' | 'toServerTime' | 'estimate'> {
    return this.#clock;
  }

  /** A snapshot of every track added so far, in the order they were added. */
  get tracks(): TrackStats[] {
    return this.#tracks.map((track) => track.stats);
  }

  /**
   * Creates the recording on the server (its id is the token's subject) and its journal entry,
   * and measures the server's clock. A recording already recording under that id (another
   * participant's browser started it) is joined: the same recording comes back.
   */
  async start(options: StartOptions): Promise<RecordingInfo> {
    this.#machine.transition('starting', 'start');
    let info: RecordingInfo;
    try {
      const [journal, created] = await Promise.all([
        RecordingDurability.openJournal(this.#options),
        this.#client.createRecording(options),
        // Never rejects: a failed sync is reported (`clockSyncFailed`) and retried.
        this.#clock.start(),
      ]);
      info = created;
      this.#durability = await RecordingDurability.begin(
        journal,
        this.#options.serverUrl,
        info,
        this.#options,
      );
    } catch (error) {
      this.#clock.stop();
      this.#machine.transition('failed');
      throw error;
    }
    this.#info = info;
    this.#leftovers = this.#durability.finishLeftovers(
      this.#client,
      this.#retry,
      this.#options.partsInFlight,
    );
    this.#machine.transition('recording');
    this.emit('recordingStarted', { recordingId: info.id, roomId: info.roomId, startedAt: info.createdAt });
    this.#progressTimer = setInterval(() => this.#emitProgress(), CALL_RECORDER_DEFAULTS.progressIntervalMs);
    return info;
  }

  /**
   * Starts recording `track` into its own file; returns the track id. Adding a track that is
   * already recording is a no-op that returns its id. While paused, the track starts paused.
   */
  addTrack(track: MediaStreamTrack, { participantId, displayName = participantId }: AddTrackOptions): string {
    this.#machine.expect(['recording', 'paused'], 'add a track');
    const existing = this.#active.get(track);
    if (existing) return existing.trackId;
    checkParticipantId(participantId);
    const kind: MediaKind = track.kind === 'audio' ? 'audio' : 'video';
    const recorded = new RecordedTrack({
      ...trackSettings(this.#options, kind),
      client: this.#client,
      journal: this.#requireDurability().journal,
      recordingId: this.#requireInfo().id,
      trackId: newTrackId(kind, ++this.#trackCount),
      track,
      participantId,
      displayName,
      retry: this.#retry,
      clock: this.#clock,
      onProgress: (event) => {
        this.#emitProgress(false);
        this.emit('trackProgress', event);
      },
      onEnded: (event) => this.emit('trackEnded', event),
      onFailed: (event) => this.emit('trackFailed', event),
    });
    recorded.start(this.state === 'paused');
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
   * Pauses every recorder of this page (tracks added while paused start paused). The span, on
   * the server's clock, is left out of every output; it reaches the server at `resume()`, or at
   * `stop()` if the recording stops while paused. Resolves once the pause is journaled.
   */
  async pause(): Promise<void> {
    this.#machine.transition('paused', 'pause');
    const pausedAt = this.#clock.serverNow();
    this.#pausedAt = pausedAt;
    for (const track of this.#active.values()) track.pause();
    await this.#requireDurability().pausing(pausedAt);
    this.emit('recordingPaused', { recordingId: this.#requireInfo().id, pausedAt });
  }

  /**
   * Resumes every recorder and sends the pause span (POST /v1/recordings/:id/pauses). Resolves
   * once the server has it; if the server stays unreachable, the journal keeps the span and
   * `stop()` (or recovery) sends it.
   */
  async resume(): Promise<void> {
    this.#machine.transition('recording', 'resume');
    const pause = { from: this.#pausedAt ?? this.#clock.serverNow(), to: this.#clock.serverNow() };
    this.#pausedAt = undefined;
    for (const track of this.#active.values()) track.resume();
    const durability = this.#requireDurability();
    await durability.resumed(pause);
    const recordingId = this.#requireInfo().id;
    this.emit('recordingResumed', { recordingId, pause });
    try {
      await this.#sendPauses();
    } catch (error) {
      console.warn(`callrec: pause ${pause.from}-${pause.to} not sent yet; stop() sends it`, error);
    }
  }

  /**
   * Stops every recorder, waits until every track's bytes are confirmed in storage (or the track
   * failed), then stops the recording on the server, which starts processing. Rejects with
   * `TracksFailedError` if any track failed; the recording is stopped anyway. Rejects with
   * `RecordingInterruptedError`, without stopping the recording, if storage stayed unreachable:
   * the journal keeps the bytes, and `CallRecorder.recover()` finishes the recording later.
   *
   * With `endRecording: false` the recording goes on (others still record into it): only this
   * recorder's tracks end, and it resolves with the recording's current info.
   */
  async stop({ endRecording = true }: StopOptions = {}): Promise<RecordingInfo> {
    this.#machine.transition('stopping', 'stop');
    const stoppedAt = this.#clock.serverNow();
    this.#pausedAt = undefined;
    clearInterval(this.#progressTimer);
    this.#active.clear();
    const durability = this.#requireDurability();
    const recordingId = this.#requireInfo().id;
    const journaled = durability.stopping(stoppedAt, endRecording);
    const results = await Promise.all(this.#tracks.map((track) => track.stop()));
    await journaled;
    const leftovers = await this.#leftovers;
    const interrupted = results.filter((track) => track.status === 'interrupted');
    let info: RecordingInfo;
    try {
      if (interrupted.length > 0 || leftovers.some((track) => track.status === 'interrupted')) {
        // Stopping now would make the server abort those uploads; the journal keeps them instead.
        throw new RecordingInterruptedError(recordingId, interrupted.map(failedTrack));
      }
      await this.#sendPauses();
      info = endRecording
        ? await this.#client.stopRecording(recordingId, { stoppedAt })
        : await this.#client.getRecordingInfo(recordingId);
    } catch (error) {
      this.#clock.stop();
      await durability.end(false);
      this.#machine.transition('failed');
      throw error;
    }
    this.#clock.stop();
    await durability.end(true);
    this.#info = info;
    this.#machine.transition('stopped');
    const failed = results.filter((track) => track.status === 'failed').map(failedTrack);
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

  /** Sends the journaled pause spans; throws if the server stayed unreachable. */
  async #sendPauses(): Promise<void> {
    const durability = this.#requireDurability();
    await sendPauses(this.#client, this.#requireInfo().id, [...durability.pendingPauses], (span) =>
      durability.pauseSent(span),
    );
  }

  /** Keeps the unload guard in step with the backlog, and emits the progress while recording. */
  #emitProgress(emit = true): void {
    const progress = recordingProgress(this.#requireInfo().id, this.#tracks);
    this.#durability?.backlog(progress.backlogBytes);
    if (this.#journalLag.update(progress.waitingBytes)) {
      const { thresholdBytes } = this.#journalLag;
      const { recordingId, waitingBytes } = progress;
      console.warn(
        `callrec: ${waitingBytes} recorded bytes wait in memory for the journal (over ${thresholdBytes})`,
      );
      this.emit('journalBehind', { recordingId, waitingBytes, thresholdBytes });
    }
    if (emit && (this.state === 'recording' || this.state === 'paused')) {
      this.emit('recordingProgress', progress);
    }
  }

  #requireInfo(): RecordingInfo {
    if (!this.#info) throw new InvalidStateError(`the recorder is ${this.state} and has no recording`);
    return this.#info;
  }

  #requireDurability(): RecordingDurability {
    if (!this.#durability) throw new InvalidStateError(`the recorder is ${this.state} and has no journal`);
    return this.#durability;
  }
}
