import { RecorderError, type TrackFailure } from './errors.js';
import type { ClockEstimate, CompletedPart, MediaKind, PauseSpan, UploadTarget } from './protocol.js';

/** A recording the browser was recording, kept until the server has everything and was stopped. */
export interface JournaledRecording {
  recordingId: string;
  /** The server it was created on; recovery only finishes recordings of the server it is given. */
  serverUrl: string;
  roomId: string;
  /** The server's `createdAt`. */
  createdAt: number;
  /** Set once the app called `stop()`: recovery stops the recording at this time (server clock). */
  stoppedAt?: number;
  /** False once the app called `stop({ endRecording: false })`: recovery leaves it running. */
  endRecording?: boolean;
  /** An open pause (server clock): it ends at the stop, or at `stoppedAt` in recovery. */
  pausedAt?: number;
  /** Pause spans the server has not confirmed yet; recovery sends them before it stops. */
  pauses?: PauseSpan[];
}

/** A part storage confirmed, with where it sits in the track. */
export interface ConfirmedPart extends CompletedPart {
  start: number;
  size: number;
}

/** `recording` until the recorder stopped; `ended` until storage completed it. */
export type JournaledTrackStatus = 'recording' | 'ended' | 'complete' | 'failed';

/** One track's metadata and upload state; its bytes are the journal's chunks. */
export interface JournaledTrack {
  recordingId: string;
  trackId: string;
  participantId: string;
  displayName: string;
  kind: MediaKind;
  mimeType: string;
  /** Server clock, as sent (or to be sent) when registering the track. */
  startedAt?: number;
  /** The clock estimate `startedAt` was converted with. */
  clock?: ClockEstimate;
  endedAt?: number;
  /** When the last chunk arrived: the end time of a track whose tab died. */
  lastChunkAt?: number;
  /** How the server said to upload the track; absent until it registered it. */
  target?: UploadTarget;
  chunks: number;
  recordedBytes: number;
  /** CRC-32 of the `recordedBytes` bytes (see checksum.ts). */
  crc32: number;
  /** Every byte before this offset is confirmed by storage, and no longer in the journal. */
  confirmedBytes: number;
  parts: ConfirmedPart[];
  status: JournaledTrackStatus;
  error?: TrackFailure;
}

export interface JournalChunk {
  /** Where the chunk starts in its track. */
  offset: number;
  blob: Blob;
}

/**
 * Durable storage for everything recorded but not yet confirmed by storage, so a reload or a
 * crashed tab loses nothing. Writes resolve only once the data is committed.
 */
export interface ChunkJournal {
  /** `indexeddb`, `memory`, ... */
  readonly kind: string;
  /** Whether the journal outlives the page. */
  readonly durable: boolean;
  putRecording(recording: JournaledRecording): Promise<void>;
  listRecordings(): Promise<JournaledRecording[]>;
  /** With its tracks and their chunks. */
  deleteRecording(recordingId: string): Promise<void>;
  /** Also drops the track's chunks that end at or before `track.confirmedBytes`, atomically. */
  putTrack(track: JournaledTrack): Promise<void>;
  listTracks(recordingId: string): Promise<JournaledTrack[]>;
  /**
   * Stores the chunks (consecutive, in order) and the track state that counts them, atomically:
   * all of them or none.
   */
  appendChunks(track: JournaledTrack, chunks: readonly JournalChunk[]): Promise<void>;
  /** Bytes [start, end) of a track; throws if the journal no longer holds all of them. */
  readBytes(recordingId: string, trackId: string, start: number, end: number): Promise<Blob>;
}

/** Stitches bytes [start, end) from chunks sorted by offset that cover them. */
export function sliceChunks(chunks: readonly JournalChunk[], start: number, end: number): Blob {
  const pieces: Blob[] = [];
  let at = start;
  for (const { offset, blob } of chunks) {
    const chunkEnd = offset + blob.size;
    if (chunkEnd <= at || at >= end) continue;
    if (offset > at) break;
    pieces.push(blob.slice(at - offset, Math.min(end, chunkEnd) - offset));
    at = Math.min(end, chunkEnd);
  }
  if (at < end) {
    throw new RecorderError(
      'journal_missing_bytes',
      `the journal no longer holds bytes ${at}-${end - 1} of the track (asked for ${start}-${end - 1})`,
    );
  }
  return pieces.length === 1 && pieces[0] ? pieces[0] : new Blob(pieces);
}

const key = (recordingId: string, trackId: string) => JSON.stringify([recordingId, trackId]);

/**
 * Keeps everything in this page's memory: for tests, and the fallback where IndexedDB is not
 * available (then a reload loses what was not uploaded, and `durable` says so).
 */
export class MemoryChunkJournal implements ChunkJournal {
  readonly kind = 'memory';
  readonly durable = false;
  readonly #recordings = new Map<string, JournaledRecording>();
  readonly #tracks = new Map<string, JournaledTrack>();
  readonly #chunks = new Map<string, JournalChunk[]>();

  /** Bytes held in chunks, all tracks together. */
  get storedBytes(): number {
    let total = 0;
    for (const chunks of this.#chunks.values()) for (const chunk of chunks) total += chunk.blob.size;
    return total;
  }

  async putRecording(recording: JournaledRecording): Promise<void> {
    this.#recordings.set(recording.recordingId, structuredClone(recording));
  }

  async listRecordings(): Promise<JournaledRecording[]> {
    return [...this.#recordings.values()].map((r) => structuredClone(r));
  }

  async deleteRecording(recordingId: string): Promise<void> {
    this.#recordings.delete(recordingId);
    for (const [k, track] of this.#tracks) {
      if (track.recordingId !== recordingId) continue;
      this.#tracks.delete(k);
      this.#chunks.delete(k);
    }
  }

  async putTrack(track: JournaledTrack): Promise<void> {
    const k = key(track.recordingId, track.trackId);
    this.#tracks.set(k, structuredClone(track));
    const chunks = this.#chunks.get(k);
    if (chunks) {
      this.#chunks.set(
        k,
        chunks.filter((c) => c.offset + c.blob.size > track.confirmedBytes),
      );
    }
  }

  async listTracks(recordingId: string): Promise<JournaledTrack[]> {
    return [...this.#tracks.values()]
      .filter((t) => t.recordingId === recordingId)
      .map((t) => structuredClone(t));
  }

  async appendChunks(track: JournaledTrack, chunks: readonly JournalChunk[]): Promise<void> {
    const k = key(track.recordingId, track.trackId);
    this.#tracks.set(k, structuredClone(track));
    const stored = this.#chunks.get(k) ?? [];
    for (const { offset, blob } of chunks) stored.push({ offset, blob });
    this.#chunks.set(k, stored);
  }

  async readBytes(recordingId: string, trackId: string, start: number, end: number): Promise<Blob> {
    return sliceChunks(this.#chunks.get(key(recordingId, trackId)) ?? [], start, end);
  }
}
