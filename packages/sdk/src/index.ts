export {
  type FetchLike,
  RecordingClient,
  type RecordingClientOptions,
  type TokenSource,
} from './api-client.js';
export { CallRecorder } from './call-recorder.js';
export {
  type AddTrackOptions,
  CALL_RECORDER_DEFAULTS,
  type CallRecorderOptions,
  type StartOptions,
  type StopOptions,
} from './call-recorder-options.js';
export { crc32, crc32Hex } from './checksum.js';
export {
  type ChunkJournal,
  type ConfirmedPart,
  type JournalChunk,
  type JournaledRecording,
  type JournaledTrack,
  type JournaledTrackStatus,
  MemoryChunkJournal,
} from './chunk-journal.js';
export {
  CLOCK_SYNC_DEFAULTS,
  ClockSync,
  type ClockSyncedEvent,
  type ClockSyncFailedEvent,
  type ClockSyncOptions,
  estimateClock,
  type RoundTrip,
  type ServerClock,
} from './clock-sync.js';
export type { EventSourceFactory, EventSourceLike } from './completion.js';
export {
  type FailedTrack,
  InvalidStateError,
  RecorderError,
  RecordingApiError,
  RecordingFailedError,
  RecordingInterruptedError,
  type TrackFailure,
  TracksFailedError,
} from './errors.js';
export {
  type JournalBehindEvent,
  type Listener,
  RecorderEvent,
  type RecorderEventMap,
  type RecorderProgressEvent,
  type RecordingPausedEvent,
  type RecordingResumedEvent,
  type TrackAddedEvent,
  type TrackEndedEvent,
  type TrackFailedEvent,
  type TrackProgressEvent,
  type TrackRef,
} from './events.js';
export { DEFAULT_JOURNAL_DATABASE, IndexedDbChunkJournal, openChunkJournal } from './indexeddb-journal.js';
export { DEFAULT_JOURNAL_WARNING_BYTES } from './journal-lag.js';
export { DEFAULT_MIME_TYPES, type IsTypeSupported, type MimeTypePreferences, pickMimeType } from './mime.js';
export { browserOnlineSignal, ManualOnlineSignal, type OnlineSignal } from './online.js';
export * from './protocol.js';
export type { RecordedTrackStatus, TrackStats } from './recorded-track.js';
export type { RecorderState } from './recorder-state.js';
export {
  defaultRecordingLocks,
  localRecordingLocks,
  type RecordingLocks,
  webRecordingLocks,
} from './recording-lock.js';
export {
  type RecoveredRecording,
  type RecoveredTrack,
  type RecoverOptions,
  recoverRecordings,
} from './recovery.js';
export { DEFAULT_RETRY_POLICY, type RetryPolicy } from './retry.js';
export type { UnloadTarget } from './unload-guard.js';
