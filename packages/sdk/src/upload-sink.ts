import { RecorderError } from './errors.js';
import { MultipartUpload, type MultipartUploadOptions } from './multipart-upload.js';
import type { CompletedPart, UploadTarget } from './protocol.js';
import { ResumableUpload, type ResumableUploadOptions } from './resumable-upload.js';

/** Where one track's bytes go, in order; one implementation per `UploadTarget` shape. */
export interface UploadSink {
  /** Never throws: a fatal problem is reported through the `onError` the sink was built with. */
  push(chunk: Blob): void;
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
