import { RecorderError } from './errors.js';

export interface Part {
  /** 1-based, consecutive. */
  partNumber: number;
  blob: Blob;
  size: number;
}

export interface PartBufferOptions {
  /** Every part but the last has exactly this many bytes. */
  partSize: number;
  maxParts: number;
}

/**
 * Cuts a recorder's chunks, in order, into parts of exactly `partSize` bytes. Chunk sizes are
 * arbitrary (the first can be a single byte), so parts are sliced across chunk boundaries.
 * Whole parts are handed out as soon as they are full, which keeps less than one part here.
 */
export class PartBuffer {
  readonly #partSize: number;
  readonly #maxParts: number;
  #chunks: Blob[] = [];
  #bufferedBytes = 0;
  #totalBytes = 0;
  #nextPartNumber = 1;
  #flushed = false;

  constructor({ partSize, maxParts }: PartBufferOptions) {
    if (!Number.isInteger(partSize) || partSize < 1) throw new RangeError(`invalid partSize ${partSize}`);
    if (!Number.isInteger(maxParts) || maxParts < 1) throw new RangeError(`invalid maxParts ${maxParts}`);
    this.#partSize = partSize;
    this.#maxParts = maxParts;
  }

  /** Bytes held here, always less than `partSize` between calls. */
  get bufferedBytes(): number {
    return this.#bufferedBytes;
  }

  /** Bytes pushed so far. */
  get totalBytes(): number {
    return this.#totalBytes;
  }

  /** Parts handed out so far. */
  get partCount(): number {
    return this.#nextPartNumber - 1;
  }

  /** Adds the next chunk; returns the parts it completed (often none, sometimes several). */
  push(chunk: Blob): Part[] {
    if (this.#flushed) throw new RecorderError('internal_error', 'chunk pushed after the last part was cut');
    if (chunk.size === 0) return [];
    this.#chunks.push(chunk);
    this.#bufferedBytes += chunk.size;
    this.#totalBytes += chunk.size;
    const parts: Part[] = [];
    while (this.#bufferedBytes >= this.#partSize) parts.push(this.#cut(this.#partSize));
    // Fail as soon as the track cannot fit, not minutes later at the end.
    if (this.#bufferedBytes > 0 && this.#nextPartNumber > this.#maxParts) throw this.#tooManyParts();
    return parts;
  }

  /** The last part, smaller than `partSize`, or undefined if nothing is left over. */
  flush(): Part | undefined {
    this.#flushed = true;
    if (this.#bufferedBytes === 0) return undefined;
    return this.#cut(this.#bufferedBytes);
  }

  #cut(size: number): Part {
    if (this.#nextPartNumber > this.#maxParts) throw this.#tooManyParts();
    const pieces: Blob[] = [];
    let needed = size;
    while (needed > 0) {
      const chunk = this.#chunks.shift();
      if (!chunk) throw new RecorderError('internal_error', 'part buffer ran out of bytes');
      if (chunk.size <= needed) {
        pieces.push(chunk);
        needed -= chunk.size;
      } else {
        pieces.push(chunk.slice(0, needed));
        this.#chunks.unshift(chunk.slice(needed));
        needed = 0;
      }
    }
    this.#bufferedBytes -= size;
    const blob = pieces.length === 1 && pieces[0] ? pieces[0] : new Blob(pieces);
    return { partNumber: this.#nextPartNumber++, blob, size };
  }

  #tooManyParts(): RecorderError {
    return new RecorderError(
      'too_many_parts',
      `the track exceeds ${this.#maxParts} parts of ${this.#partSize} bytes; use a larger part size`,
    );
  }
}
