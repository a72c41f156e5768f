/** Keeps only the last `limit` bytes of a stream, so a chatty ffmpeg cannot grow memory. */
export class StderrTail {
  readonly #limit: number;
  #chunks: Buffer[] = [];
  #bytes = 0;

  constructor(limit = 4096) {
    this.#limit = limit;
  }

  push(chunk: Buffer): void {
    this.#chunks.push(chunk);
    this.#bytes += chunk.length;
    while (this.#chunks.length > 1 && this.#bytes - (this.#chunks[0]?.length ?? 0) >= this.#limit) {
      this.#bytes -= this.#chunks.shift()?.length ?? 0;
    }
  }

  /** The tail as text, starting at a line boundary when one is available. */
  toString(): string {
    const all = Buffer.concat(this.#chunks);
    const tail = all.subarray(Math.max(0, all.length - this.#limit)).toString('utf8');
    if (all.length <= this.#limit) return tail;
    const newline = tail.indexOf('\n');
    return newline >= 0 && newline < tail.length - 1 ? tail.slice(newline + 1) : tail;
  }
}
