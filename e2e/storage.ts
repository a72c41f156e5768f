import { createWriteStream } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { test as base } from '@playwright/test';
import type { StorageProviderName } from '../packages/sdk/src/protocol.js';
import { createS3Client } from '../packages/server/src/storage/s3-client.js';
import { localBackendEnv } from './demo.js';
import {
  LOCAL_PART_SIZE,
  outputDir,
  S3_PART_SIZE,
  S3_SERVER_URL,
  S3_VIDEO_BITS_PER_SECOND,
  type S3Env,
  SERVER_URL,
  s3Env,
} from './env.js';
import {
  GetObjectCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
} from './s3-sdk.js';

export type StorageName = 'local' | 's3';

/** One part PUT by the browser: `upload` tells a track's upload apart from the others. */
export interface PartUpload {
  upload: string;
  partNumber: number;
}

/**
 * Where the recordings of one e2e project go, and how the test looks at them without the server:
 * straight on disk, or through its own S3 client.
 */
export interface StorageUnderTest {
  readonly name: StorageName;
  /** The demo backend that stores there. */
  readonly serverUrl: string;
  /** The demo page, wired to that backend. */
  readonly pagePath: string;
  /** The part size the backend tells the SDK to upload. */
  readonly partSize: number;
  /**
   * Tracks (`<participant>-<kind>`) that fill more than one part, so they upload while the call
   * runs; the others go up in one last part after stop.
   */
  readonly multipartTracks: readonly string[];
  /** What RecordingInfo.storage and the `recordingUploaded` event must say. */
  readonly expected: { provider: StorageProviderName; bucket?: string };
  /** What the server must report as an output's `location`. */
  location(key: string): string;
  /**
   * The part `url` uploads to this storage, or undefined when it is no part upload to it.
   * `origin`: where parts go when not to this project's usual place (a test's own backend on
   * local disk, a proxy in front of the bucket).
   */
  partOf(url: string, origin?: string): PartUpload | undefined;
  /** Bytes stored under `key`, asked of the storage itself. */
  size(key: string): Promise<number>;
  /** A local file holding the object's bytes (downloaded into `dir` from a bucket). */
  file(key: string, dir: string): Promise<string>;
  /**
   * The object's bytes. `root`: the RECORDING_OUTPUT_DIR of a backend started with
   * `backendEnv(root)` (local disk; every backend shares the bucket).
   */
  read(key: string, root?: string): Promise<Buffer>;
  /**
   * Env for a demo backend of a test's own that stores here, its state (and, on local disk, its
   * recordings) in `dir`. `endpoint` replaces the S3 endpoint (a fault proxy in front of it).
   */
  backendEnv(dir: string, options?: { endpoint?: string }): Record<string, string>;
  /** The demo page wired to the backend at `serverUrl`, recording as this project records. */
  pageFor(serverUrl: string): string;
  /** Everything of the recording still in storage (objects, unfinished uploads) or in the server's state. */
  leftovers(recordingId: string): Promise<string[]>;
}

class LocalDisk implements StorageUnderTest {
  readonly name = 'local';
  readonly serverUrl = SERVER_URL;
  readonly pagePath = '/';
  readonly partSize = LOCAL_PART_SIZE;
  readonly multipartTracks = ['local-audio', 'local-video', 'remote-audio', 'remote-video'];
  readonly expected = { provider: 'local' as const };
  readonly #root = outputDir('local');

  location(key: string): string {
    return join(this.#root, ...key.split('/'));
  }

  /** `PUT <server>/v1/uploads/<rid>/<uploadId>/<partNumber>?expires=&signature=` */
  partOf(url: string, partsOrigin = this.serverUrl): PartUpload | undefined {
    const { origin, pathname } = new URL(url);
    const match = /^\/v1\/uploads\/([^/]+\/[^/]+)\/(\d+)$/.exec(pathname);
    if (origin !== partsOrigin || !match?.[1]) return undefined;
    return { upload: match[1], partNumber: Number(match[2]) };
  }

  async size(key: string): Promise<number> {
    return (await stat(this.location(key))).size;
  }

  async file(key: string): Promise<string> {
    return this.location(key);
  }

  read(key: string, root = this.#root): Promise<Buffer> {
    return readFile(join(root, ...key.split('/')));
  }

  backendEnv(dir: string): Record<string, string> {
    return localBackendEnv(dir);
  }

  pageFor(serverUrl: string): string {
    return `/?server=${encodeURIComponent(serverUrl)}`;
  }

  async leftovers(recordingId: string): Promise<string[]> {
    const paths = await readdir(this.#root, { recursive: true });
    return paths.filter((p) => p.includes(recordingId));
  }
}

class S3Bucket implements StorageUnderTest {
  readonly name = 's3';
  readonly serverUrl = S3_SERVER_URL;
  readonly pagePath = this.pageFor(S3_SERVER_URL);
  readonly partSize = S3_PART_SIZE;
  // The remote video is a WebRTC-decoded canvas drawing: under 1 Mbit/s whatever bitrate is asked.
  readonly multipartTracks = ['local-video'];
  readonly expected: { provider: 'aws'; bucket: string };
  readonly #env: S3Env;
  readonly #client: ReturnType<typeof createS3Client>;
  readonly #stateRoot = outputDir('s3');

  constructor(env: S3Env) {
    this.#env = env;
    this.#client = createS3Client(env);
    this.expected = { provider: 'aws', bucket: env.bucket };
  }

  get #bucket(): string {
    return this.#env.bucket;
  }

  location(key: string): string {
    return `s3://${this.#bucket}/${key}`;
  }

  /** A presigned UploadPart: `PUT <endpoint>/<bucket>/<key>?partNumber=N&uploadId=U&X-Amz-...` (path style). */
  partOf(url: string, partsOrigin = new URL(this.#env.endpoint).origin): PartUpload | undefined {
    const { origin, pathname, searchParams } = new URL(url);
    const upload = searchParams.get('uploadId');
    const partNumber = searchParams.get('partNumber');
    if (origin !== partsOrigin || !pathname.startsWith(`/${this.#bucket}/`)) return undefined;
    if (!upload || !partNumber) return undefined;
    return { upload, partNumber: Number(partNumber) };
  }

  async size(key: string): Promise<number> {
    const head = await this.#client.send(new HeadObjectCommand({ Bucket: this.#bucket, Key: key }));
    return head.ContentLength ?? Number.NaN;
  }

  async file(key: string, dir: string): Promise<string> {
    const path = join(dir, key.replaceAll('/', '_'));
    const object = await this.#client.send(new GetObjectCommand({ Bucket: this.#bucket, Key: key }));
    await pipeline(object.Body as Readable, createWriteStream(path));
    return path;
  }

  async read(key: string): Promise<Buffer> {
    const object = await this.#client.send(new GetObjectCommand({ Bucket: this.#bucket, Key: key }));
    return Buffer.from(
      await (object.Body as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray(),
    );
  }

  backendEnv(dir: string, options: { endpoint?: string } = {}): Record<string, string> {
    return {
      // Only the server's state: the recordings themselves go to the bucket.
      RECORDING_OUTPUT_DIR: dir,
      RECORDING_STORAGE_PROVIDER: 'aws',
      RECORDING_STORAGE_BUCKET: this.#bucket,
      RECORDING_STORAGE_REGION: this.#env.region,
      RECORDING_STORAGE_ENDPOINT: options.endpoint ?? this.#env.endpoint,
      AWS_ACCESS_KEY_ID: this.#env.credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: this.#env.credentials.secretAccessKey,
      RECORDING_PART_SIZE: String(S3_PART_SIZE),
    };
  }

  // Video at a high bitrate: the video tracks then fill more than one 5 MiB part in a short call.
  pageFor(serverUrl: string): string {
    return `/?server=${encodeURIComponent(serverUrl)}&videoBitsPerSecond=${S3_VIDEO_BITS_PER_SECOND}`;
  }

  async leftovers(recordingId: string): Promise<string[]> {
    const prefix = `${recordingId}/`;
    const objects = await this.#client.send(
      new ListObjectsV2Command({ Bucket: this.#bucket, Prefix: prefix }),
    );
    const uploads = await this.#client.send(
      new ListMultipartUploadsCommand({ Bucket: this.#bucket, Prefix: prefix }),
    );
    const state = await readdir(this.#stateRoot, { recursive: true });
    return [
      ...(objects.Contents ?? []).map((o) => `object ${o.Key}`),
      ...(uploads.Uploads ?? []).map((u) => `unfinished upload ${u.Key} ${u.UploadId}`),
      ...state.filter((p) => p.includes(recordingId)).map((p) => `state ${p}`),
    ];
  }
}

/** `storage` picks the project's storage (playwright.config.ts); `store` is the test's view of it. */
export const test = base.extend<{ storage: StorageName; store: StorageUnderTest }>({
  storage: ['local', { option: true }],
  store: async ({ storage }, use) => {
    const s3 = storage === 's3' ? s3Env() : undefined;
    if (storage === 's3' && !s3) throw new Error('the s3 project runs only with an S3 server (see env.ts)');
    await use(s3 ? new S3Bucket(s3) : new LocalDisk());
  },
});
