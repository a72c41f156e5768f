import { RecorderError, RecordingApiError } from './errors.js';
import { type Part, PartBuffer } from './part-buffer.js';
import type { CompletedPart } from './protocol.js';
import { type RetryOptions, withRetry } from './retry.js';
import type { UploadedPart, UploadSink, UploadSinkResume } from './upload-sink.js';

/** What storage answered to one PUT on the session URL (only 308, 200 and 201 get here). */
export interface ChunkResponse {
  status: number;
  /** The `Range` header of a 308: `bytes=0-N`; absent when storage holds nothing yet. */
  range: string | null;
  etag?: string | null;
}

export interface ResumableUploadOptions {
  url: string;
  chunkSize: number;
  chunkMultiple: number;
  /** Bytes [start, end) of the track, from the journal. */
  read: (start: number, end: number) => Promise<Blob>;
  /** Resuming after a reload: storage is asked how far it got before anything is sent. */
  resume?: UploadSinkResume;
  /** One PUT, no retries; `body` absent for a status query or an empty final request. */
  putChunk: (url: string, body: ArrayBuffer | undefined, contentRange: string) => Promise<ChunkResponse>;
  retry?: RetryOptions;
  /** A chunk is confirmed by storage. */
  onPartUploaded: (part: UploadedPart) => void;
  /** The upload failed for good; called once. */
  onError: (error: unknown) => void;
}

/** GCS objects are at most 5 TiB; the part buffer only needs an upper bound on chunk count. */
const MAX_OBJECT_BYTES = 5 * 1024 ** 4;

/**
 * A GCS-style resumable upload of one track: ordered chunks PUT to one session URL with
 * `Content-Range`, each non-final one a multiple of `chunkMultiple`, each answered with 308 and
 * the committed `Range`. After any failed request the session is asked how far it got, and the
 * upload resumes from there, re-sending from the chunk still held. One chunk is sent at a time,
 * read from the journal just before it is sent.
 */
export class ResumableUpload implements UploadSink {
  readonly #options: ResumableUploadOptions;
  readonly #buffer: PartBuffer;
  #queue: Part[] = [];
  #ending = false;
  #running: Promise<void> | undefined;
  /** Bytes handed to the upload loop so far: where the next chunk starts. */
  #offset = 0;
  /** Bytes storage confirmed, as of its last answer. */
  #committed = 0;
  /** The last request failed without an answer we trust: ask storage before sending more. */
  #uncertain = false;
  #finalized: { etag: string } | undefined;
  #error: { reason: unknown } | undefined;

  constructor(options: ResumableUploadOptions) {
    const { chunkSize, chunkMultiple } = options;
    if (!(chunkMultiple >= 1 && chunkSize >= chunkMultiple && chunkSize % chunkMultiple === 0)) {
      throw new RecorderError(
        'invalid_upload_target',
        `the server asked for ${chunkSize}-byte chunks, which is not a multiple of its own ${chunkMultiple}`,
      );
    }
    this.#options = options;
    const startOffset = options.resume?.offset ?? 0;
    this.#buffer = new PartBuffer({
      partSize: chunkSize,
      maxParts: Math.ceil(MAX_OBJECT_BYTES / chunkSize),
      startOffset,
    });
    this.#offset = startOffset;
    this.#committed = startOffset;
    // Before the reload, storage may have committed (or even finalized) more than we know.
    this.#uncertain = startOffset > 0;
  }

  append(size: number): void {
    if (this.#error) return;
    try {
      this.#queue.push(...this.#buffer.push(size));
    } catch (error) {
      this.#fail(error);
      return;
    }
    this.#pump();
  }

  async finish(): Promise<CompletedPart[]> {
    if (!this.#error && !this.#ending) {
      this.#ending = true;
      try {
        const last = this.#buffer.flush();
        if (last) this.#queue.push(last);
      } catch (error) {
        this.#fail(error);
      }
      this.#pump();
    }
    while (this.#running) await this.#running;
    if (this.#error) throw this.#error.reason;
    // One synthetic part: the complete route takes a parts list for every upload shape.
    return this.#finalized ? [{ partNumber: 1, etag: this.#finalized.etag }] : [];
  }

  abort(reason: unknown): void {
    this.#fail(reason);
  }

  #pump(): void {
    if (this.#running || this.#error) return;
    this.#running = this.#drain()
      .catch((error: unknown) => this.#fail(error))
      .finally(() => {
        this.#running = undefined;
        // A chunk (or finish) may have arrived after the loop found nothing left to do.
        if (this.#queue.length > 0 || (this.#ending && !this.#finalized && this.#offset > 0)) this.#pump();
      });
  }

  /** Chunks go strictly in order: storage appends each one at the committed offset. */
  async #drain(): Promise<void> {
    while (!this.#error) {
      const part = this.#queue.shift();
      if (part) {
        const start = this.#offset;
        this.#offset += part.size;
        const body = await this.#options.read(part.start, part.start + part.size);
        await this.#send(body, start, this.#offset, this.#ending && this.#queue.length === 0);
        // `body` (a file-backed Blob) is referenced by nothing once this returns.
        if (!this.#error) this.#options.onPartUploaded({ ...part, etag: '' });
      } else {
        // Every byte went up in whole chunks: an empty request with the total finalizes.
        if (this.#ending && !this.#finalized && this.#offset > 0) {
          await this.#send(undefined, this.#offset, this.#offset, true);
        }
        return;
      }
    }
  }

  /** Gets bytes [start, end) into storage, resuming from whatever storage says it holds. */
  async #send(blob: Blob | undefined, start: number, end: number, final: boolean): Promise<void> {
    await withRetry(async () => {
      for (;;) {
        if (this.#error) throw this.#error.reason;
        if (this.#uncertain) await this.#put(undefined, `bytes */${final ? end : '*'}`, final);
        if (this.#finalized) return;
        const committed = this.#committed;
        // Beyond `end` happens only after a reload, when the page before it sent more than it
        // lived to record as confirmed: those bytes came from the same journal.
        if (committed >= end && !final) return;
        if (committed < start || committed > end) {
          throw new RecorderError(
            'resumable_offset_mismatch',
            `storage holds ${committed} bytes of the track, but the upload was at byte ${start}`,
          );
        }
        // Sent as bytes, never as the journal's Blob: Chromium (156) keeps the file of every
        // IndexedDB-backed Blob uploaded with fetch until the browser restarts, even once the
        // record is deleted. Read per attempt, so nothing is in memory while a retry waits.
        const body = blob && committed < end ? await blob.slice(committed - start).arrayBuffer() : undefined;
        const range =
          committed < end ? `bytes ${committed}-${end - 1}/${final ? end : '*'}` : `bytes */${end}`;
        try {
          await this.#put(body, range, final);
        } catch (error) {
          // Chromium silently replays a PUT whose keep-alive connection was reset, so storage can
          // get the same bytes twice and refuse the replay (400). If storage holds more than we
          // thought, the first copy arrived: carry on from there.
          if (!(body && error instanceof RecordingApiError && error.status === 400)) throw error;
          await this.#put(undefined, `bytes */${final ? end : '*'}`, final);
          if (this.#finalized || this.#committed > committed) continue;
          throw error;
        }
        if (!this.#finalized && this.#committed === committed) {
          this.#uncertain = true;
          // Retried with backoff; a browser that cannot read `Range` would see this every time.
          throw new RecordingApiError(
            503,
            'resumable_no_progress',
            `storage answered 308 without committing any of bytes ${range} (its Range header must be readable: for browsers, exposed by CORS)`,
          );
        }
      }
    }, this.#options.retry);
  }

  async #put(body: ArrayBuffer | undefined, contentRange: string, final: boolean): Promise<void> {
    let response: ChunkResponse;
    try {
      response = await this.#options.putChunk(this.#options.url, body, contentRange);
    } catch (error) {
      // The bytes may or may not have arrived; only storage knows.
      this.#uncertain = true;
      throw error;
    }
    this.#uncertain = false;
    if (response.status === 308) {
      this.#committed = committedBytes(response.range);
      return;
    }
    if (!final) {
      throw new RecorderError(
        'resumable_finalized_early',
        `storage finalized the object (HTTP ${response.status}) before the last chunk was sent`,
      );
    }
    this.#committed = this.#offset;
    this.#finalized = { etag: response.etag || 'resumable' };
  }

  #fail(reason: unknown): void {
    if (this.#error) return;
    this.#error = { reason };
    this.#queue = [];
    this.#options.onError(reason);
  }
}

/** `bytes=0-N` means N + 1 bytes are committed; no header means none are. */
export function committedBytes(range: string | null): number {
  if (!range) return 0;
  const match = /^bytes=0-(\d+)$/.exec(range.trim());
  if (!match)
    throw new RecorderError('invalid_storage_response', `unexpected Range header ${JSON.stringify(range)}`);
  return Number(match[1]) + 1;
}
