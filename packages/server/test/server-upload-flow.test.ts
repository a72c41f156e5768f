import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { RegisterTrackResponse, SignPartsResponse, TimingStep, TrackInfo } from '@callrec/sdk/protocol';
import { Hono } from 'hono';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  md5,
  partBytes,
  registerBody,
  removeDir,
  startServer,
  type TestServer,
  tokenFor,
} from './support/server-app.js';

const ID = 'rec-flow';
const token = tokenFor(ID);
let server: TestServer;

beforeEach(async () => {
  server = await startServer();
  expect((await server.request('POST', '/v1/recordings', { token, json: { roomId: 'room-1' } })).status).toBe(
    201,
  );
});

afterEach(async () => {
  await server.close();
  expect(server.logger.errors).toEqual([]);
  await removeDir(server.dir);
});

async function register(trackId = 't1'): Promise<RegisterTrackResponse> {
  const res = await server.request('PUT', `/v1/recordings/${ID}/tracks/${trackId}`, {
    token,
    json: registerBody(),
  });
  expect(res.status).toBe(201);
  return res.json();
}

async function sign(trackId: string, partNumbers: number[]): Promise<SignPartsResponse> {
  const res = await server.request('POST', `/v1/recordings/${ID}/tracks/${trackId}/parts`, {
    token,
    json: { partNumbers },
  });
  expect(res.status).toBe(200);
  return res.json();
}

async function put(url: string, bytes: Uint8Array): Promise<Response> {
  return server.request('PUT', url, { body: bytes });
}

function complete(
  trackId: string,
  parts: { partNumber: number; etag: string }[],
  bytes: number,
  timing?: TimingStep[],
) {
  return server.request('POST', `/v1/recordings/${ID}/tracks/${trackId}/complete`, {
    token,
    json: { parts, bytes, endedAt: Date.now(), ...(timing ? { timing } : {}) },
  });
}

describe('local multipart upload over HTTP', () => {
  it('assembles parts PUT out of order, tolerates a re-sent part, and is idempotent once complete', async () => {
    const { upload, track } = await register();
    expect(track).toMatchObject({ id: 't1', status: 'recording', participantId: 'alice' });
    expect(upload).toEqual({ type: 'multipart', partSize: 1024, minPartSize: 1024, maxParts: 10_000 });
    const data = [partBytes(1, 1500), partBytes(2, 1024), partBytes(3, 300)];
    const { parts: signed, expiresAt } = await sign('t1', [1, 2, 3]);
    expect(expiresAt).toBeLessThanOrEqual(Date.now() + 900_000);
    expect(signed.map((p) => p.partNumber)).toEqual([1, 2, 3]);

    const etags: string[] = [];
    for (const i of [2, 0, 1]) {
      const res = await put(signed[i]?.url ?? '', data[i] as Uint8Array);
      expect(res.status).toBe(200);
      etags[i] = res.headers.get('etag') ?? '';
      expect(etags[i]).toBe(`"${md5(data[i] as Uint8Array)}"`);
    }
    // Re-sending part 2 (a retry after a lost response) replaces it atomically with the same bytes.
    expect((await put(signed[1]?.url ?? '', data[1] as Uint8Array)).headers.get('etag')).toBe(etags[1]);

    const parts = etags.map((etag, i) => ({ partNumber: i + 1, etag }));
    const total = data.reduce((n, d) => n + d.length, 0);
    // A received video track's timing steps are kept with it, for processing.
    const timing = [{ atMs: 2571, shiftMs: 152 }];
    const res = await complete('t1', [...parts].reverse(), total, timing);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({
      id: 't1',
      status: 'complete',
      bytes: total,
      timing,
    } satisfies Partial<TrackInfo>);

    const file = await readFile(join(server.dir, ID, 'tracks', 't1.webm'));
    expect(Buffer.compare(file, Buffer.concat(data))).toBe(0);
    expect(await readdir(join(server.dir, ID, '.uploads'))).toEqual([]);

    const again = await complete('t1', parts, total);
    expect(again.status).toBe(200);
    expect((await again.json()).status).toBe('complete');
    // The upload is gone, so its URLs no longer accept bytes.
    expect((await put(signed[0]?.url ?? '', data[0] as Uint8Array)).status).toBe(404);
  });

  it('refuses a too-small middle part, a wrong ETag, a missing part and a byte-count mismatch', async () => {
    await register();
    const { parts: signed } = await sign('t1', [1, 2, 3]);
    const data = [partBytes(1, 1024), partBytes(2, 500), partBytes(3, 100)];
    const parts = [];
    for (const [i, bytes] of data.entries()) {
      const res = await put(signed[i]?.url ?? '', bytes);
      parts.push({ partNumber: i + 1, etag: res.headers.get('etag') ?? '' });
    }
    const total = 1624;

    const small = await complete('t1', parts, total);
    expect(small.status).toBe(400);
    expect((await small.json()).error).toMatchObject({ code: 'part_too_small', details: { partNumber: 2 } });

    const wrongEtag = await complete('t1', [{ partNumber: 1, etag: '"0123"' }], 1024);
    expect(wrongEtag.status).toBe(409);
    expect((await wrongEtag.json()).error.code).toBe('part_mismatch');

    const missing = await complete('t1', [...parts, { partNumber: 4, etag: '"abc"' }], total);
    expect((await missing.json()).error.code).toBe('part_mismatch');

    // Parts 1 and 3 only: sizes are fine (3 is last) but the recorder produced more bytes.
    const mismatch = await complete('t1', [parts[0], parts[2]] as typeof parts, total);
    expect(mismatch.status).toBe(409);
    expect((await mismatch.json()).error).toMatchObject({
      code: 'bytes_mismatch',
      details: { stored: 1124 },
    });

    // Nothing was assembled, the parts are intact and the track can still complete correctly.
    const fixed = await put(signed[1]?.url ?? '', partBytes(2, 1024));
    parts[1] = { partNumber: 2, etag: fixed.headers.get('etag') ?? '' };
    const ok = await complete('t1', parts, 2148);
    expect(ok.status).toBe(200);
    const file = await readFile(join(server.dir, ID, 'tracks', 't1.webm'));
    expect(file.length).toBe(2148);
  });

  it('serves finished files through signed read URLs with Range support', async () => {
    await register();
    const { parts: signed } = await sign('t1', [1]);
    const bytes = partBytes(1, 2000);
    const etag = (await put(signed[0]?.url ?? '', bytes)).headers.get('etag') ?? '';
    expect((await complete('t1', [{ partNumber: 1, etag }], 2000)).status).toBe(200);

    const url = await server.callrec.storage.signRead(`${ID}/tracks/t1.webm`, 60);
    const full = await server.request('GET', url);
    expect(full.status).toBe(200);
    expect(full.headers.get('content-type')).toBe('video/webm');
    expect(full.headers.get('accept-ranges')).toBe('bytes');
    expect(Buffer.compare(Buffer.from(await full.arrayBuffer()), Buffer.from(bytes))).toBe(0);

    const ranged = await server.request('GET', url, { headers: { range: 'bytes=100-199' } });
    expect(ranged.status).toBe(206);
    expect(ranged.headers.get('content-range')).toBe('bytes 100-199/2000');
    expect(Buffer.from(await ranged.arrayBuffer())).toEqual(Buffer.from(bytes.slice(100, 200)));

    const suffix = await server.request('GET', url, { headers: { range: 'bytes=-10' } });
    expect(Buffer.from(await suffix.arrayBuffer())).toEqual(Buffer.from(bytes.slice(1990)));

    const beyond = await server.request('GET', url, { headers: { range: 'bytes=5000-' } });
    expect(beyond.status).toBe(416);
    expect(beyond.headers.get('content-range')).toBe('bytes */2000');

    const head = await server.request('HEAD', url);
    expect(head.status).toBe(200);
    expect(head.headers.get('content-length')).toBe('2000');
  });

  it('works when an embedder mounts the app under a base path', async () => {
    const mounted = await startServer({ env: { RECORDING_PUBLIC_URL: 'http://callrec.test/base' } });
    try {
      const parent = new Hono().route('/base', mounted.callrec.app);
      const call = (method: string, url: string, init: { json?: unknown; body?: Uint8Array } = {}) =>
        parent.request(url.startsWith('http') ? url : `/base${url}`, {
          method,
          headers: { authorization: `Bearer ${tokenFor('rec-m')}` },
          body: init.json === undefined ? init.body : JSON.stringify(init.json),
        });
      expect((await call('POST', '/v1/recordings', { json: { roomId: 'r' } })).status).toBe(201);
      await call('PUT', '/v1/recordings/rec-m/tracks/t1', { json: registerBody() });
      const signed = await (
        await call('POST', '/v1/recordings/rec-m/tracks/t1/parts', { json: { partNumbers: [1] } })
      ).json();
      const url: string = (signed as SignPartsResponse).parts[0]?.url ?? '';
      expect(url.startsWith('http://callrec.test/base/v1/uploads/rec-m/')).toBe(true);
      const bytes = partBytes(1, 100);
      const put = await call('PUT', url, { body: bytes });
      const parts = [{ partNumber: 1, etag: put.headers.get('etag') ?? '' }];
      expect(
        (
          await call('POST', '/v1/recordings/rec-m/tracks/t1/complete', {
            json: { parts, bytes: 100, endedAt: Date.now() },
          })
        ).status,
      ).toBe(200);
      const read = await call('GET', await mounted.callrec.storage.signRead('rec-m/tracks/t1.webm', 60));
      expect(Buffer.from(await read.arrayBuffer())).toEqual(Buffer.from(bytes));
    } finally {
      await mounted.close();
      await removeDir(mounted.dir);
    }
  });
});
