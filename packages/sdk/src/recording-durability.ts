import type { ChunkJournal, JournaledRecording, JournaledTrack } from './chunk-journal.js';
import { MemoryChunkJournal } from './chunk-journal.js';
import { openChunkJournal } from './indexeddb-journal.js';
import { closePauses } from './pauses.js';
import type { PauseSpan, RecordingInfo } from './protocol.js';
import { defaultRecordingLocks, type RecordingLocks } from './recording-lock.js';
import { finishJournaledTrack, type RecoveredTrack } from './recovery.js';
import type { RetryOptions } from './retry.js';
import type { TrackUploadApi } from './track-upload.js';
import { UnloadGuard, type UnloadTarget } from './unload-guard.js';

export interface DurabilityOptions {
  journal?: ChunkJournal | Promise<ChunkJournal>;
  locks?: RecordingLocks;
  beforeUnload?: UnloadTarget | false;
}

/**
 * What keeps one recording safe beyond the page: its journal entry, the lock that tells
 * recovery elsewhere that a live page owns it, and the "leave site?" guard while bytes are
 * unsent.
 */
export class RecordingDurability {
  readonly journal: ChunkJournal;
  /** Unfinished tracks of the same recording left by an earlier page (it was started again). */
  readonly leftovers: readonly JournaledTrack[];
  #record: JournaledRecording;
  readonly #guard: UnloadGuard;
  readonly #release: () => void;

  private constructor(
    journal: ChunkJournal,
    record: JournaledRecording,
    leftovers: JournaledTrack[],
    guard: UnloadGuard,
    release: () => void,
  ) {
    this.journal = journal;
    this.#record = record;
    this.leftovers = leftovers;
    this.#guard = guard;
    this.#release = release;
  }

  /** Opens the journal before the recording exists, so the first chunk never waits for it. */
  static openJournal(options: DurabilityOptions): Promise<ChunkJournal> {
    return Promise.resolve(options.journal ?? openChunkJournal());
  }

  static async begin(
    journal: ChunkJournal,
    serverUrl: string,
    info: RecordingInfo,
    options: DurabilityOptions,
  ): Promise<RecordingDurability> {
    const release = await (options.locks ?? defaultRecordingLocks()).tryAcquire(info.id);
    if (!release) console.warn(`callrec: another page holds recording ${info.id}; recording it here too`);
    const record = { recordingId: info.id, serverUrl, roomId: info.roomId, createdAt: info.createdAt };
    let leftovers: JournaledTrack[];
    try {
      await journal.putRecording(record);
      // Tracks of a page that still records are that page's business.
      const unfinished = (t: JournaledTrack) => t.status !== 'complete' && t.status !== 'failed';
      leftovers = release ? (await journal.listTracks(info.id)).filter(unfinished) : [];
    } catch (error) {
      console.warn(
        'callrec: the journal refused the recording; unsent data will not survive a reload',
        error,
      );
      journal = new MemoryChunkJournal();
      await journal.putRecording(record);
      leftovers = [];
    }
    const guard = new UnloadGuard(options.beforeUnload === false ? null : options.beforeUnload);
    return new RecordingDurability(journal, record, leftovers, guard, release ?? (() => {}));
  }

  /** Finishes the leftover tracks in the background; never rejects. */
  finishLeftovers(
    api: TrackUploadApi,
    retry: RetryOptions,
    partsInFlight?: number,
  ): Promise<RecoveredTrack[]> {
    const createdAt = this.#record.createdAt;
    return Promise.all(
      this.leftovers.map((track) =>
        finishJournaledTrack(api, this.journal, track, { createdAt }, retry, partsInFlight),
      ),
    );
  }

  /** Installs or removes the unload guard. */
  backlog(bytes: number): void {
    this.#guard.update(bytes);
  }

  /** Pause spans not yet confirmed by the server, oldest first (the open one excluded). */
  get pendingPauses(): readonly PauseSpan[] {
    return this.#record.pauses ?? [];
  }

  /** The recording paused at `pausedAt` (server clock): a stop or recovery closes the span. */
  pausing(pausedAt: number): Promise<void> {
    return this.#put({ ...this.#record, pausedAt }, 'the pause; recovery would not leave it out');
  }

  /** The pause ended: the span waits here until the server confirms it (`pauseSent`). */
  resumed(span: PauseSpan): Promise<void> {
    const { pausedAt: _closed, ...record } = this.#record;
    const pauses = [...(record.pauses ?? []), span];
    return this.#put({ ...record, pauses }, 'the pause span; recovery would not leave it out');
  }

  pauseSent(span: PauseSpan): Promise<void> {
    const pauses = (this.#record.pauses ?? []).filter((p) => p.from !== span.from || p.to !== span.to);
    return this.#put({ ...this.#record, pauses }, 'a sent pause span; it may be sent again');
  }

  /**
   * The app asked to stop at `stoppedAt` (server clock): if the page dies now, recovery stops the
   * recording at this time, or, for `endRecording: false`, only finishes this page's tracks. An
   * open pause ends here.
   */
  stopping(stoppedAt: number, endRecording = true): Promise<void> {
    const { pausedAt: _closed, ...record } = this.#record;
    const pauses = closePauses(this.#record, stoppedAt);
    return this.#put(
      { ...record, stoppedAt, endRecording, pauses },
      'the stop time; recovery would use the last chunk time',
    );
  }

  async #put(record: JournaledRecording, what: string): Promise<void> {
    this.#record = record;
    try {
      await this.journal.putRecording(record);
    } catch (error) {
      console.error(`callrec: could not journal ${what}`, error);
    }
  }

  /** The page is done with the recording; `clear` drops it from the journal (the server has all). */
  async end(clear: boolean): Promise<void> {
    this.#guard.update(0);
    try {
      if (clear) await this.journal.deleteRecording(this.#record.recordingId);
    } catch (error) {
      console.error(`callrec: could not clear recording ${this.#record.recordingId} from the journal`, error);
    } finally {
      this.#release();
    }
  }
}
