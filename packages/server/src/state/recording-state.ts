import type {
  AudioCodec,
  CompletedPart,
  CompositeLayout,
  OutputFormat,
  OutputInfo,
  PauseSpan,
  RecordingEventMap,
  RecordingEventName,
  RecordingStatus,
  StorageProviderName,
  ThumbnailInfo,
  TimingStep,
  TrackInfo,
  UploadTarget,
  VideoCodec,
} from '@callrec/sdk/protocol';

/** What the server persists per recording (`<outputDir>/.state/<id>.json`). */
export interface RecordingState {
  version: 1;
  id: string;
  roomId: string;
  status: RecordingStatus;
  createdAt: number;
  stoppedAt?: number;
  completedAt?: number;
  format: OutputFormat;
  videoCodec: VideoCodec;
  audioCodec: AudioCodec;
  /**
   * Composite settings, chosen at creation. Absent in state files written before they existed:
   * those recordings take the server's defaults (see `compositeSettings`).
   */
  layout?: CompositeLayout;
  labels?: boolean;
  width?: number;
  height?: number;
  fps?: number;
  /** Merged and sorted (server clock); absent means none. */
  pauses?: PauseSpan[];
  storage: { provider: StorageProviderName; bucket?: string };
  tracks: TrackState[];
  /** Outputs and thumbnails without URLs: those are signed fresh on every read. */
  outputs: Omit<OutputInfo, 'url'>[];
  thumbnails: Omit<ThumbnailInfo, 'url'>[];
  duration?: number;
  error?: { code: string; message: string; details?: unknown };
  /** Id the next event gets; ids never repeat, even when old events are dropped from the log. */
  nextEventId: number;
  events: StoredEvent[];
}

export interface TrackState extends TrackInfo {
  key: string;
  uploadId: string;
  upload: UploadTarget;
  /** Part numbers signed so far, ascending. */
  signedParts: number[];
  /** The parts the track was assembled from, once complete. */
  parts?: CompletedPart[];
  /** Last register, sign or complete request (epoch ms); the abandoned-upload sweeper reads it. */
  lastActivityAt?: number;
  /**
   * A completion handed to storage but not yet recorded here. Written before storage assembles
   * the object, so a restart can tell "assembled, then killed" from "never assembled".
   */
  completing?: PendingCompletion;
}

export interface PendingCompletion {
  parts: CompletedPart[];
  bytes: number;
  endedAt: number;
  timing?: TimingStep[];
}

export type StoredEvent = {
  [K in RecordingEventName]: { id: number; name: K; data: RecordingEventMap[K]; at: number };
}[RecordingEventName];

export const STATE_VERSION = 1;
