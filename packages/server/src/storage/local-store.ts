import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { copyFile, mkdir, open, readdir, rename, rm, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { CompletedPart } from '@callrec/sdk/protocol';
import { ID_PATTERN, S3_MAX_PARTS } from '@callrec/sdk/protocol';
import type { UrlSigner } from '../auth/signed-url.js';
import { ApiError, errnoCode } from '../errors.js';
import { writeAtomically } from '../fs/atomic-file.js';
import { isSafeKey, isSafePrefix } from './keys.js';
import { checkPartSizes, mismatch, sameEtag } from './parts.js';
import type { CreatedUpload, RecordingStorage, SignedPartUrl, StoredPart } from './storage.js';

export interface LocalStoreOptions {
  root: string;
  /** Base URL of this server, for the upload and file URLs it signs. */
  publicUrl: string;
  signer: UrlSigner;
  partSize: number;
  minPartSize: number;
  maxPartSize: number;
}

/**
 * Local disk, laid out like a bucket under `root`. Parts of an unfinished upload live in
 * `<root>/<rid>/.uploads/<uploadId>/<partNumber>`; the browser PUTs them to this server's
 * `/v1/uploads/...` endpoint, and reads finished files from `/v1/files/...`.
 */
export class LocalStore implements RecordingStorage {
  readonly provider = 'local' as const;
  readonly root: string;
  #options: LocalStoreOptions;

  constructor(options: LocalStoreOptions) {
    this.root = options.root;
    this.#options = options;
  }

  get maxPartSize(): number {
    return this.#options.maxPartSize;
  }

  async createUpload(key: string): Promise<CreatedUpload> {
    const uploadId = randomBytes(12).toString('hex');
    await mkdir(this.#uploadDir(recordingIdOf(this.#check(key)), uploadId), { recursive: true });
    const { partSize, minPartSize } = this.#options;
    return { uploadId, target: { type: 'multipart', partSize, minPartSize, maxParts: S3_MAX_PARTS } };
  }

  async signParts(
    key: string,
    uploadId: string,
    partNumbers: number[],
    expiresIn: number,
  ): Promise<SignedPartUrl[]> {
    const recordingId = recordingIdOf(this.#check(key));
    return partNumbers.map((partNumber) => {
      const path = `/v1/uploads/${recordingId}/${uploadId}/${partNumber}`;
      const { query } = this.#options.signer.sign('PUT', path, expiresIn);
      return { partNumber, url: `${this.#options.publicUrl}${path}${query}` };
    });
  }

  /** Stores one part from a request body, atomically replacing an earlier copy; returns its MD5 ETag. */
  async writePart(
    recordingId: string,
    uploadId: string,
    partNumber: number,
    body: ReadableStream<Uint8Array> | null,
  ): Promise<{ etag: string; size: number }> {
    const dir = this.#uploadDir(recordingId, uploadId);
    const tmp = join(dir, `${partNumber}.${randomBytes(6).toString('hex')}.tmp`);
    const hash = createHash('md5');
    let size = 0;
    try {
      const fh = await open(tmp, 'wx');
      try {
        for await (const chunk of readBody(body)) {
          size += chunk.byteLength;
          if (size > this.#options.maxPartSize) throw partTooLarge(this.#options.maxPartSize);
          hash.update(chunk);
          await fh.write(chunk);
        }
        await fh.sync();
      } finally {
        await fh.close();
      }
      await rename(tmp, join(dir, String(partNumber)));
    } catch (err) {
      await rm(tmp, { force: true });
      // ENOENT: the upload directory is gone (completed, aborted or deleted meanwhile).
      throw errnoCode(err) === 'ENOENT' ? uploadNotFound() : err;
    }
    return { etag: hash.digest('hex'), size };
  }

  async listParts(key: string, uploadId: string): Promise<StoredPart[]> {
    const dir = this.#uploadDir(recordingIdOf(this.#check(key)), uploadId);
    const names = await readdir(dir).catch((err: unknown) => {
      throw errnoCode(err) === 'ENOENT' ? uploadNotFound() : err;
    });
    const numbers = names.filter((n) => /^\d+$/.test(n)).map(Number);
    const parts: StoredPart[] = [];
    for (const partNumber of numbers.sort((a, b) => a - b)) {
      const file = join(dir, String(partNumber));
      const hash = createHash('md5');
      let size = 0;
      for await (const chunk of createReadStream(file) as AsyncIterable<Buffer>) {
        hash.update(chunk);
        size += chunk.byteLength;
      }
      parts.push({ partNumber, etag: hash.digest('hex'), size });
    }
    return parts;
  }

  /** Concatenates the parts by streaming, verifying each part's MD5 on the way, then drops the parts. */
  async completeUpload(key: string, uploadId: string, parts: CompletedPart[]): Promise<{ size: number }> {
    const dir = this.#uploadDir(recordingIdOf(this.#check(key)), uploadId);
    const sizes = await Promise.all(
      parts.map(async ({ partNumber }) => {
        const info = await stat(join(dir, String(partNumber))).catch((err: unknown) => {
          if (errnoCode(err) === 'ENOENT') throw mismatch(partNumber, 'Storage does not hold this part');
          throw err;
        });
        return { partNumber, size: info.size };
      }),
    );
    checkPartSizes(sizes, this.#options.minPartSize);
    const dest = this.location(key);
    await mkdir(dirname(dest), { recursive: true });
    const size = await writeAtomically(dest, async (fh) => {
      let total = 0;
      for (const { partNumber, etag } of parts) {
        const hash = createHash('md5');
        for await (const chunk of createReadStream(join(dir, String(partNumber))) as AsyncIterable<Buffer>) {
          hash.update(chunk);
          await fh.write(chunk);
          total += chunk.byteLength;
        }
        if (!sameEtag(hash.digest('hex'), etag))
          throw mismatch(partNumber, 'ETag differs from the stored part');
      }
      return total;
    });
    await rm(dir, { recursive: true, force: true });
    return { size };
  }

  async abortUpload(key: string, uploadId: string): Promise<void> {
    await rm(this.#uploadDir(recordingIdOf(this.#check(key)), uploadId), { recursive: true, force: true });
  }

  async download(key: string, localPath: string): Promise<void> {
    await copyFile(this.location(key), localPath);
  }

  async upload(localPath: string, key: string): Promise<void> {
    const dest = this.location(key);
    await mkdir(dirname(dest), { recursive: true });
    const tmp = `${dest}.${randomBytes(6).toString('hex')}.tmp`;
    try {
      await copyFile(localPath, tmp);
      await rename(tmp, dest);
    } catch (err) {
      await rm(tmp, { force: true });
      throw err;
    }
  }

  async size(key: string): Promise<number | undefined> {
    try {
      return (await stat(this.location(key))).size;
    } catch (err) {
      if (errnoCode(err) === 'ENOENT') return undefined;
      throw err;
    }
  }

  async signRead(key: string, expiresInSeconds: number): Promise<string> {
    const path = `/v1/files/${this.#check(key).split('/').map(encodeURIComponent).join('/')}`;
    return `${this.#options.publicUrl}${path}${this.#options.signer.sign('GET', path, expiresInSeconds).query}`;
  }

  location(key: string): string {
    return join(this.root, ...this.#check(key).split('/'));
  }

  async deletePrefix(prefix: string): Promise<void> {
    if (!isSafePrefix(prefix))
      throw new ApiError(400, 'invalid_key', `Unsafe storage prefix ${JSON.stringify(prefix)}`);
    // maxRetries: a part PUT racing with the delete can add a file while the directory is emptied.
    await rm(join(this.root, ...prefix.split('/')), { recursive: true, force: true, maxRetries: 3 });
  }

  #check(key: string): string {
    if (!isSafeKey(key)) throw new ApiError(400, 'invalid_key', `Unsafe storage key ${JSON.stringify(key)}`);
    return key;
  }

  #uploadDir(recordingId: string, uploadId: string): string {
    if (!ID_PATTERN.test(recordingId) || !/^[0-9a-f]{24}$/.test(uploadId)) throw uploadNotFound();
    return join(this.root, recordingId, '.uploads', uploadId);
  }
}

function recordingIdOf(key: string): string {
  return key.split('/')[0] ?? key;
}

/** A client that hangs up mid-part is a client problem (400), not a server failure. */
async function* readBody(body: ReadableStream<Uint8Array> | null): AsyncGenerator<Uint8Array> {
  if (!body) return;
  const reader = body.getReader();
  try {
    while (true) {
      let result: Awaited<ReturnType<typeof reader.read>>;
      try {
        result = await reader.read();
      } catch (err) {
        throw new ApiError(400, 'upload_interrupted', `Request body ended early: ${(err as Error).message}`);
      }
      if (result.done) return;
      yield result.value;
    }
  } finally {
    // Rejects only when the stream already errored, which the read above has reported.
    await reader.cancel().catch(() => undefined);
  }
}

function uploadNotFound(): ApiError {
  return new ApiError(404, 'upload_not_found', 'No such upload: it was completed, aborted or never started');
}

function partTooLarge(max: number): ApiError {
  return new ApiError(413, 'part_too_large', `A part may hold at most ${max} bytes`, { maxPartSize: max });
}
