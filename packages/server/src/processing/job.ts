import type {
  AudioCodec,
  CompositeLayout,
  MediaKind,
  OutputFormat,
  PauseSpan,
  TimingStep,
  VideoCodec,
} from '@callrec/sdk/protocol';

/** `none` is software only; `auto` uses what the machine has and falls back to software. */
export type HwAccelMode = 'none' | 'auto' | 'vaapi' | 'nvenc' | 'qsv';

/** Everything processing needs to know about a stopped recording; files are local paths. */
export interface ProcessingJob {
  recordingId: string;
  /** Working directory for intermediates and outputs; the caller creates and removes it. */
  workDir: string;
  format: OutputFormat;
  videoCodec: VideoCodec;
  audioCodec: AudioCodec;
  /** Composite frame size and rate. */
  width: number;
  height: number;
  fps: number;
  /** Default `grid`. */
  layout?: CompositeLayout;
  /** Draw each participant's display name in the composite. Default false. */
  labels?: boolean;
  /** Spans left out of every output, server clock. Default none. */
  pauses?: PauseSpan[];
  /** Default `none`. */
  hwaccel?: HwAccelMode;
  tracks: ProcessingTrack[];
}

export interface ProcessingTrack {
  trackId: string;
  participantId: string;
  displayName: string;
  kind: MediaKind;
  /** The raw recorder output: an in-order concatenation of MediaRecorder chunks (no duration). */
  path: string;
  /**
   * Start (epoch ms, server clock) taken at the recorder's `start` event. The media inside is
   * continuous: MediaRecorder leaves paused time out of its timestamps.
   */
  startedAt: number;
  endedAt?: number;
  /** Received video: where its timestamps left how its frames were shown; the remux shifts them. */
  timing?: TimingStep[];
}

export interface ProcessingResult {
  participants: ProducedFile[];
  composite: ProducedFile;
  /** Five JPEGs at 0/25/50/75/100 % of the composite, 320 px wide. */
  thumbnails: ProducedThumbnail[];
  /** Wall-clock span the composite covers. */
  timeline: { startedAt: number; duration: number };
}

export interface ProducedFile {
  participantId?: string;
  path: string;
  mimeType: string;
  size: number;
  /** Seconds, from ffprobe. */
  duration: number;
  hasAudio: boolean;
  hasVideo: boolean;
}

export interface ProducedThumbnail {
  position: number;
  path: string;
  width: number;
  height: number;
}

/** Raised when ffmpeg or ffprobe fails; carries what the `recordingFailed` event reports. */
export class ProcessingError extends Error {
  constructor(
    message: string,
    readonly details: {
      step: string;
      exitCode: number | null;
      stderrTail: string;
      inputs: string[];
      args?: string[];
    },
  ) {
    super(message);
    this.name = 'ProcessingError';
  }
}
