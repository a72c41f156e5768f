import { RecorderError } from './errors.js';
import { type Part, PartBuffer } from './part-buffer.js';
import type { CompletedPart, SignedPart, SignPartsResponse } from './protocol.js';
import { type RetryOptions, withRetry } from './retry.js';
import type { UploadedPart, UploadSink, UploadSinkResume } from './upload-sink.js';

export interface MultipartUploadOptions {
  partSize: number;
  maxParts: number;
  /** Bytes [start, end) of the track, from the journal. */
  read: (start: number, end: number) => Promise<Blob>;
  /** Resuming after a reload: what storage already holds. */
  resume?: UploadSinkResume;
  signParts: (partNumbers: number[]) => Promise<SignPartsResponse>;
  putPart: (part: SignedPart, body: ArrayBuffer) => Promise<string>;
  /** Parts uploading at the same time. */
  partsInFlight?: number;
  /** Part numbers signed per request, the one needed now and the next ones. */
  signBatchSize?: number;
  retry?: RetryOptions;
  now?: () => number;
  /** A part is confirmed by storage. */
  onPartUploaded: (part: UploadedPart) => void;
  /** The upload failed for good; called once. */
  onError: (error: unknown) => void;
}

export const DEFAULT_PARTS_IN_FLIGHT = 3;
export const DEFAULT_SIGN_BATCH_SIZE = 5;
/** The server's limit per sign request. */
const MAX_SIGN_BATCH_SIZE = 100;
/** A URL that expires sooner is signed again rather than risked on a slow PUT. */
const URL_EXPIRY_MARGIN_MS = 60_000;

/**
 * S3-style multipart upload of one track: numbered parts of exactly `partSize` bytes, each PUT
 * to a signed URL and answered with an ETag. Parts go up while the call is still running, a few
 * at a time; each part's bytes are read from the journal just before its PUT, so only the parts
 * in flight are held here.
 */
export class MultipartUpload implements UploadSink {
  readonly #buffer: PartBuffer;
  readonly #maxParts: number;
  readonly #options: MultipartUploadOptions;
  readonly #partsInFlight: number;
  readonly #signBatchSize: number;
  readonly #now: () => number;

  /** Cut parts waiting for a free upload slot, in part-number order. */
  #queue: Part[] = [];
  #inFlight = 0;
  readonly #etags = new Map<number, string>();
  readonly #urls = new Map<number, { part: SignedPart; expiresAt: number }>();
  #signing: Promise<void> | undefined;
  #error: { reason: unknown } | undefined;
  #idleWaiters: (() => void)[] = [];

  constructor(options: MultipartUploadOptions) {
    const { partSize, maxParts, resume } = options;
    this.#buffer = new PartBuffer({ partSize, maxParts, startOffset: resume?.offset ?? 0 });
    for (const { partNumber, etag } of resume?.parts ?? []) this.#etags.set(partNumber, etag);
    this.#maxParts = options.maxParts;
    this.#options = options;
    this.#partsInFlight = Math.max(1, options.partsInFlight ?? DEFAULT_PARTS_IN_FLIGHT);
    this.#signBatchSize = Math.min(
      MAX_SIGN_BATCH_SIZE,
      Math.max(1, options.signBatchSize ?? DEFAULT_SIGN_BATCH_SIZE),
    );
    this.#now = options.now ?? Date.now;
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
    if (!this.#error) {
      try {
        const last = this.#buffer.flush();
        if (last) this.#queue.push(last);
      } catch (error) {
        this.#fail(error);
      }
      this.#pump();
      await this.#idle();
    }
    if (this.#error) throw this.#error.reason;
    return [...this.#etags].sort(([a], [b]) => a - b).map(([partNumber, etag]) => ({ partNumber, etag }));
  }

  abort(reason: unknown): void {
    this.#fail(reason);
  }

  #pump(): void {
    while (!this.#error && this.#inFlight < this.#partsInFlight) {
      const part = this.#queue.shift();
      if (!part) break;
      this.#inFlight++;
      this.#upload(part)
        .catch((error: unknown) => this.#fail(error))
        .finally(() => {
          this.#inFlight--;
          this.#pump();
          this.#notifyIfIdle();
        });
    }
    this.#notifyIfIdle();
  }

  async #upload(part: Part): Promise<void> {
    // Stored before a reload (the journal keeps a part's bytes until all parts before it are in).
    if (this.#etags.has(part.partNumber)) return;
    // The journal's Blob is backed by a file on disk: holding it costs no memory.
    const blob = await this.#options.read(part.start, part.start + part.size);
    const etag = await withRetry(
      async () => {
        const signed = await this.#signedPart(part.partNumber);
        // Sent as bytes, never as the journal's Blob: Chromium (156) keeps the file of every
        // IndexedDB-backed Blob uploaded with fetch until the browser restarts, even once the
        // record is deleted, so the journal's disk use would grow with the whole recording.
        // Read per attempt, so only a part being PUT is in memory, not one waiting to retry.
        return this.#options.putPart(signed, await blob.arrayBuffer());
      },
      {
        ...this.#options.retry,
        // 403 from storage: the URL expired or was refused; a freshly signed one may pass.
        refresh: () => {
          this.#urls.delete(part.partNumber);
          return true;
        },
      },
    );
    this.#urls.delete(part.partNumber);
    this.#etags.set(part.partNumber, etag);
    // The part's bytes are referenced by nothing once this returns, so they can go.
    this.#options.onPartUploaded({ ...part, etag });
  }

  async #signedPart(partNumber: number): Promise<SignedPart> {
    for (;;) {
      const cached = this.#urls.get(partNumber);
      if (cached && cached.expiresAt - this.#now() > URL_EXPIRY_MARGIN_MS) return cached.part;
      if (!this.#signing) {
        const own = this.#signBatch(partNumber).finally(() => {
          this.#signing = undefined;
        });
        this.#signing = own;
        await own;
        // Our own fresh answer is used even if the server signs for less than the margin.
        const fresh = this.#urls.get(partNumber);
        if (!fresh) {
          throw new RecorderError('sign_failed', `the server did not sign part ${partNumber}`);
        }
        return fresh.part;
      }
      // Another part is signing a batch that probably covers this one too.
      await this.#signing;
    }
  }

  /** Signs `first` and the next part numbers not yet signed: one round trip per few parts. */
  async #signBatch(first: number): Promise<void> {
    const numbers = [first];
    for (let n = first + 1; numbers.length < this.#signBatchSize && n <= this.#maxParts; n++) {
      if (!this.#urls.has(n) && !this.#etags.has(n)) numbers.push(n);
    }
    const response = await this.#options.signParts(numbers);
    for (const part of response.parts) {
      this.#urls.set(part.partNumber, { part, expiresAt: response.expiresAt });
    }
  }

  #fail(reason: unknown): void {
    if (this.#error) return;
    this.#error = { reason };
    // Nothing queued will be uploaded any more; let the bytes go.
    this.#queue = [];
    this.#urls.clear();
    this.#options.onError(reason);
    this.#notifyIfIdle();
  }

  #idle(): Promise<void> {
    if (this.#inFlight === 0 && (this.#queue.length === 0 || this.#error)) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  #notifyIfIdle(): void {
    if (this.#inFlight !== 0 || (this.#queue.length !== 0 && !this.#error)) return;
    const waiters = this.#idleWaiters;
    this.#idleWaiters = [];
    for (const resolve of waiters) resolve();
  }
}
