import type { AudioCodec, MediaKind, OutputFormat, VideoCodec } from '@callrec/sdk/protocol';

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
  tracks: ProcessingTrack[];
}

export interface ProcessingTrack {
  trackId: string;
  participantId: string;
  displayName: string;
  kind: MediaKind;
  /** The raw recorder output: an in-order concatenation of MediaRecorder chunks (no duration). */
  path: string;
  /** Wall-clock start (epoch ms) taken at the recorder's `start` event. */
  startedAt: number;
  endedAt?: number;
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
