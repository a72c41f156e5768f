import type { RecordingEventMap, RecordingEventName } from '@callrec/sdk/protocol';
import type { ServerConfig } from '../config.js';
import type { Logger } from '../logger.js';
import type { RecordingState, StoredEvent } from '../state/recording-state.js';
import type { RecordingStore } from '../state/recording-store.js';
import type { RecordingStorage } from '../storage/storage.js';
import { appendEvent, type RecordingEvents } from './events.js';

/** What the recording operations share. */
export interface RecordingContext {
  config: ServerConfig;
  store: RecordingStore;
  storage: RecordingStorage;
  events: RecordingEvents;
  logger: Logger;
  now: () => number;
}

export type Emit = <K extends RecordingEventName>(name: K, data: RecordingEventMap[K]) => void;

/**
 * Changes one recording under its lock; events `fn` emits are logged in the same atomic write
 * and published only once it is committed (so a failed change publishes nothing).
 */
export async function change<T>(
  ctx: RecordingContext,
  id: string,
  fn: (draft: RecordingState, emit: Emit) => Promise<T> | T,
): Promise<T> {
  const pending: StoredEvent[] = [];
  const result = await ctx.store.update(id, (draft) =>
    fn(draft, (name, data) => pending.push(appendEvent(draft, name, data, ctx.now()))),
  );
  for (const event of pending) ctx.events.emit(event);
  return result;
}
