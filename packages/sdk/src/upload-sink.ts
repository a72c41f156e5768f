import type { RecordingClient } from './api-client.js';
import { RecorderError } from './errors.js';
import { MultipartUpload, type MultipartUploadOptions } from './multipart-upload.js';
import type { CompletedPart, UploadTarget } from './protocol.js';
import { ResumableUpload, type ResumableUploadOptions } from './resumable-upload.js';
import type { TrackJournal } from './track-journal.js';

/** A part (or, for resumable uploads, a chunk) storage confirmed. */
export interface UploadedPart extends CompletedPart {
  start: number;
  size: number;
}

/** Resuming a track after a reload: storage holds every byte before `offset`, and `parts`. */
export interface UploadSinkResume {
  offset: number;
  parts: readonly CompletedPart[];
}

/**
 * Where one track's bytes go, in order; one implementation per `UploadTarget` shape. The bytes
 * themselves are in the chunk journal; the sink reads each part from there when it sends it.
 */
export interface UploadSink {
  /**
   * The track grew by `size` bytes, readable now. Never throws: a fatal problem is reported
   * through the `onError` the sink was built with.
   */
  append(size: number): void;
  /** Uploads what is left and waits for storage to confirm everything. */
  finish(): Promise<CompletedPart[]>;
  abort(reason: unknown): void;
}

export type UploadSinkDeps = Omit<MultipartUploadOptions, 'partSize' | 'maxParts'> &
  Pick<ResumableUploadOptions, 'putChunk'>;

export function createUploadSink(target: UploadTarget, deps: UploadSinkDeps): UploadSink {
  switch (target.type) {
    case 'multipart':
      if (target.partSize < target.minPartSize) {
        throw new RecorderError(
          'invalid_upload_target',
          `the server asked for ${target.partSize}-byte parts, below its own minimum of ${target.minPartSize}`,
        );
      }
      return new MultipartUpload({ ...deps, partSize: target.partSize, maxParts: target.maxParts });
    case 'resumable':
      return new ResumableUpload({
        url: target.url,
        chunkSize: target.chunkSize,
        chunkMultiple: target.chunkMultiple,
        read: deps.read,
        ...(deps.resume ? { resume: deps.resume } : {}),
        putChunk: deps.putChunk,
        retry: deps.retry,
        onPartUploaded: deps.onPartUploaded,
        onError: deps.onError,
      });
    default:
      throw new RecorderError(
        'unsupported_upload_target',
        `unknown upload target type ${JSON.stringify((target as { type?: unknown }).type)}`,
      );
  }
}

export interface JournaledSinkOptions
  extends Pick<UploadSinkDeps, 'partsInFlight' | 'signBatchSize' | 'retry' | 'onPartUploaded' | 'onError'> {
  api: Pick<RecordingClient, 'signParts' | 'putPart' | 'putChunk'>;
  recordingId: string;
  trackId: string;
  journal: TrackJournal;
}

/** The sink for one track whose bytes are in `journal`, resumed where the journal says storage is. */
export function createJournaledSink(target: UploadTarget, options: JournaledSinkOptions): UploadSink {
  const { api, recordingId, trackId, journal } = options;
  const { confirmedBytes, parts } = journal.state;
  return createUploadSink(target, {
    read: (start, end) => journal.read(start, end),
    ...(confirmedBytes > 0 || parts.length > 0 ? { resume: { offset: confirmedBytes, parts } } : {}),
    signParts: (partNumbers) => api.signParts(recordingId, trackId, partNumbers),
    putPart: (part, body) => api.putPart(part, body),
    putChunk: (url, body, contentRange) => api.putChunk(url, body, contentRange),
    partsInFlight: options.partsInFlight,
    signBatchSize: options.signBatchSize,
    retry: options.retry,
    onPartUploaded: options.onPartUploaded,
    onError: options.onError,
  });
}
