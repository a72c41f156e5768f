import type { Logger } from '../logger.js';

/**
 * First in, first out, at most `concurrency` jobs at a time, each id at most once while it waits
 * or runs. `close()` starts nothing new and waits for running jobs; waiting ids stay in the
 * persisted state as `queued` and are picked up again at the next start.
 */
export class ProcessingQueue {
  #waiting: string[] = [];
  #running = new Map<string, Promise<void>>();
  #closed = false;
  #idle: (() => void)[] = [];
  #concurrency: number;
  #run: (id: string) => Promise<void>;
  #logger: Logger;

  constructor(concurrency: number, run: (id: string) => Promise<void>, logger: Logger) {
    if (!Number.isInteger(concurrency) || concurrency < 1)
      throw new Error('concurrency must be a positive integer');
    this.#concurrency = concurrency;
    this.#run = run;
    this.#logger = logger;
  }

  /** Returns false when the id is already waiting or running, or the queue is closed. */
  enqueue(id: string): boolean {
    if (this.#closed || this.#running.has(id) || this.#waiting.includes(id)) return false;
    this.#waiting.push(id);
    this.#pump();
    return true;
  }

  /** Drops a waiting id (e.g. its recording was deleted); a running job is not interrupted. */
  remove(id: string): boolean {
    const index = this.#waiting.indexOf(id);
    if (index >= 0) this.#waiting.splice(index, 1);
    return index >= 0;
  }

  get size(): { waiting: number; running: number } {
    return { waiting: this.#waiting.length, running: this.#running.size };
  }

  /** Resolves when nothing waits or runs. */
  onIdle(): Promise<void> {
    if (this.#waiting.length === 0 && this.#running.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idle.push(resolve));
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#waiting = [];
    await Promise.all(this.#running.values());
  }

  #pump(): void {
    while (!this.#closed && this.#running.size < this.#concurrency && this.#waiting.length > 0) {
      const id = this.#waiting.shift() as string;
      const job = this.#start(id);
      this.#running.set(id, job);
    }
    if (this.#waiting.length === 0 && this.#running.size === 0) {
      for (const resolve of this.#idle.splice(0)) resolve();
    }
  }

  async #start(id: string): Promise<void> {
    // Start on a later tick so enqueue() never runs a job synchronously inside its caller.
    await Promise.resolve();
    try {
      await this.#run(id);
    } catch (err) {
      this.#logger.error(`callrec: processing job for recording ${id} failed unexpectedly`, err);
    } finally {
      this.#running.delete(id);
      this.#pump();
    }
  }
}
