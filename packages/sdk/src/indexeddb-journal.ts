import {
  type ChunkJournal,
  type JournalChunk,
  type JournaledRecording,
  type JournaledTrack,
  MemoryChunkJournal,
  sliceChunks,
} from './chunk-journal.js';
import { RecorderError } from './errors.js';

export const DEFAULT_JOURNAL_DATABASE = 'callrec-journal';
const VERSION = 1;
const RECORDINGS = 'recordings';
const TRACKS = 'tracks';
const CHUNKS = 'chunks';

interface ChunkRecord extends JournalChunk {
  recordingId: string;
  trackId: string;
}

interface PendingAppend {
  track: JournaledTrack;
  chunks: readonly JournalChunk[];
  resolve: () => void;
  reject: (error: unknown) => void;
}

/**
 * The chunk journal in IndexedDB. Chunks are stored as Blobs, which Chromium keeps in files, so
 * neither writing nor reading a part back brings its bytes into the page's memory. Every write is
 * one transaction with `strict` durability: committed means on disk, not only in a cache.
 */
export class IndexedDbChunkJournal implements ChunkJournal {
  readonly kind = 'indexeddb';
  readonly durable = true;
  readonly #db: IDBDatabase;
  /** Appends waiting for the transaction under way to commit. */
  #appends: PendingAppend[] = [];
  #appending = false;

  private constructor(db: IDBDatabase) {
    this.#db = db;
    // Another tab upgrading the schema must not be blocked by this one.
    db.onversionchange = () => db.close();
  }

  static async open(
    name = DEFAULT_JOURNAL_DATABASE,
    factory: IDBFactory = indexedDB,
  ): Promise<IndexedDbChunkJournal> {
    const request = factory.open(name, VERSION);
    request.onupgradeneeded = () => {
      const db = request.result;
      db.createObjectStore(RECORDINGS, { keyPath: 'recordingId' });
      db.createObjectStore(TRACKS, { keyPath: ['recordingId', 'trackId'] });
      db.createObjectStore(CHUNKS, { keyPath: ['recordingId', 'trackId', 'offset'] });
    };
    return new IndexedDbChunkJournal(await result(request));
  }

  close(): void {
    this.#db.close();
  }

  putRecording(recording: JournaledRecording): Promise<void> {
    return this.#write([RECORDINGS], (tx) => tx.objectStore(RECORDINGS).put(recording));
  }

  async listRecordings(): Promise<JournaledRecording[]> {
    const tx = this.#db.transaction(RECORDINGS, 'readonly');
    return result(tx.objectStore(RECORDINGS).getAll() as IDBRequest<JournaledRecording[]>);
  }

  deleteRecording(recordingId: string): Promise<void> {
    return this.#write([RECORDINGS, TRACKS, CHUNKS], (tx) => {
      tx.objectStore(RECORDINGS).delete(recordingId);
      // [id] sorts before every [id, ...] key, and an array sorts after every string or number.
      const all = IDBKeyRange.bound([recordingId], [recordingId, []]);
      tx.objectStore(TRACKS).delete(all);
      tx.objectStore(CHUNKS).delete(all);
    });
  }

  putTrack(track: JournaledTrack): Promise<void> {
    return this.#write([TRACKS, CHUNKS], (tx) => {
      tx.objectStore(TRACKS).put(track);
      const { recordingId, trackId, confirmedBytes } = track;
      if (confirmedBytes === 0) return;
      const below = IDBKeyRange.bound(
        [recordingId, trackId, 0],
        [recordingId, trackId, confirmedBytes],
        false,
        true,
      );
      const cursor = tx.objectStore(CHUNKS).openCursor(below);
      cursor.onsuccess = () => {
        const at = cursor.result;
        if (!at) return;
        const chunk = at.value as ChunkRecord;
        // The chunk that straddles the confirmed offset still holds unconfirmed bytes.
        if (chunk.offset + chunk.blob.size <= confirmedBytes) at.delete();
        at.continue();
      };
    });
  }

  async listTracks(recordingId: string): Promise<JournaledTrack[]> {
    const tx = this.#db.transaction(TRACKS, 'readonly');
    const all = IDBKeyRange.bound([recordingId], [recordingId, []]);
    return result(tx.objectStore(TRACKS).getAll(all) as IDBRequest<JournaledTrack[]>);
  }

  /**
   * Appends that arrive while one is being committed (other tracks' chunks) are committed
   * together in the next transaction: one fsync for all of them, not one per track.
   */
  appendChunks(track: JournaledTrack, chunks: readonly JournalChunk[]): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#appends.push({ track, chunks, resolve, reject });
      if (!this.#appending) this.#commitAppends();
    });
  }

  #commitAppends(): void {
    const batch = this.#appends;
    this.#appends = [];
    this.#appending = batch.length > 0;
    if (!this.#appending) return;
    const write = this.#write([TRACKS, CHUNKS], (tx) => {
      for (const { track, chunks } of batch) {
        const { recordingId, trackId } = track;
        for (const { offset, blob } of chunks) {
          const record: ChunkRecord = { recordingId, trackId, offset, blob };
          tx.objectStore(CHUNKS).put(record);
        }
        tx.objectStore(TRACKS).put(track);
      }
    });
    write.then(
      () => {
        for (const append of batch) append.resolve();
        this.#commitAppends();
      },
      (error: unknown) => {
        for (const append of batch) append.reject(error);
        this.#commitAppends();
      },
    );
  }

  async readBytes(recordingId: string, trackId: string, start: number, end: number): Promise<Blob> {
    const store = this.#db.transaction(CHUNKS, 'readonly').objectStore(CHUNKS);
    // The chunk holding `start` is the last one that begins at or before it.
    const first = await result(
      store.openCursor(IDBKeyRange.bound([recordingId, trackId, 0], [recordingId, trackId, start]), 'prev'),
    );
    const from = (first?.value as ChunkRecord | undefined)?.offset ?? start;
    const range = IDBKeyRange.bound([recordingId, trackId, from], [recordingId, trackId, end], false, true);
    const chunks = await result(store.getAll(range) as IDBRequest<ChunkRecord[]>);
    return sliceChunks(chunks, start, end);
  }

  #write(stores: string[], body: (tx: IDBTransaction) => void): Promise<void> {
    return new Promise((resolve, reject) => {
      const tx = this.#db.transaction(stores, 'readwrite', { durability: 'strict' });
      tx.oncomplete = () => resolve();
      tx.onabort = () => reject(journalError('a journal write was aborted', tx.error));
      tx.onerror = () => reject(journalError('a journal write failed', tx.error));
      body(tx);
    });
  }
}

function result<T>(request: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(journalError('a journal request failed', request.error));
  });
}

function journalError(message: string, cause: DOMException | null): RecorderError {
  const detail = cause ? `: ${cause.name}: ${cause.message}` : '';
  return new RecorderError('journal_failed', `${message}${detail}`, { cause });
}

/**
 * The journal a recorder uses unless told otherwise: IndexedDB, or, where it cannot be opened
 * (no IndexedDB, storage blocked), one in memory, with a warning, since a reload then loses
 * whatever was not uploaded yet.
 */
export async function openChunkJournal(name = DEFAULT_JOURNAL_DATABASE): Promise<ChunkJournal> {
  if (typeof indexedDB === 'undefined') {
    console.warn('callrec: IndexedDB is not available; unsent recording data will not survive a reload');
    return new MemoryChunkJournal();
  }
  try {
    return await IndexedDbChunkJournal.open(name);
  } catch (error) {
    console.warn(
      'callrec: could not open the IndexedDB journal; unsent recording data will not survive a reload',
      error,
    );
    return new MemoryChunkJournal();
  }
}
