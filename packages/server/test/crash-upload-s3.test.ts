import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { S3Client } from '@aws-sdk/client-s3';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { S3_MIN_PART_SIZE, S3Store } from '../src/storage/s3-store.js';
import { ApiClient, putPart } from './support/api-client.js';
import { createTestBucket, describeS3, dropTestBucket } from './support/s3-test-server.js';
import {
  devToken,
  freePort,
  SPAWNED_TIMEOUT,
  type SpawnedServer,
  spawnServer,
} from './support/spawned-server.js';

describeS3('kill -9 with the S3 provider (real RGW)', (settings) => {
  let client: S3Client;
  let store: S3Store;
  let dir: string;
  let port: number;
  let server: SpawnedServer | undefined;

  beforeAll(async () => {
    const created = await createTestBucket(settings);
    client = created.client;
    store = new S3Store({ client, bucket: created.bucket, partSize: S3_MIN_PART_SIZE });
    dir = await mkdtemp(join(tmpdir(), 'callrec-crash-s3-'));
    port = await freePort();
  });

  afterEach(async () => {
    await server?.kill();
    server = undefined;
  });

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
    if (store) await dropTestBucket(client, store.bucket);
  });

  async function start(crashAt?: string): Promise<SpawnedServer> {
    await server?.kill();
    server = await spawnServer({
      dir,
      port,
      env: {
        RECORDING_STORAGE_PROVIDER: 'aws',
        RECORDING_STORAGE_BUCKET: store.bucket,
        RECORDING_STORAGE_ENDPOINT: settings.endpoint,
        RECORDING_STORAGE_REGION: settings.region,
        AWS_ACCESS_KEY_ID: settings.credentials.accessKeyId,
        AWS_SECRET_ACCESS_KEY: settings.credentials.secretAccessKey,
        RECORDING_PART_SIZE: String(S3_MIN_PART_SIZE),
        ...(crashAt ? { CALLREC_TEST_CRASH_AT: crashAt } : {}),
      },
    });
    return server;
  }

  it(
    'keeps parts across a kill between parts and finishes completions killed before and after S3 assembled',
    async () => {
      const id = 'crash-s3';
      const bodies = [randomBytes(S3_MIN_PART_SIZE), randomBytes(70_000)];
      const bytes = Buffer.concat(bodies);
      await start();
      const api = new ApiClient(server?.url ?? '', id, devToken(id));
      await api.create();
      await api.register('v', 'video');
      const urls = await api.sign('v', [1, 2]);
      const first = await putPart(urls.get(1) ?? '', bodies[0] as Buffer);

      await start('complete:after-intent'); // kill -9 between the parts
      expect((await api.listParts('v')).parts).toEqual([
        { partNumber: 1, etag: first, size: S3_MIN_PART_SIZE },
      ]);
      const second = await putPart(urls.get(2) ?? '', bodies[1] as Buffer);
      const parts = [
        { partNumber: 1, etag: first },
        { partNumber: 2, etag: second },
      ];
      await expect(api.complete('v', parts, bytes.length)).rejects.toThrow();
      expect(await server?.exited).toBe('SIGKILL');

      await start('complete:after-storage');
      expect((await api.listParts('v')).parts.map((p) => p.etag)).toEqual([first, second]);
      await expect(api.complete('v', parts, bytes.length)).rejects.toThrow();
      expect(await server?.exited).toBe('SIGKILL');

      await start();
      expect((await api.get()).tracks[0]).toMatchObject({ status: 'complete', bytes: bytes.length });
      expect(await api.complete('v', parts, bytes.length)).toMatchObject({ status: 'complete' });
      const copy = join(dir, 'copy.webm');
      await store.download(`${id}/tracks/v.webm`, copy);
      expect((await readFile(copy)).equals(bytes)).toBe(true);
    },
    SPAWNED_TIMEOUT,
  );
});
