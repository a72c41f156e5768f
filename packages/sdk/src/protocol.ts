/**
 * The wire contract between the browser SDK and the server: every HTTP body and every event
 * payload. The server's schemas are checked against these types, so a change here that the
 * server does not follow fails the type check.
 *
 * All times are Unix epoch milliseconds; all durations are seconds; all sizes are bytes.
 */

export const API_PREFIX = '/v1';

/** Recording, track and participant ids end up in storage keys, so they are kept path-safe. */
export const ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;
export const PARTICIPANT_ID_PATTERN = /^[A-Za-z0-9_@-][A-Za-z0-9_.@-]{0,127}$/;

/** S3's multipart rules; the SDK follows them for every provider so one code path serves all. */
export const S3_MIN_PART_SIZE = 5 * 1024 * 1024;
export const S3_MAX_PARTS = 10_000;

export type MediaKind = 'audio' | 'video';
export type OutputFormat = 'webm' | 'mp4';
export type VideoCodec = 'vp8' | 'vp9' | 'h264';
export type AudioCodec = 'opus' | 'aac';
export type StorageProviderName = 'local' | 'aws' | 'gcp';

/** How the composite arranges participants: an adaptive grid, or the active speaker large. */
export type CompositeLayout = 'grid' | 'speaker';

/** A span (server clock, epoch ms) during which the recording was paused; outputs leave it out. */
export interface PauseSpan {
  from: number;
  to: number;
}

export type RecordingStatus = 'recording' | 'queued' | 'processing' | 'completed' | 'failed';
export type TrackStatus = 'recording' | 'complete' | 'failed';

export interface ApiErrorBody {
  error: {
    /** Machine-readable, stable, snake_case: `invalid_body`, `not_found`, `token_expired`, ... */
    code: string;
    message: string;
    details?: unknown;
  };
}

// ---- requests ---------------------------------------------------------------------------------

/**
 * POST /v1/recordings — the recording id is the token's subject. Starting an id that is already
 * recording (same room) joins it: every participant's browser records its own tracks into it, and
 * the first start's settings hold. Unset settings take the server's defaults (`RECORDING_*`).
 */
export interface CreateRecordingRequest {
  roomId: string;
  format?: OutputFormat;
  videoCodec?: VideoCodec;
  audioCodec?: AudioCodec;
  layout?: CompositeLayout;
  /** Draw each participant's display name in the composite. */
  labels?: boolean;
  /** Composite frame size (even numbers) and rate. */
  width?: number;
  height?: number;
  fps?: number;
}

/**
 * How the browser's clock relates to the server's when it measured: server time = local time +
 * `offsetMs`, estimated from the round trip with the smallest `rttMs`.
 */
export interface ClockEstimate {
  offsetMs: number;
  rttMs: number;
}

/** GET /v1/clock — no token; never cached. */
export interface ClockResponse {
  /** The server's epoch ms when it answered. */
  now: number;
}

/** PUT /v1/recordings/:id/tracks/:trackId — idempotent; the SDK picks the track id. */
export interface RegisterTrackRequest {
  participantId: string;
  displayName: string;
  kind: MediaKind;
  mimeType: string;
  /** Time of the recorder's `start` event, on the server's clock. */
  startedAt: number;
  /** The browser's clock estimate the times were converted with; kept for diagnostics. */
  clock?: ClockEstimate;
}

/** POST /v1/recordings/:id/tracks/:trackId/parts */
export interface SignPartsRequest {
  /** 1..10000, at most 100 per request. */
  partNumbers: number[];
}

export interface CompletedPart {
  partNumber: number;
  etag: string;
}

/**
 * From file time `atMs` on (ms of the track's own media), the track's frames were shown `shiftMs`
 * later than their timestamps say, counted from how the file's first frame was shown. Chromium
 * stamps received video with its render time until the sender's first RTCP reports arrive, and
 * with the sender's capture time after: the file's timestamps then jump back by the network and
 * jitter-buffer delay, while the page kept showing the frames at that delay.
 */
export interface TimingStep {
  atMs: number;
  shiftMs: number;
}

/** At most this many timing steps per track; a recorder that sees more keeps its timestamps for the rest. */
export const MAX_TIMING_STEPS = 200;
/** A timing step shifts by at most this much, either way. */
export const MAX_TIMING_SHIFT_MS = 10_000;

/** POST /v1/recordings/:id/tracks/:trackId/complete */
export interface CompleteTrackRequest {
  parts: CompletedPart[];
  /** Total bytes the recorder produced; the server refuses to complete if storage holds fewer. */
  bytes: number;
  /** Time the recorder stopped, on the server's clock. */
  endedAt: number;
  /** Received video only: where the file's timestamps left how its frames were shown, ascending `atMs`. */
  timing?: TimingStep[];
}

/** POST /v1/recordings/:id/tracks/:trackId/fail — the SDK gave up on a track; the reason is kept. */
export interface FailTrackRequest {
  code: string;
  message: string;
}

/** POST /v1/recordings/:id/stop */
export interface StopRecordingRequest {
  /** Server clock. */
  stoppedAt?: number;
}

/**
 * POST /v1/recordings/:id/pauses — a span the recording was paused (server clock, `to` > `from`).
 * Idempotent: spans are merged with those already known. 409 `recording_not_active` after stop.
 * Answers with the RecordingInfo.
 */
export type AddPauseRequest = PauseSpan;

/** POST /v1/cleanup — needs an admin token. */
export interface CleanupRequest {
  olderThanMs: number;
}

// ---- responses --------------------------------------------------------------------------------

/**
 * How the browser uploads one track. `multipart`: numbered parts of exactly `partSize` bytes
 * (the last may be smaller), any order, each PUT to a URL from the parts endpoint, each answered
 * with an `ETag`. `resumable`: ordered chunks PUT to `url` with `Content-Range`, each non-final
 * chunk a multiple of `chunkMultiple` (GCS).
 */
export type UploadTarget =
  | { type: 'multipart'; partSize: number; minPartSize: number; maxParts: number }
  | { type: 'resumable'; url: string; chunkSize: number; chunkMultiple: number };

export interface RegisterTrackResponse {
  track: TrackInfo;
  upload: UploadTarget;
}

export interface SignedPart {
  partNumber: number;
  url: string;
  /** Headers the PUT must carry, if the provider signed any. */
  headers?: Record<string, string>;
}

export interface SignPartsResponse {
  parts: SignedPart[];
  expiresAt: number;
}

/** One part storage holds for an unfinished multipart upload. */
export interface ListedPart {
  partNumber: number;
  /** Quoted, as the part PUT's `ETag` header carries it. */
  etag: string;
  size: number;
}

/**
 * GET /v1/recordings/:id/tracks/:trackId/parts — the parts storage already holds for a track
 * still `recording` (multipart uploads only; 409 `upload_not_multipart` otherwise, 409
 * `track_not_active` once the track is complete or failed). Ascending by part number.
 */
export interface ListPartsResponse {
  parts: ListedPart[];
}

export interface TrackInfo {
  id: string;
  participantId: string;
  displayName: string;
  kind: MediaKind;
  mimeType: string;
  /** Server clock, like every time here. */
  startedAt: number;
  endedAt?: number;
  /** The recording browser's clock estimate when it registered the track. */
  clock?: ClockEstimate;
  status: TrackStatus;
  /** Bytes in storage once complete. */
  bytes?: number;
  /** Received video: where its timestamps left how its frames were shown (CompleteTrackRequest). */
  timing?: TimingStep[];
  error?: { code: string; message: string };
}

export interface OutputInfo {
  kind: 'participant' | 'composite';
  /** Set for `participant` outputs. */
  participantId?: string;
  /** Storage key, relative to the provider's root or bucket. */
  key: string;
  /** Where the file lives: an absolute path for `local`, `s3://bucket/key`, `gs://bucket/key`. */
  location: string;
  /** A time-limited URL to play or download it. */
  url: string;
  mimeType: string;
  size: number;
  duration: number;
  hasAudio: boolean;
  hasVideo: boolean;
}

export interface ThumbnailInfo {
  /** 0, 25, 50, 75 or 100 (% of the composite's duration; 100 is the last frame). */
  position: number;
  key: string;
  url: string;
  width: number;
  height: number;
}

export interface RecordingInfo {
  id: string;
  roomId: string;
  status: RecordingStatus;
  createdAt: number;
  stoppedAt?: number;
  completedAt?: number;
  format: OutputFormat;
  videoCodec: VideoCodec;
  audioCodec: AudioCodec;
  layout: CompositeLayout;
  labels: boolean;
  /** Composite frame size and rate. */
  width: number;
  height: number;
  fps: number;
  /** Merged, sorted; left out of every output. */
  pauses: PauseSpan[];
  storage: { provider: StorageProviderName; bucket?: string };
  tracks: TrackInfo[];
  outputs: OutputInfo[];
  thumbnails: ThumbnailInfo[];
  /** Seconds, once processed: the composite's duration. */
  duration?: number;
  error?: { code: string; message: string; details?: unknown };
}

export interface ListRecordingsResponse {
  recordings: RecordingInfo[];
}

export interface CleanupResponse {
  deleted: string[];
}

// ---- events -----------------------------------------------------------------------------------

/**
 * The seven events users know. The server emits them on its emitter and on
 * GET /v1/recordings/:id/events (Server-Sent Events, `event:` = name, `data:` = JSON payload,
 * `id:` = a per-recording sequence number so a reconnect with Last-Event-ID misses nothing).
 */
export interface RecordingEventMap {
  recordingStarted: { recordingId: string; roomId: string; startedAt: number };
  recordingProgress: { recordingId: string; chunks: number; participants: number; bytes: number };
  recordingProcessing: { recordingId: string };
  recordingCompleted: {
    recordingId: string;
    /** Location of the composite. */
    outputPath: string;
    fileSize: number;
    duration: number;
  };
  recordingFailed: {
    recordingId: string;
    error: { code: string; message: string; details?: unknown };
  };
  thumbnailsGenerated: { recordingId: string; count: number };
  recordingUploaded: { recordingId: string; provider: StorageProviderName; bucket?: string };
}

export type RecordingEventName = keyof RecordingEventMap;

export const RECORDING_EVENT_NAMES: readonly RecordingEventName[] = [
  'recordingStarted',
  'recordingProgress',
  'recordingProcessing',
  'recordingCompleted',
  'recordingFailed',
  'thumbnailsGenerated',
  'recordingUploaded',
];
