import type { CompletedPart, StorageProviderName, UploadTarget } from '@callrec/sdk/protocol';

/**
 * One storage back end (local disk, S3, GCS). Everything the server and the processing
 * pipeline do with bytes goes through this interface, so a new provider is a new file.
 *
 * Keys are `/`-separated, relative to the provider's root or bucket, and always start with the
 * recording id (`<recordingId>/...`), so deleting a recording is deleting a prefix.
 */
export interface RecordingStorage {
  readonly provider: StorageProviderName;
  readonly bucket?: string;

  // ---- browser-direct upload of one track ----
  /** Starts an upload for `key`; `origin` is the browser's origin (GCS scopes CORS to it). */
  createUpload(key: string, contentType: string, origin?: string): Promise<CreatedUpload>;
  /** Presigned URLs for the given part numbers, valid for `expiresInSeconds` (≤ 900). */
  signParts(
    key: string,
    uploadId: string,
    partNumbers: number[],
    expiresInSeconds: number,
  ): Promise<SignedPartUrl[]>;
  listParts(key: string, uploadId: string): Promise<StoredPart[]>;
  /** Assembles the parts into the object at `key`; refuses parts it does not hold. */
  completeUpload(key: string, uploadId: string, parts: CompletedPart[]): Promise<{ size: number }>;
  abortUpload(key: string, uploadId: string): Promise<void>;

  // ---- objects ----
  /** Copies the object to a local file (processing reads local files). */
  download(key: string, localPath: string): Promise<void>;
  /** Stores a local file at `key`. */
  upload(localPath: string, key: string, contentType: string): Promise<void>;
  /** Size in bytes, or `undefined` when the object does not exist. */
  size(key: string): Promise<number | undefined>;
  /** A time-limited URL a browser can GET (with Range) to play or download the object. */
  signRead(key: string, expiresInSeconds: number): Promise<string>;
  /** Where the object lives, for people: an absolute path, `s3://b/k`, `gs://b/k`. */
  location(key: string): string;
  /** Deletes every object under `prefix` and aborts unfinished uploads under it. */
  deletePrefix(prefix: string): Promise<void>;
}

export interface CreatedUpload {
  uploadId: string;
  target: UploadTarget;
}

export interface SignedPartUrl {
  partNumber: number;
  url: string;
  headers?: Record<string, string>;
}

export interface StoredPart {
  partNumber: number;
  etag: string;
  size: number;
}
