import { createReadStream, createWriteStream } from 'node:fs';
import { rm, stat } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListPartsCommand,
  PutObjectCommand,
  type S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import type { CompletedPart } from '@callrec/sdk/protocol';
import type { ServerConfig } from '../config.js';
import { ApiError } from '../errors.js';
import { isSafeKey, isSafePrefix } from './keys.js';
import { createS3Client } from './s3-client.js';
import { isNoSuchUpload, s3ErrorCode, s3Failure } from './s3-errors.js';
import { deleteUnderPrefix } from './s3-prefix.js';
import type { CreatedUpload, RecordingStorage, SignedPartUrl, StoredPart } from './storage.js';

/** S3's multipart limits: every part but the last ≥ 5 MiB, at most 10,000 parts. */
export const S3_MIN_PART_SIZE = 5 * 1024 * 1024;
export const S3_MAX_PARTS = 10_000;
/** Presigned upload URLs live at most 15 minutes: a leaked one is soon useless. */
export const MAX_SIGNED_URL_SECONDS = 900;
/**
 * Read URLs feed `<video>` elements, which keep issuing Range requests while someone watches, so
 * they may live longer; 7 days is SigV4's own ceiling.
 */
export const MAX_SIGNED_READ_URL_SECONDS = 7 * 24 * 3600;

export interface S3StoreOptions {
  client: S3Client;
  bucket: string;
  /** Part size the browser is told to use; at least 5 MiB. */
  partSize: number;
}

/** Recordings in an S3 (or S3-compatible) bucket; browsers upload each track as one multipart upload. */
export class S3Store implements RecordingStorage {
  readonly provider = 'aws' as const;
  readonly bucket: string;
  readonly #client: S3Client;
  readonly #partSize: number;

  constructor(options: S3StoreOptions) {
    if (options.partSize < S3_MIN_PART_SIZE) {
      throw new Error(`S3 part size must be at least ${S3_MIN_PART_SIZE} bytes, got ${options.partSize}`);
    }
    this.bucket = options.bucket;
    this.#client = options.client;
    this.#partSize = options.partSize;
  }

  async createUpload(key: string, contentType: string): Promise<CreatedUpload> {
    const out = await this.#call('createMultipartUpload', key, (Key) =>
      this.#client.send(
        new CreateMultipartUploadCommand({ Bucket: this.bucket, Key, ContentType: contentType }),
      ),
    );
    if (!out.UploadId)
      throw new Error(`S3 CreateMultipartUpload for ${this.location(key)} returned no UploadId`);
    return {
      uploadId: out.UploadId,
      target: {
        type: 'multipart',
        partSize: this.#partSize,
        minPartSize: S3_MIN_PART_SIZE,
        maxParts: S3_MAX_PARTS,
      },
    };
  }

  /** Each URL is signed for this key, upload id and part number only. Signing is local: no request. */
  async signParts(
    key: string,
    uploadId: string,
    partNumbers: number[],
    expiresIn: number,
  ): Promise<SignedPartUrl[]> {
    checkExpiry(expiresIn);
    const Key = this.#check(key);
    return Promise.all(
      partNumbers.map(async (partNumber) => {
        if (!Number.isInteger(partNumber) || partNumber < 1 || partNumber > S3_MAX_PARTS) {
          throw new ApiError(400, 'invalid_part_number', `Part numbers run from 1 to ${S3_MAX_PARTS}`, {
            partNumber,
          });
        }
        const command = new UploadPartCommand({
          Bucket: this.bucket,
          Key,
          UploadId: uploadId,
          PartNumber: partNumber,
        });
        return { partNumber, url: await getSignedUrl(this.#client, command, { expiresIn }) };
      }),
    );
  }

  async listParts(key: string, uploadId: string): Promise<StoredPart[]> {
    const parts: StoredPart[] = [];
    let marker: string | undefined;
    do {
      const out = await this.#call('listParts', key, (Key) =>
        this.#client.send(
          new ListPartsCommand({ Bucket: this.bucket, Key, UploadId: uploadId, PartNumberMarker: marker }),
        ),
      );
      for (const p of out.Parts ?? []) {
        parts.push({ partNumber: p.PartNumber ?? 0, etag: p.ETag ?? '', size: p.Size ?? 0 });
      }
      marker = out.IsTruncated ? out.NextPartNumberMarker : undefined;
    } while (marker);
    return parts;
  }

  /** S3 itself refuses unknown parts, wrong ETags and small parts; the size comes from HeadObject. */
  async completeUpload(key: string, uploadId: string, parts: CompletedPart[]): Promise<{ size: number }> {
    const Parts = [...parts]
      .sort((a, b) => a.partNumber - b.partNumber)
      .map((p) => ({ PartNumber: p.partNumber, ETag: p.etag }));
    await this.#call('completeMultipartUpload', key, (Key) =>
      this.#client.send(
        new CompleteMultipartUploadCommand({
          Bucket: this.bucket,
          Key,
          UploadId: uploadId,
          MultipartUpload: { Parts },
        }),
      ),
    );
    const size = await this.size(key);
    if (size === undefined)
      throw new Error(`${this.location(key)} is missing right after its upload completed`);
    return { size };
  }

  /** Idempotent, like the local provider: an upload that is already gone counts as aborted. */
  async abortUpload(key: string, uploadId: string): Promise<void> {
    try {
      await this.#client.send(
        new AbortMultipartUploadCommand({ Bucket: this.bucket, Key: this.#check(key), UploadId: uploadId }),
      );
    } catch (err) {
      if (isNoSuchUpload(err)) return;
      throw s3Failure(err, { bucket: this.bucket, operation: 'abortMultipartUpload', key, upload: true });
    }
  }

  /** Streams the object into `localPath`; a partial file is removed when the transfer fails. */
  async download(key: string, localPath: string): Promise<void> {
    await this.#call('getObject', key, async (Key) => {
      const out = await this.#client.send(new GetObjectCommand({ Bucket: this.bucket, Key }));
      try {
        await pipeline(out.Body as Readable, createWriteStream(localPath));
      } catch (err) {
        await rm(localPath, { force: true });
        throw err;
      }
    });
  }

  /** PutObject from a file stream; ContentLength lets the SDK stream without buffering. */
  async upload(localPath: string, key: string, contentType: string): Promise<void> {
    const { size } = await stat(localPath);
    await this.#call('putObject', key, (Key) =>
      this.#client.send(
        new PutObjectCommand({
          Bucket: this.bucket,
          Key,
          Body: createReadStream(localPath),
          ContentLength: size,
          ContentType: contentType,
        }),
      ),
    );
  }

  async size(key: string): Promise<number | undefined> {
    try {
      const out = await this.#client.send(
        new HeadObjectCommand({ Bucket: this.bucket, Key: this.#check(key) }),
      );
      return out.ContentLength;
    } catch (err) {
      // HEAD answers carry no body, so a missing object is a bare 404 named `NotFound`.
      if (s3ErrorCode(err) === 'NotFound') return undefined;
      throw s3Failure(err, { bucket: this.bucket, operation: 'headObject', key });
    }
  }

  async signRead(key: string, expiresIn: number): Promise<string> {
    checkExpiry(expiresIn, MAX_SIGNED_READ_URL_SECONDS);
    const command = new GetObjectCommand({ Bucket: this.bucket, Key: this.#check(key) });
    return getSignedUrl(this.#client, command, { expiresIn });
  }

  location(key: string): string {
    return `s3://${this.bucket}/${key}`;
  }

  /** `prefix` is a folder (`<rid>/`): `abc` never reaches `abcd/...`. */
  async deletePrefix(prefix: string): Promise<void> {
    if (!isSafePrefix(prefix))
      throw new ApiError(400, 'invalid_key', `Unsafe storage prefix ${JSON.stringify(prefix)}`);
    await deleteUnderPrefix(this.#client, this.bucket, prefix.endsWith('/') ? prefix : `${prefix}/`);
  }

  async #call<T>(operation: string, key: string, send: (key: string) => Promise<T>): Promise<T> {
    const checked = this.#check(key);
    try {
      return await send(checked);
    } catch (err) {
      throw s3Failure(err, { bucket: this.bucket, operation, key, upload: UPLOAD_OPERATIONS.has(operation) });
    }
  }

  #check(key: string): string {
    if (!isSafeKey(key)) throw new ApiError(400, 'invalid_key', `Unsafe storage key ${JSON.stringify(key)}`);
    return key;
  }
}

const UPLOAD_OPERATIONS = new Set(['listParts', 'completeMultipartUpload']);

export function checkExpiry(seconds: number, max = MAX_SIGNED_URL_SECONDS): void {
  if (!Number.isInteger(seconds) || seconds < 1 || seconds > max) {
    throw new Error(`Signed URLs must expire within 1..${max} s, got ${seconds}`);
  }
}

/** The `aws` provider from the server config; credentials come from the SDK's chain (AWS_ACCESS_KEY_ID, ...). */
export function createS3Storage(config: ServerConfig): S3Store {
  const { bucket, region, endpoint } = config.storage;
  if (!bucket) throw new Error('RECORDING_STORAGE_BUCKET is required for the aws storage provider');
  if (config.partSize < S3_MIN_PART_SIZE) {
    throw new Error(`RECORDING_PART_SIZE must be at least ${S3_MIN_PART_SIZE} bytes (5 MiB) for S3`);
  }
  return new S3Store({
    client: createS3Client({ bucket, region, endpoint }),
    bucket,
    partSize: config.partSize,
  });
}
