/** A token, or a function that fetches a fresh one from the app's backend. */
export type TokenSource = string | (() => Promise<string>);

/** Caches the token; asks the provider again only after the server refused the current one. */
export class Tokens {
  readonly #source: TokenSource;
  #current: Promise<string> | undefined;

  constructor(source: TokenSource) {
    this.#source = source;
  }

  get(): Promise<string> {
    if (typeof this.#source === 'string') return Promise.resolve(this.#source);
    if (!this.#current) {
      const pending = this.#source();
      this.#current = pending;
      // A provider that failed must be asked again next time, not cached as failed.
      pending.catch(() => {
        if (this.#current === pending) this.#current = undefined;
      });
    }
    return this.#current;
  }

  /** False when the token is a fixed string: asking again would give the same one. */
  refresh(): boolean {
    if (typeof this.#source === 'string') return false;
    this.#current = undefined;
    return true;
  }
}
