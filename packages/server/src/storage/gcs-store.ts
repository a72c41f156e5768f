import { createWriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import type { CompletedPart } from '@callrec/sdk/protocol';
import { type Bucket, type File, Storage } from '@google-cloud/storage';
import type { ServerConfig } from '../config.js';
import { ApiError } from '../errors.js';
import { gcsFailure, isMissingObject } from './gcs-errors.js';
import { cancelSession, querySession } from './gcs-session.js';
import { isSafeKey, isSafePrefix } from './keys.js';
import { checkExpiry, MAX_SIGNED_READ_URL_SECONDS } from './s3-store.js';
import type { CreatedUpload, RecordingStorage, SignedPartUrl, StoredPart } from './storage.js';

/** Google's rule: every chunk of a resumable upload but the last is a multiple of 256 KiB. */
export const GCS_CHUNK_MULTIPLE = 256 * 1024;
export const GCS_DEFAULT_CHUNK_SIZE = 8 * 1024 * 1024;

export interface GcsStoreOptions {
  bucket: Bucket;
  /** Chunk size the browser is told to use; a multiple of 256 KiB. */
  chunkSize?: number;
  /**
   * Emulators only: serve read URLs unsigned as `<base>/<bucket>/<key>`. The library cannot sign
   * without a service-account key, and emulators check no signatures anyway.
   */
  unsignedReadBase?: string;
}

/**
 * Recordings in a Google Cloud Storage bucket. Browsers upload each track into one resumable
 * session that the server opens for the browser's origin; the session URL is the upload id.
 */
export class GcsStore implements RecordingStorage {
  readonly provider = 'gcp' as const;
  readonly bucket: string;
  readonly #bucket: Bucket;
  readonly #chunkSize: number;
  readonly #unsignedReadBase: string | undefined;

  constructor(options: GcsStoreOptions) {
    const chunkSize = options.chunkSize ?? GCS_DEFAULT_CHUNK_SIZE;
    if (!Number.isInteger(chunkSize) || chunkSize <= 0 || chunkSize % GCS_CHUNK_MULTIPLE !== 0) {
      throw new Error(
        `GCS chunk size must be a positive multiple of ${GCS_CHUNK_MULTIPLE} bytes, got ${chunkSize}`,
      );
    }
    this.#bucket = options.bucket;
    this.bucket = options.bucket.name;
    this.#chunkSize = chunkSize;
    this.#unsignedReadBase = options.unsignedReadBase?.replace(/\/+$/, '');
  }

  /** Without `origin`, real GCS sends no CORS headers on the session, and browsers cannot use it. */
  async createUpload(key: string, contentType: string, origin?: string): Promise<CreatedUpload> {
    const [url] = await this.#call('createResumableUpload', key, (file) =>
      file.createResumableUpload({ ...(origin ? { origin } : {}), metadata: { contentType } }),
    );
    return {
      uploadId: url,
      target: { type: 'resumable', url, chunkSize: this.#chunkSize, chunkMultiple: GCS_CHUNK_MULTIPLE },
    };
  }

  async signParts(): Promise<SignedPartUrl[]> {
    throw new ApiError(
      409,
      'upload_not_multipart',
      'GCS uploads go to a resumable session URL, not to signed parts',
    );
  }

  /** The session's committed bytes, as one part (none while nothing is committed). */
  async listParts(key: string, uploadId: string): Promise<StoredPart[]> {
    this.#check(key);
    const status = await this.#session('querySession', key, () => querySession(uploadId));
    if (status.state === 'gone') {
      throw new ApiError(
        404,
        'upload_not_found',
        'No such upload: it was completed, aborted or never started',
      );
    }
    const [size, etag] = status.state === 'open' ? [status.committed, ''] : [status.size, status.etag];
    return size > 0 ? [{ partNumber: 1, etag, size }] : [];
  }

  /** The browser's final chunk finalized the object already; this checks that it exists. */
  async completeUpload(key: string, _uploadId: string, _parts: CompletedPart[]): Promise<{ size: number }> {
    const size = await this.size(key);
    if (size === undefined) {
      throw new ApiError(
        409,
        'upload_incomplete',
        'Storage holds no object yet: the final chunk was not received',
      );
    }
    return { size };
  }

  /** Idempotent: a session that is already gone counts as aborted. */
  async abortUpload(key: string, uploadId: string): Promise<void> {
    this.#check(key);
    await this.#session('cancelSession', key, () => cancelSession(uploadId));
  }

  /** Streams the object into `localPath`; a partial file is removed when the transfer fails. */
  async download(key: string, localPath: string): Promise<void> {
    await this.#call('download', key, async (file) => {
      try {
        await pipeline(file.createReadStream(), createWriteStream(localPath));
      } catch (err) {
        await rm(localPath, { force: true });
        throw err;
      }
    });
  }

  /** Streams the file; the library switches to a resumable upload above 5 MB. */
  async upload(localPath: string, key: string, contentType: string): Promise<void> {
    await this.#call('upload', key, (file) =>
      this.#bucket.upload(localPath, { destination: file, metadata: { contentType } }),
    );
  }

  async size(key: string): Promise<number | undefined> {
    try {
      const [metadata] = await this.#bucket.file(this.#check(key)).getMetadata();
      return Number(metadata.size);
    } catch (err) {
      if (isMissingObject(err)) return undefined;
      throw gcsFailure(err, { bucket: this.bucket, operation: 'getMetadata', key });
    }
  }

  /** V4 signing happens locally with the service account's key; no request is made. */
  async signRead(key: string, expiresIn: number): Promise<string> {
    checkExpiry(expiresIn, MAX_SIGNED_READ_URL_SECONDS);
    if (this.#unsignedReadBase) {
      const path = this.#check(key).split('/').map(encodeURIComponent).join('/');
      return `${this.#unsignedReadBase}/${encodeURIComponent(this.bucket)}/${path}`;
    }
    const [url] = await this.#call('getSignedUrl', key, (file) =>
      file.getSignedUrl({ version: 'v4', action: 'read', expires: Date.now() + expiresIn * 1000 }),
    );
    return url;
  }

  location(key: string): string {
    return `gs://${this.bucket}/${key}`;
  }

  /**
   * Deletes every object under the folder `prefix`. Open resumable sessions cannot be listed in
   * GCS; callers abort the ones they know (tracks still recording) before deleting.
   */
  async deletePrefix(prefix: string): Promise<void> {
    if (!isSafePrefix(prefix)) {
      throw new ApiError(400, 'invalid_key', `Unsafe storage prefix ${JSON.stringify(prefix)}`);
    }
    const folder = prefix.endsWith('/') ? prefix : `${prefix}/`;
    try {
      await this.#bucket.deleteFiles({ prefix: folder, force: false });
    } catch (err) {
      throw gcsFailure(err, { bucket: this.bucket, operation: 'deleteFiles', key: folder });
    }
  }

  async #call<T>(operation: string, key: string, run: (file: File) => Promise<T>): Promise<T> {
    const file = this.#bucket.file(this.#check(key));
    try {
      return await run(file);
    } catch (err) {
      throw gcsFailure(err, { bucket: this.bucket, operation, key });
    }
  }

  async #session<T>(operation: string, key: string, run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (err) {
      throw gcsFailure(err, { bucket: this.bucket, operation, key });
    }
  }

  #check(key: string): string {
    if (!isSafeKey(key)) throw new ApiError(400, 'invalid_key', `Unsafe storage key ${JSON.stringify(key)}`);
    return key;
  }
}

/**
 * The `gcp` provider from the server config. Credentials come from the library's chain
 * (GOOGLE_APPLICATION_CREDENTIALS, workload identity); STORAGE_EMULATOR_HOST points it at an emulator,
 * whose read URLs are then unsigned unless a key file is configured.
 */
export function createGcsStorage(config: ServerConfig): GcsStore {
  const { bucket } = config.storage;
  if (!bucket) throw new Error('RECORDING_STORAGE_BUCKET is required for the gcp storage provider');
  if (config.partSize % GCS_CHUNK_MULTIPLE !== 0) {
    throw new Error(
      `RECORDING_PART_SIZE must be a multiple of ${GCS_CHUNK_MULTIPLE} bytes (256 KiB) for GCS`,
    );
  }
  const emulator = process.env.STORAGE_EMULATOR_HOST;
  const unsigned = emulator && !process.env.GOOGLE_APPLICATION_CREDENTIALS ? emulator : undefined;
  return new GcsStore({
    bucket: new Storage().bucket(bucket),
    chunkSize: config.partSize,
    ...(unsigned ? { unsignedReadBase: unsigned } : {}),
  });
}
