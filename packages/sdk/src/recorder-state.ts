import { InvalidStateError } from './errors.js';

export type RecorderState = 'idle' | 'starting' | 'recording' | 'paused' | 'stopping' | 'stopped' | 'failed';

/** Every allowed move; `stopped` and `failed` are final: record again with a new `CallRecorder`. */
export const RECORDER_TRANSITIONS: Readonly<Record<RecorderState, readonly RecorderState[]>> = {
  idle: ['starting'],
  starting: ['recording', 'failed'],
  recording: ['paused', 'stopping'],
  paused: ['recording', 'stopping'],
  stopping: ['stopped', 'failed'],
  stopped: [],
  failed: [],
};

export class RecorderStateMachine {
  #state: RecorderState = 'idle';

  get state(): RecorderState {
    return this.#state;
  }

  /** Moves to `next`, or throws `InvalidStateError` naming what was attempted. */
  transition(next: RecorderState, action: string = next): void {
    if (!RECORDER_TRANSITIONS[this.#state].includes(next)) {
      throw new InvalidStateError(`cannot ${action} while the recorder is ${this.#state}`);
    }
    this.#state = next;
  }

  /** Throws unless the current state is one of `allowed`. */
  expect(allowed: readonly RecorderState[], action: string): void {
    if (!allowed.includes(this.#state)) {
      throw new InvalidStateError(`cannot ${action} while the recorder is ${this.#state}`);
    }
  }
}
