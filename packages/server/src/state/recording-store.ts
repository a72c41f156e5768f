import { mkdir, readdir, readFile, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { ID_PATTERN } from '@callrec/sdk/protocol';
import { ApiError, errnoCode } from '../errors.js';
import { writeFileAtomic } from '../fs/atomic-file.js';
import type { Logger } from '../logger.js';
import { KeyedLock } from './keyed-lock.js';
import { type RecordingState, STATE_VERSION } from './recording-state.js';

/**
 * Durable per-recording state: one JSON file per recording, written atomically, all loaded at
 * startup. Changes to one recording are serialized, so concurrent requests cannot lose updates;
 * reads see the last committed state without waiting.
 */
export class RecordingStore {
  readonly dir: string;
  #states = new Map<string, RecordingState>();
  #lock = new KeyedLock();

  private constructor(dir: string) {
    this.dir = dir;
  }

  static async open(dir: string, logger: Logger): Promise<RecordingStore> {
    const store = new RecordingStore(dir);
    await mkdir(dir, { recursive: true });
    for (const name of await readdir(dir)) {
      const file = join(dir, name);
      if (name.endsWith('.tmp')) {
        await rm(file, { force: true }); // an atomic write interrupted by a crash
      } else if (name.endsWith('.json')) {
        const state = parseState(await readFile(file, 'utf8'), name.slice(0, -'.json'.length));
        if (state) {
          store.#states.set(state.id, deepFreeze(state));
        } else {
          logger.error(`callrec: ignoring unreadable state file ${file}; moved to ${file}.corrupt`);
          await rename(file, `${file}.corrupt`);
        }
      }
    }
    return store;
  }

  /** The committed state; frozen: change it through `update` or `save`. */
  get(id: string): RecordingState | undefined {
    return this.#states.get(id);
  }

  list(): RecordingState[] {
    return [...this.#states.values()];
  }

  /** Runs `fn` with exclusive access to recording `id`. Do not call `update` inside (it would wait forever). */
  withLock<T>(id: string, fn: () => Promise<T> | T): Promise<T> {
    return this.#lock.run(id, fn);
  }

  /**
   * Applies `fn` to a copy of the recording's state and commits the copy when `fn` returns;
   * if `fn` throws, nothing changes. 404 `recording_not_found` when there is no such recording.
   */
  update<T>(id: string, fn: (draft: RecordingState) => Promise<T> | T): Promise<T> {
    return this.withLock(id, async () => {
      const current = this.#states.get(id);
      if (!current) throw recordingNotFound(id);
      const draft = structuredClone(current) as RecordingState;
      const result = await fn(draft);
      await this.save(draft);
      return result;
    });
  }

  /** Persists `state` and makes it current; call it holding the recording's lock. */
  async save(state: RecordingState): Promise<void> {
    await writeFileAtomic(this.#file(state.id), JSON.stringify(state));
    this.#states.set(state.id, deepFreeze(state));
  }

  /** Forgets the recording; call it holding the recording's lock. */
  async delete(id: string): Promise<void> {
    try {
      await rm(this.#file(id));
    } catch (err) {
      if (errnoCode(err) !== 'ENOENT') throw err;
    }
    this.#states.delete(id);
  }

  /** Resolves once every change queued so far has been written. */
  drain(): Promise<void> {
    return this.#lock.drain();
  }

  #file(id: string): string {
    if (!ID_PATTERN.test(id))
      throw new ApiError(400, 'invalid_id', `Invalid recording id ${JSON.stringify(id)}`);
    return join(this.dir, `${id}.json`);
  }
}

export function recordingNotFound(id: string): ApiError {
  return new ApiError(404, 'recording_not_found', `No recording with id ${JSON.stringify(id)}`);
}

function parseState(text: string, expectedId: string): RecordingState | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined; // the caller reports the file as unreadable
  }
  const state = value as Partial<RecordingState> | null;
  const valid =
    state?.version === STATE_VERSION &&
    state.id === expectedId &&
    Array.isArray(state.tracks) &&
    Array.isArray(state.events) &&
    typeof state.nextEventId === 'number';
  return valid ? (state as RecordingState) : undefined;
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}
