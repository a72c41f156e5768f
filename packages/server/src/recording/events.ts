import type { RecordingEventMap, RecordingEventName } from '@callrec/sdk/protocol';
import type { Logger } from '../logger.js';
import type { RecordingState, StoredEvent } from '../state/recording-state.js';

export type EventOf<K extends RecordingEventName> = Extract<StoredEvent, { name: K }>;
type Listener<K extends RecordingEventName> = (data: RecordingEventMap[K], event: EventOf<K>) => void;
type AnyListener = (data: unknown, event: StoredEvent) => void;

/**
 * The seven recording events, typed. Every event is first committed to the recording's event log
 * (for SSE replay), then emitted here. A listener that throws is reported and does not stop the others.
 */
export class RecordingEvents {
  #listeners = new Map<RecordingEventName, Set<AnyListener>>();
  #any = new Set<(event: StoredEvent) => void>();
  #logger: Logger;

  constructor(logger: Logger) {
    this.#logger = logger;
  }

  /** Returns a function that removes the listener. */
  on<K extends RecordingEventName>(name: K, listener: Listener<K>): () => void {
    const set = this.#listeners.get(name) ?? new Set();
    this.#listeners.set(name, set);
    set.add(listener as unknown as AnyListener);
    return () => set.delete(listener as unknown as AnyListener);
  }

  /** Every event of every recording, as stored (with its per-recording sequence id). */
  onAny(listener: (event: StoredEvent) => void): () => void {
    this.#any.add(listener);
    return () => this.#any.delete(listener);
  }

  /** Listeners currently attached (all names plus onAny); open event streams count one each. */
  listenerCount(): number {
    let count = this.#any.size;
    for (const set of this.#listeners.values()) count += set.size;
    return count;
  }

  emit(event: StoredEvent): void {
    for (const listener of this.#listeners.get(event.name) ?? []) {
      this.#call(() => listener(event.data, event), event);
    }
    for (const listener of this.#any) this.#call(() => listener(event), event);
  }

  #call(fn: () => void, event: StoredEvent): void {
    try {
      fn();
    } catch (err) {
      this.#logger.error(`callrec: a ${event.name} listener threw`, err);
    }
  }
}

/**
 * Appends an event to a draft's log. Progress events supersede each other, so the log keeps only
 * the latest one (ids stay increasing, so Last-Event-ID still works).
 */
export function appendEvent<K extends RecordingEventName>(
  draft: RecordingState,
  name: K,
  data: RecordingEventMap[K],
  at: number,
): StoredEvent {
  const event = { id: draft.nextEventId, name, data, at } as StoredEvent;
  draft.nextEventId += 1;
  if (name === 'recordingProgress') draft.events = draft.events.filter((e) => e.name !== 'recordingProgress');
  draft.events.push(event);
  return event;
}
