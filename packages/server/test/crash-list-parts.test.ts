import type { UploadTarget } from '@callrec/sdk/protocol';
import { afterEach, expect, it } from 'vitest';
import { UrlSigner } from '../src/auth/signed-url.js';
import { LocalStore } from '../src/storage/local-store.js';
import type { CreatedUpload } from '../src/storage/storage.js';
import {
  makeDir,
  md5,
  PUBLIC_URL,
  partBytes,
  registerBody,
  removeDir,
  SECRET,
  startServer,
  type TestServer,
  tokenFor,
} from './support/server-app.js';

const ID = 'rec-list';
const TRACK = `/v1/recordings/${ID}/tracks/t1`;
const token = tokenFor(ID);
let server: TestServer | undefined;

afterEach(async () => {
  if (!server) return;
  await server.close();
  expect(server.logger.errors).toEqual([]);
  await removeDir(server.dir);
  server = undefined;
});

async function begin(s: TestServer) {
  expect((await s.request('POST', '/v1/recordings', { token, json: { roomId: 'r' } })).status).toBe(201);
  expect((await s.request('PUT', TRACK, { token, json: registerBody() })).status).toBe(201);
}

async function put(s: TestServer, partNumber: number, bytes: Uint8Array): Promise<string> {
  const signed = await (
    await s.request('POST', `${TRACK}/parts`, { token, json: { partNumbers: [partNumber] } })
  ).json();
  const res = await s.request('PUT', signed.parts[0].url, { body: bytes });
  expect(res.status).toBe(200);
  return res.headers.get('etag') ?? '';
}

const list = async (s: TestServer) => (await s.request('GET', `${TRACK}/parts`, { token })).json();

it('lists the stored parts in order with the ETags the PUTs returned; a re-sent part replaces the first', async () => {
  server = await startServer();
  await begin(server);
  expect(await list(server)).toEqual({ parts: [] });
  const second = await put(server, 2, partBytes(2, 700));
  await put(server, 1, partBytes(0, 1024));
  // The same part again, as after a lost response: it replaces the first copy.
  const first = await put(server, 1, partBytes(1, 1024));
  expect(first).toBe(`"${md5(partBytes(1, 1024))}"`);
  expect(await list(server)).toEqual({
    parts: [
      { partNumber: 1, etag: first, size: 1024 },
      { partNumber: 2, etag: second, size: 700 },
    ],
  });
  const parts = (await list(server)).parts.map(
    ({ partNumber, etag }: { partNumber: number; etag: string }) => ({
      partNumber,
      etag,
    }),
  );
  const done = await server.request('POST', `${TRACK}/complete`, {
    token,
    json: { parts, bytes: 1724, endedAt: Date.now() },
  });
  expect(done.status).toBe(200);
  const after = await server.request('GET', `${TRACK}/parts`, { token });
  expect({ status: after.status, code: (await after.json()).error.code }).toEqual({
    status: 409,
    code: 'track_not_active',
  });
});

it('answers 409 upload_not_multipart for a resumable (GCS-style) upload', async () => {
  const resumable: UploadTarget = {
    type: 'resumable',
    url: 'http://x.test/s',
    chunkSize: 1,
    chunkMultiple: 1,
  };
  class ResumableStore extends LocalStore {
    override async createUpload(key: string): Promise<CreatedUpload> {
      return { ...(await super.createUpload(key)), target: resumable };
    }
  }
  const dir = await makeDir();
  const signer = new UrlSigner(SECRET);
  const sizes = { partSize: 1024, minPartSize: 1024, maxPartSize: 1024 * 1024 };
  const storage = new ResumableStore({ root: dir, publicUrl: PUBLIC_URL, signer, ...sizes });
  server = await startServer({ dir, storage });
  await begin(server);
  const res = await server.request('GET', `${TRACK}/parts`, { token });
  expect({ status: res.status, code: (await res.json()).error.code }).toEqual({
    status: 409,
    code: 'upload_not_multipart',
  });
});
