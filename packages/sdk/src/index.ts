export {
  type FetchLike,
  RecordingClient,
  type RecordingClientOptions,
  type TokenSource,
} from './api-client.js';
export {
  type AddTrackOptions,
  CALL_RECORDER_DEFAULTS,
  CallRecorder,
  type CallRecorderOptions,
  type StartOptions,
} from './call-recorder.js';
export type { EventSourceFactory, EventSourceLike } from './completion.js';
export {
  type FailedTrack,
  InvalidStateError,
  RecorderError,
  RecordingApiError,
  RecordingFailedError,
  type TrackFailure,
  TracksFailedError,
} from './errors.js';
export {
  type Listener,
  RecorderEvent,
  type RecorderEventMap,
  type TrackAddedEvent,
  type TrackEndedEvent,
  type TrackFailedEvent,
  type TrackProgressEvent,
  type TrackRef,
} from './events.js';
export { DEFAULT_MIME_TYPES, type IsTypeSupported, type MimeTypePreferences, pickMimeType } from './mime.js';
export * from './protocol.js';
export type { RecordedTrackStatus, TrackStats } from './recorded-track.js';
export type { RecorderState } from './recorder-state.js';
export { DEFAULT_RETRY_POLICY, type RetryPolicy } from './retry.js';
