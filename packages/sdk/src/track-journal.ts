import { crc32, crc32Hex } from './checksum.js';
import type { ChunkJournal, ConfirmedPart, JournalChunk, JournaledTrack } from './chunk-journal.js';

export interface TrackUploadStats {
  chunks: number;
  /** Bytes the recorder produced and the journal holds (or held until storage confirmed them). */
  recordedBytes: number;
  /** Bytes storage confirmed. */
  uploadedBytes: number;
  /** CRC-32 of the recorded bytes in order, 8 hex digits (as `zlib.crc32` computes it). */
  crc32: string;
  /** Bytes recorded but not yet confirmed by storage, including chunks still being journaled. */
  backlogBytes: number;
  /** Bytes recorded and still waiting in memory for the journal to commit them. */
  waitingBytes: number;
}

/**
 * `interrupted`: storage stayed unreachable after the recorder stopped, beyond what retries
 * cover. Nothing was reported to the server, and the journal keeps the track for recovery.
 */
export type TrackUploadStatus =
  | 'waiting'
  | 'uploading'
  | 'completing'
  | 'complete'
  | 'failed'
  | 'interrupted';

export type TrackMetadata = Pick<
  JournaledTrack,
  'recordingId' | 'trackId' | 'participantId' | 'displayName' | 'kind' | 'mimeType'
>;

interface WaitingChunk {
  blob: Blob;
  at: number;
  resolve: (state: Readonly<JournaledTrack>) => void;
  reject: (error: unknown) => void;
}

/** A track that has recorded nothing yet. */
export function newJournaledTrack(metadata: TrackMetadata): JournaledTrack {
  const { recordingId, trackId, participantId, displayName, kind, mimeType } = metadata;
  return {
    ...{ recordingId, trackId, participantId, displayName, kind, mimeType },
    ...{ chunks: 0, recordedBytes: 0, crc32: 0, confirmedBytes: 0, parts: [], status: 'recording' },
  };
}

/**
 * One track's view of the chunk journal. Every write goes through one queue, so the journal's
 * track record always counts exactly the chunks stored before it, whatever order chunks and
 * confirmations arrive in. `state` is what the journal holds, never more: a chunk counts as
 * recorded only once it is committed.
 */
export class TrackJournal {
  readonly #journal: ChunkJournal;
  #state: JournaledTrack;
  #queue: Promise<unknown> = Promise.resolve();
  /** Bytes handed to `append` and not yet committed. */
  #pendingBytes = 0;
  /** Chunks handed to `append` that no write has taken yet, oldest first. */
  #waiting: WaitingChunk[] = [];
  /** A chunk could not be stored: appending later ones would leave a hole. */
  #broken: unknown;

  constructor(journal: ChunkJournal, state: JournaledTrack) {
    this.#journal = journal;
    this.#state = structuredClone(state);
  }

  get state(): Readonly<JournaledTrack> {
    return this.#state;
  }

  get pendingBytes(): number {
    return this.#pendingBytes;
  }

  /** Bytes recorded and not yet confirmed by storage, including those still being journaled. */
  get backlogBytes(): number {
    return this.#state.recordedBytes - this.uploadedBytes + this.#pendingBytes;
  }

  get uploadedBytes(): number {
    return this.#state.parts.reduce((sum, part) => sum + part.size, 0);
  }

  get stats(): TrackUploadStats {
    const { chunks, recordedBytes, crc32 } = this.#state;
    const { uploadedBytes, backlogBytes } = this;
    const waitingBytes = this.#pendingBytes;
    return { chunks, recordedBytes, uploadedBytes, crc32: crc32Hex(crc32), backlogBytes, waitingBytes };
  }

  /** Stores the track record as it is (the first time, or after `update`). */
  save(): Promise<void> {
    return this.#enqueue(() => this.#journal.putTrack(this.#state));
  }

  /**
   * Journals the next chunk; resolves once it is committed and counted. Chunks that arrive while
   * a write is under way wait, and the next write commits all of them in one transaction: a
   * starved page (one fsync per chunk falling behind the recorders) catches up instead of
   * holding more and more chunks in memory.
   */
  append(chunk: Blob, at: number): Promise<Readonly<JournaledTrack>> {
    this.#pendingBytes += chunk.size;
    return new Promise((resolve, reject) => {
      this.#waiting.push({ blob: chunk, at, resolve, reject });
      if (this.#waiting.length === 1) {
        // One write per group: it takes every chunk waiting when its turn comes. Its outcome
        // reaches every caller through the promise returned here, so nothing is lost below.
        this.#enqueue(() => this.#commitWaiting()).catch(() => undefined);
      }
    });
  }

  async #commitWaiting(): Promise<void> {
    const group = this.#waiting;
    this.#waiting = [];
    const groupBytes = group.reduce((sum, w) => sum + w.blob.size, 0);
    try {
      if (this.#broken !== undefined) throw this.#broken;
      let state = this.#state;
      const chunks: JournalChunk[] = [];
      const counted: JournaledTrack[] = [];
      for (const { blob, at } of group) {
        const bytes = new Uint8Array(await blob.arrayBuffer());
        chunks.push({ offset: state.recordedBytes, blob });
        state = {
          ...state,
          chunks: state.chunks + 1,
          recordedBytes: state.recordedBytes + bytes.length,
          crc32: crc32(bytes, state.crc32),
          lastChunkAt: at,
        };
        counted.push(state);
      }
      try {
        await this.#journal.appendChunks(state, chunks);
      } catch (error) {
        this.#broken = error;
        throw error;
      }
      this.#state = state;
      this.#pendingBytes -= groupBytes;
      for (const [i, w] of group.entries()) w.resolve(counted[i] ?? state);
    } catch (error) {
      this.#pendingBytes -= groupBytes;
      for (const w of group) w.reject(error);
      throw error;
    }
  }

  /** Storage confirmed a part: record it, and let the journal drop the chunks no longer needed. */
  confirm(part: ConfirmedPart): Promise<void> {
    return this.#enqueue(async () => {
      const parts = [...this.#state.parts.filter((p) => p.partNumber !== part.partNumber), part];
      parts.sort((a, b) => a.start - b.start);
      let confirmedBytes = this.#state.confirmedBytes;
      for (const p of parts) if (p.start === confirmedBytes) confirmedBytes += p.size;
      const next = { ...this.#state, parts, confirmedBytes };
      await this.#journal.putTrack(next);
      this.#state = next;
    });
  }

  /** Changes metadata (start and end times, upload target, status) and stores it. */
  update(
    patch: Partial<Omit<JournaledTrack, 'recordingId' | 'trackId' | 'chunks' | 'recordedBytes' | 'crc32'>>,
  ): Promise<void> {
    return this.#enqueue(async () => {
      const next = { ...this.#state, ...patch };
      await this.#journal.putTrack(next);
      this.#state = next;
    });
  }

  read(start: number, end: number): Promise<Blob> {
    return this.#journal.readBytes(this.#state.recordingId, this.#state.trackId, start, end);
  }

  /** Resolves once every write queued so far has settled (successfully or not). */
  async settled(): Promise<void> {
    for (;;) {
      const queue = this.#queue;
      await queue.catch(() => undefined);
      if (queue === this.#queue) return;
    }
  }

  #enqueue<T>(operation: () => Promise<T>): Promise<T> {
    // A failed write does not stop later ones; each caller sees its own outcome.
    const run = this.#queue.catch(() => undefined).then(operation);
    this.#queue = run;
    return run;
  }
}
