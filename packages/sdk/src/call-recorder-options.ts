import type { FetchLike, TokenSource } from './api-client.js';
import type { ChunkJournal } from './chunk-journal.js';
import type { EventSourceFactory } from './completion.js';
import { type IsTypeSupported, type MimeTypePreferences, pickMimeType } from './mime.js';
import { DEFAULT_PARTS_IN_FLIGHT } from './multipart-upload.js';
import { browserOnlineSignal, type OnlineSignal } from './online.js';
import type { CreateRecordingRequest, MediaKind } from './protocol.js';
import type { RecordingLocks } from './recording-lock.js';
import type { RetryOptions, RetryPolicy } from './retry.js';
import type { UnloadTarget } from './unload-guard.js';

export interface CallRecorderOptions {
  serverUrl: string;
  /** A recording token minted by the app's backend, or a function that fetches a fresh one. */
  token: TokenSource;
  videoBitsPerSecond?: number;
  audioBitsPerSecond?: number;
  /** How often the recorders hand out a chunk. */
  timesliceMs?: number;
  /** Preference lists, most preferred first, checked with `MediaRecorder.isTypeSupported`. */
  mimeTypes?: MimeTypePreferences;
  /** Parts of one track uploading at the same time. */
  partsInFlight?: number;
  /** How often the estimate of the server's clock is renewed while recording (default 30 s). */
  clockSyncIntervalMs?: number;
  /** Round trips per clock sync; the fastest one counts (default 5). */
  clockSyncRoundTrips?: number;
  retry?: Partial<RetryPolicy>;
  /**
   * Where chunks wait until storage confirms them. Defaults to IndexedDB (`openChunkJournal()`),
   * or memory, with a warning, where IndexedDB cannot be opened.
   */
  journal?: ChunkJournal | Promise<ChunkJournal>;
  /**
   * Bytes of recorded chunks waiting in memory for the journal above which `journalBehind`
   * warns (default 32 MiB).
   */
  journalWarningBytes?: number;
  /** Defaults to `navigator.onLine` and the window's online/offline events. */
  online?: OnlineSignal;
  /** Where the "leave site?" guard is installed while data is unsent; false for none. */
  beforeUnload?: UnloadTarget | false;
  /** Defaults to Web Locks, which tell recovery in other tabs that this page records. */
  locks?: RecordingLocks;
  /** For tests and non-browser hosts. */
  fetch?: FetchLike;
  EventSource?: EventSourceFactory;
  isTypeSupported?: IsTypeSupported;
  /** For tests: how retries wait. */
  sleep?: (ms: number) => Promise<void>;
}

export const CALL_RECORDER_DEFAULTS = {
  videoBitsPerSecond: 2_000_000,
  audioBitsPerSecond: 128_000,
  timesliceMs: 1000,
  partsInFlight: DEFAULT_PARTS_IN_FLIGHT,
  progressIntervalMs: 1000,
} as const;

export type StartOptions = CreateRecordingRequest;

export interface StopOptions {
  /**
   * False: only this recorder's tracks end (every byte confirmed in storage) and the recording
   * goes on, for a participant who leaves while others still record. Default true: the
   * recording stops and processing starts.
   */
  endRecording?: boolean;
}

export interface AddTrackOptions {
  participantId: string;
  /** Defaults to the participant id. */
  displayName?: string;
}

/** How every request of the recorder retries: the policy, offline pauses, and the test clock. */
export function retryOptions(options: CallRecorderOptions): RetryOptions {
  return {
    ...(options.retry ? { policy: options.retry } : {}),
    ...(options.sleep ? { sleep: options.sleep } : {}),
    online: options.online ?? browserOnlineSignal(),
  };
}

/** The recorder and upload settings of one track; throws if the browser cannot record `kind`. */
export function trackSettings(options: CallRecorderOptions, kind: MediaKind) {
  const defaults = CALL_RECORDER_DEFAULTS;
  return {
    mimeType: pickMimeType(kind, options.mimeTypes, options.isTypeSupported),
    bitsPerSecond:
      kind === 'video'
        ? (options.videoBitsPerSecond ?? defaults.videoBitsPerSecond)
        : (options.audioBitsPerSecond ?? defaults.audioBitsPerSecond),
    timesliceMs: options.timesliceMs ?? defaults.timesliceMs,
    partsInFlight: options.partsInFlight ?? defaults.partsInFlight,
  };
}
