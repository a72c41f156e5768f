import { RecorderError } from './errors.js';

/** Bytes [start, start + size) of the track; the bytes themselves stay in the chunk journal. */
export interface Part {
  /** 1-based, consecutive. */
  partNumber: number;
  start: number;
  size: number;
}

export interface PartBufferOptions {
  /** Every part but the last has exactly this many bytes. */
  partSize: number;
  maxParts: number;
  /** Resuming after a reload: the bytes before this offset are already in storage. */
  startOffset?: number;
}

/**
 * Cuts a track's bytes, as they arrive in chunks of any size (the first can be a single byte),
 * into parts of exactly `partSize` bytes. Only offsets are kept here, never bytes: a part is
 * read back from the journal when it is uploaded, so a long call costs no more memory than a
 * short one.
 */
export class PartBuffer {
  readonly #partSize: number;
  readonly #maxParts: number;
  /** Where the next part starts. */
  #cutAt: number;
  #totalBytes: number;
  #nextPartNumber: number;
  #flushed = false;

  constructor({ partSize, maxParts, startOffset = 0 }: PartBufferOptions) {
    if (!Number.isInteger(partSize) || partSize < 1) throw new RangeError(`invalid partSize ${partSize}`);
    if (!Number.isInteger(maxParts) || maxParts < 1) throw new RangeError(`invalid maxParts ${maxParts}`);
    if (!Number.isInteger(startOffset) || startOffset < 0) {
      throw new RangeError(`invalid startOffset ${startOffset}`);
    }
    this.#partSize = partSize;
    this.#maxParts = maxParts;
    this.#cutAt = startOffset;
    this.#totalBytes = startOffset;
    this.#nextPartNumber = Math.floor(startOffset / partSize) + 1;
  }

  /** Bytes not yet in a part, always less than `partSize` between calls. */
  get bufferedBytes(): number {
    return this.#totalBytes - this.#cutAt;
  }

  /** The track's length so far, resumed bytes included. */
  get totalBytes(): number {
    return this.#totalBytes;
  }

  /** Parts handed out so far, resumed ones included. */
  get partCount(): number {
    return this.#nextPartNumber - 1;
  }

  /** The track grew by `size` bytes; returns the parts that completed (often none, sometimes several). */
  push(size: number): Part[] {
    if (this.#flushed) throw new RecorderError('internal_error', 'chunk pushed after the last part was cut');
    if (size === 0) return [];
    if (this.#cutAt % this.#partSize !== 0) {
      // Only a resumed track whose last part was already stored starts off a part boundary.
      throw new RecorderError('internal_error', `bytes added after the last part (at ${this.#cutAt})`);
    }
    this.#totalBytes += size;
    const parts: Part[] = [];
    while (this.bufferedBytes >= this.#partSize) parts.push(this.#cut(this.#partSize));
    // Fail as soon as the track cannot fit, not minutes later at the end.
    if (this.bufferedBytes > 0 && this.#nextPartNumber > this.#maxParts) throw this.#tooManyParts();
    return parts;
  }

  /** The last part, smaller than `partSize`, or undefined if nothing is left over. */
  flush(): Part | undefined {
    this.#flushed = true;
    if (this.bufferedBytes === 0) return undefined;
    return this.#cut(this.bufferedBytes);
  }

  #cut(size: number): Part {
    if (this.#nextPartNumber > this.#maxParts) throw this.#tooManyParts();
    const part = { partNumber: this.#nextPartNumber++, start: this.#cutAt, size };
    this.#cutAt += size;
    return part;
  }

  #tooManyParts(): RecorderError {
    return new RecorderError(
      'too_many_parts',
      `the track exceeds ${this.#maxParts} parts of ${this.#partSize} bytes; use a larger part size`,
    );
  }
}
