import type { RecordingClient } from './api-client.js';
import { RecorderError, RecordingFailedError } from './errors.js';
import type { RecordingEventMap, RecordingInfo } from './protocol.js';
import { backoffDelay, DEFAULT_RETRY_POLICY, type RetryOptions, sleep } from './retry.js';

/** The server's events that follow a stop; the SDK emits the others itself while recording. */
export const PROCESSING_EVENT_NAMES = [
  'recordingProcessing',
  'thumbnailsGenerated',
  'recordingUploaded',
  'recordingCompleted',
  'recordingFailed',
] as const satisfies readonly (keyof RecordingEventMap)[];

export type ProcessingEventName = (typeof PROCESSING_EVENT_NAMES)[number];

/** The part of `EventSource` used here; injectable where there is no browser. */
export interface EventSourceLike {
  readonly readyState: number;
  addEventListener(type: string, listener: (event: Event) => void): void;
  close(): void;
}
export type EventSourceFactory = new (url: string) => EventSourceLike;

const CLOSED = 2;

export interface WatchCompletionOptions {
  client: Pick<RecordingClient, 'eventsUrl' | 'getRecordingInfo'>;
  recordingId: string;
  EventSource?: EventSourceFactory;
  retry?: RetryOptions;
  onEvent: <K extends ProcessingEventName>(name: K, payload: RecordingEventMap[K]) => void;
}

/**
 * Follows the recording's Server-Sent Events until processing ends. Resolves with fresh info
 * (signed URLs) on `recordingCompleted`, rejects with `RecordingFailedError` on `recordingFailed`.
 */
export function watchCompletion(options: WatchCompletionOptions): Promise<RecordingInfo> {
  const { client, recordingId, onEvent } = options;
  const Source = options.EventSource ?? (globalThis.EventSource as EventSourceFactory | undefined);
  if (!Source) {
    return Promise.reject(
      new RecorderError(
        'unsupported_environment',
        'waitForCompletion() needs EventSource; pass one in the options',
      ),
    );
  }
  const policy = { ...DEFAULT_RETRY_POLICY, ...options.retry?.policy };
  const wait = options.retry?.sleep ?? sleep;

  return new Promise<RecordingInfo>((resolve, reject) => {
    let source: EventSourceLike | undefined;
    let settled = false;
    let lastEventId = -1;
    let reconnects = 0;

    const settle = (outcome: () => void): void => {
      if (settled) return;
      settled = true;
      source?.close();
      outcome();
    };
    const fail = (error: unknown): void => settle(() => reject(error));

    const onMessage = (name: ProcessingEventName) => (event: Event) => {
      if (settled) return;
      const message = event as MessageEvent<string>;
      // A new connection replays the whole log: skip what was already seen.
      if (message.lastEventId !== '') {
        const id = Number(message.lastEventId);
        if (Number.isFinite(id)) {
          if (id <= lastEventId) return;
          lastEventId = id;
        }
      }
      let payload: RecordingEventMap[ProcessingEventName];
      try {
        payload = JSON.parse(message.data);
      } catch (error) {
        console.error(`callrec: unreadable '${name}' event`, message.data, error);
        return;
      }
      reconnects = 0;
      onEvent(name, payload);
      if (name === 'recordingCompleted') {
        settle(() => client.getRecordingInfo(recordingId).then(resolve, reject));
      } else if (name === 'recordingFailed') {
        const { error } = payload as RecordingEventMap['recordingFailed'];
        settle(() => reject(new RecordingFailedError(recordingId, error)));
      }
    };

    const open = async (): Promise<void> => {
      const url = await client.eventsUrl(recordingId);
      if (settled) return;
      const current = new Source(url);
      source = current;
      for (const name of PROCESSING_EVENT_NAMES) current.addEventListener(name, onMessage(name));
      current.addEventListener('error', () => {
        // While CONNECTING the browser reconnects by itself, sending Last-Event-ID.
        if (!settled && current.readyState === CLOSED && current === source) recover().catch(fail);
      });
    };

    // The stream was refused (an expired token, a restarting server). The REST API says whether
    // waiting still makes sense, and renews the token on 401 before the stream is opened again.
    const recover = async (): Promise<void> => {
      source?.close();
      const info = await client.getRecordingInfo(recordingId);
      if (info.status === 'completed') return settle(() => resolve(info));
      if (info.status === 'failed') {
        const error = info.error ?? {
          code: 'recording_failed',
          message: 'the server reports the recording failed',
        };
        return fail(new RecordingFailedError(recordingId, error));
      }
      reconnects++;
      if (reconnects >= policy.maxAttempts) {
        return fail(
          new RecorderError('events_unavailable', `the event stream closed ${reconnects} times in a row`),
        );
      }
      await wait(backoffDelay(reconnects, policy, options.retry?.random));
      await open();
    };

    open().catch(fail);
  });
}
