/** Runs async functions one at a time per key, in call order; different keys run concurrently. */
export class KeyedLock {
  #tails = new Map<string, Promise<void>>();

  run<T>(key: string, fn: () => Promise<T> | T): Promise<T> {
    const previous = this.#tails.get(key) ?? Promise.resolve();
    const result = previous.then(fn);
    // The tail only orders the next caller; `result` carries fn's outcome (and error) to this caller.
    const tail = result.then(
      () => undefined,
      () => undefined,
    );
    this.#tails.set(key, tail);
    void tail.then(() => {
      if (this.#tails.get(key) === tail) this.#tails.delete(key);
    });
    return result;
  }

  /** Resolves once everything queued so far, on every key, has finished. */
  async drain(): Promise<void> {
    await Promise.all(this.#tails.values());
  }
}
