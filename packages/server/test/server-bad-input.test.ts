import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  adminToken,
  partBytes,
  registerBody,
  removeDir,
  snapshot,
  startServer,
  type TestResponse,
  type TestServer,
  tokenFor,
} from './support/server-app.js';

/** Recording A takes the bad requests; recording B must come out byte-for-byte unchanged. */
const A = 'rec-a';
const B = 'rec-b';
const MISSING = 'rec-missing';
/** Shifts the server clock; tokens are minted on the real clock, so the server clock must follow it. */
let skew = 0;
let server: TestServer;
let bSnapshot: Record<string, string>;
let partUrl: string;

async function call(method: string, path: string, token?: string, json?: unknown) {
  return server.request(method, path, { token, json });
}

async function expectError(res: TestResponse, status: number, code: string) {
  const body = await res.json();
  expect({ status: res.status, code: body.error?.code }).toEqual({ status, code });
  expect(typeof body.error.message).toBe('string');
}

beforeAll(async () => {
  server = await startServer({ now: () => Date.now() + skew });
  for (const id of [A, B]) {
    await call('POST', '/v1/recordings', tokenFor(id), { roomId: 'room' });
    await call('PUT', `/v1/recordings/${id}/tracks/t1`, tokenFor(id), registerBody());
  }
  // B: one complete track on disk, so "untouched" covers real media bytes.
  const signB = await (
    await call('POST', `/v1/recordings/${B}/tracks/t1/parts`, tokenFor(B), { partNumbers: [1] })
  ).json();
  const put = await server.request('PUT', signB.parts[0].url, { body: partBytes(1, 2000) });
  const parts = [{ partNumber: 1, etag: put.headers.get('etag') }];
  await call('POST', `/v1/recordings/${B}/tracks/t1/complete`, tokenFor(B), {
    parts,
    bytes: 2000,
    endedAt: Date.now(),
  });
  const signA = await (
    await call('POST', `/v1/recordings/${A}/tracks/t1/parts`, tokenFor(A), { partNumbers: [1] })
  ).json();
  partUrl = signA.parts[0].url;
  bSnapshot = await snapshot(server.dir, B);
  expect(Object.keys(bSnapshot)).toContain(`${B}/tracks/t1.webm`);
});

afterEach(async () => {
  expect(await snapshot(server.dir, B)).toEqual(bSnapshot);
  expect(server.logger.errors).toEqual([]);
});

afterAll(async () => {
  await server.close();
  await removeDir(server.dir);
});

interface Endpoint {
  method: string;
  path: (id: string) => string;
  body?: unknown;
  /** Bodies that must be refused with 400 invalid_body. */
  bad?: unknown[];
  admin?: boolean;
}

const track = (id: string) => `/v1/recordings/${id}/tracks/t1`;
const endpoints: Record<string, Endpoint> = {
  'GET recording': { method: 'GET', path: (id) => `/v1/recordings/${id}` },
  'GET events': { method: 'GET', path: (id) => `/v1/recordings/${id}/events` },
  'POST stop': {
    method: 'POST',
    path: (id) => `/v1/recordings/${id}/stop`,
    body: {},
    bad: ['{', '[]', { stoppedAt: 'x' }],
  },
  'DELETE recording': { method: 'DELETE', path: (id) => `/v1/recordings/${id}` },
  'PUT track': {
    method: 'PUT',
    path: (id) => `${track(id)}x`,
    body: registerBody(),
    bad: [
      '{',
      'null',
      {},
      { ...registerBody(), kind: 'screen' },
      { ...registerBody(), participantId: '../x' },
    ],
  },
  'POST parts': {
    method: 'POST',
    path: (id) => `${track(id)}/parts`,
    body: { partNumbers: [2] },
    bad: [
      'nope',
      { partNumbers: [] },
      { partNumbers: [0] },
      { partNumbers: [1, 1] },
      { partNumbers: [10_001] },
    ],
  },
  'GET parts': { method: 'GET', path: (id) => `${track(id)}/parts` },
  'POST complete': {
    method: 'POST',
    path: (id) => `${track(id)}/complete`,
    body: { parts: [{ partNumber: 1, etag: '"x"' }], bytes: 1, endedAt: 1 },
    bad: [
      '{"parts":',
      { parts: [], bytes: 0, endedAt: 1 },
      { parts: [{ partNumber: 1 }], bytes: 1, endedAt: 1 },
      ...[
        [
          { atMs: 2, shiftMs: 1 },
          { atMs: 1, shiftMs: 2 },
        ],
        [{ atMs: -1, shiftMs: 0 }],
        [{ atMs: 0, shiftMs: 20_000 }],
        [{ atMs: 0 }],
        Array.from({ length: 201 }, (_, i) => ({ atMs: i, shiftMs: 1 })),
      ].map((timing) => ({ parts: [{ partNumber: 1, etag: '"x"' }], bytes: 1, endedAt: 1, timing })),
    ],
  },
  'POST fail': {
    method: 'POST',
    path: (id) => `${track(id)}/fail`,
    body: { code: 'camera_lost', message: 'gone' },
    bad: ['', { code: 'Not Snake', message: 'x' }, { code: 'x' }],
  },
};

describe.each(Object.entries(endpoints))('%s', (_name, endpoint) => {
  it('needs a token, and refuses an expired one or one for another recording', async () => {
    const { method, path, body } = endpoint;
    await expectError(await call(method, path(A), undefined, body), 401, 'missing_token');
    await expectError(await call(method, path(A), tokenFor(A, -1), body), 401, 'token_expired');
    await expectError(
      await call(method, path(A), `${tokenFor(A).slice(0, -3)}AAA`, body),
      401,
      'invalid_token',
    );
    await expectError(await call(method, path(A), tokenFor(B), body), 403, 'forbidden');
    await expectError(await call(method, path(B), tokenFor(A), body), 403, 'forbidden');
  });

  it('answers 404 for an unknown recording', async () => {
    const { method, path, body } = endpoint;
    await expectError(await call(method, path(MISSING), tokenFor(MISSING), body), 404, 'recording_not_found');
    await expectError(await call(method, path(MISSING), adminToken(), body), 404, 'recording_not_found');
  });

  it('answers 400 invalid_id for path-unsafe ids', async () => {
    const { method, path, body } = endpoint;
    for (const id of ['..%2Frec-b', '..%2F..%2Frec-b', 'a%00b', 'x'.repeat(65), 'rec%20b', '.', '%2e%2e']) {
      const res = await call(method, path(id), adminToken(), body);
      if (id === '.' || id === '%2e%2e') {
        expect(res.status).toBeGreaterThanOrEqual(400); // normalized away by URL parsing: another route
        expect(res.status).toBeLessThan(500);
      } else {
        await expectError(res, 400, 'invalid_id');
      }
    }
  });

  // GET and DELETE routes take no body.
  if (endpoint.bad) {
    it('answers 400 invalid_body for malformed bodies', async () => {
      for (const bad of endpoint.bad ?? []) {
        await expectError(
          await call(endpoint.method, endpoint.path(A), tokenFor(A), bad),
          400,
          'invalid_body',
        );
      }
      const huge = JSON.stringify({ pad: 'x'.repeat(1024 * 1024 + 1) });
      await expectError(
        await call(endpoint.method, endpoint.path(A), tokenFor(A), huge),
        413,
        'body_too_large',
      );
    });
  }
});

describe('track-level and admin routes', () => {
  it('answers 400 time_out_of_range for a track start or end hours away from the recording', async () => {
    const hours = (n: number) => n * 3_600_000;
    for (const startedAt of [Date.now() - hours(7), Date.now() + hours(24)]) {
      const res = await call('PUT', `/v1/recordings/${A}/tracks/far`, tokenFor(A), {
        ...registerBody(),
        startedAt,
      });
      await expectError(res, 400, 'time_out_of_range');
    }
    await expectError(
      await call('POST', `/v1/recordings/${A}/tracks/t1/complete`, tokenFor(A), {
        parts: [{ partNumber: 1, etag: 'x' }],
        bytes: 1,
        endedAt: 1,
      }),
      400,
      'time_out_of_range',
    );
    // Nothing was registered for the refused starts.
    await expectError(
      await call('GET', `/v1/recordings/${A}/tracks/far/parts`, tokenFor(A)),
      404,
      'track_not_found',
    );
  });

  it('answers 400 timing_not_video for timing steps on an audio track', async () => {
    await call('PUT', `/v1/recordings/${A}/tracks/mic`, tokenFor(A), registerBody('alice', 'audio'));
    const res = await call('POST', `/v1/recordings/${A}/tracks/mic/complete`, tokenFor(A), {
      parts: [{ partNumber: 1, etag: 'x' }],
      bytes: 1,
      endedAt: Date.now(),
      timing: [{ atMs: 1000, shiftMs: 150 }],
    });
    await expectError(res, 400, 'timing_not_video');
  });

  it('answers 404 track_not_found for an unknown track', async () => {
    for (const [suffix, body] of [
      ['parts', { partNumbers: [1] }],
      ['complete', { parts: [{ partNumber: 1, etag: 'x' }], bytes: 1, endedAt: 1 }],
      ['fail', { code: 'x', message: 'y' }],
    ] as const) {
      const res = await call('POST', `/v1/recordings/${A}/tracks/nope/${suffix}`, tokenFor(A), body);
      await expectError(res, 404, 'track_not_found');
    }
    await expectError(
      await call('GET', `/v1/recordings/${A}/tracks/nope/parts`, tokenFor(A)),
      404,
      'track_not_found',
    );
    await expectError(
      await call('GET', `/v1/recordings/${A}/tracks/..%2F${B}/parts`, tokenFor(A)),
      400,
      'invalid_id',
    );
    const traversal = await call('POST', `/v1/recordings/${A}/tracks/..%2F..%2F${B}/parts`, tokenFor(A), {
      partNumbers: [1],
    });
    await expectError(traversal, 400, 'invalid_id');
  });

  it('keeps list and cleanup for admins', async () => {
    await expectError(await call('GET', '/v1/recordings', tokenFor(A)), 403, 'forbidden');
    await expectError(await call('GET', '/v1/recordings', adminToken(-1)), 401, 'token_expired');
    await expectError(await call('POST', '/v1/cleanup', tokenFor(A), { olderThanMs: 0 }), 403, 'forbidden');
    await expectError(
      await call('POST', '/v1/cleanup', adminToken(), { olderThanMs: -1 }),
      400,
      'invalid_body',
    );
    await expectError(await call('POST', '/v1/cleanup', adminToken(), '{'), 400, 'invalid_body');
  });

  it('guards recording creation', async () => {
    await expectError(await call('POST', '/v1/recordings', undefined, { roomId: 'r' }), 401, 'missing_token');
    await expectError(
      await call('POST', '/v1/recordings', tokenFor('new', -1), { roomId: 'r' }),
      401,
      'token_expired',
    );
    await expectError(await call('POST', '/v1/recordings', adminToken(), { roomId: 'r' }), 403, 'forbidden');
    await expectError(
      await call('POST', '/v1/recordings', tokenFor('new'), { roomId: '' }),
      400,
      'invalid_body',
    );
    await expectError(await call('POST', '/v1/recordings', tokenFor('new'), '{'), 400, 'invalid_body');
    const mp4vp8 = { roomId: 'r', format: 'mp4', videoCodec: 'vp8' };
    await expectError(
      await call('POST', '/v1/recordings', tokenFor('new'), mp4vp8),
      400,
      'unsupported_codecs',
    );
    await expectError(
      await call('POST', '/v1/recordings', tokenFor(B), { roomId: 'other' }),
      409,
      'recording_exists',
    );
    expect((await call('POST', '/v1/recordings', tokenFor(B), { roomId: 'room' })).status).toBe(200);
    await expectError(await call('GET', '/v1/nothing-here', adminToken()), 404, 'not_found');
  });
});

describe('upload and file URLs', () => {
  const uploadDir = async () => {
    const uploads = join(server.dir, A, '.uploads');
    const [id] = await readdir(uploads);
    return join(uploads, id ?? '');
  };

  it('refuses tampered URLs with 403 and unsafe ids with 400', async () => {
    const url = new URL(partUrl);
    const tamper = (fn: (u: URL) => void) => {
      const copy = new URL(url);
      fn(copy);
      return copy.toString();
    };
    const put = (u: string) => server.request('PUT', u, { body: partBytes(1, 10) });
    await expectError(
      await put(tamper((u) => u.searchParams.set('signature', '0'.repeat(64)))),
      403,
      'signature_invalid',
    );
    await expectError(await put(tamper((u) => u.searchParams.delete('signature'))), 403, 'signature_invalid');
    await expectError(
      await put(tamper((u) => u.searchParams.set('expires', '99999999999'))),
      403,
      'signature_invalid',
    );
    await expectError(
      await put(tamper((u) => (u.pathname = u.pathname.replace(/1$/, '2')))),
      403,
      'signature_invalid',
    );
    await expectError(
      await put(tamper((u) => (u.pathname = u.pathname.replace(A, B)))),
      403,
      'signature_invalid',
    );
    await expectError(
      await put(tamper((u) => (u.pathname = u.pathname.replace(A, `..%2F${B}`)))),
      400,
      'invalid_id',
    );
    await expectError(
      await put(tamper((u) => (u.pathname = u.pathname.replace(/1$/, '0')))),
      400,
      'invalid_part_number',
    );
    expect(await readdir(await uploadDir())).toEqual([]);
  });

  it('refuses a part over 64 MiB with 413 and keeps nothing of it', async () => {
    let sent = 0;
    const chunk = new Uint8Array(1024 * 1024);
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent >= 65 * 1024 * 1024) return controller.close();
        sent += chunk.length;
        controller.enqueue(chunk);
      },
    });
    const res = await server.callrec.app.request(partUrl, {
      method: 'PUT',
      body,
      duplex: 'half',
    } as RequestInit);
    await expectError(res, 413, 'part_too_large');
    expect(await readdir(await uploadDir())).toEqual([]);
    const declared = await server.request('PUT', partUrl, {
      body: 'x',
      headers: { 'content-length': String(2 ** 27) },
    });
    await expectError(declared, 413, 'part_too_large');
  });

  it('refuses file paths outside the signed key', async () => {
    for (const path of [
      `/v1/files/${B}/..%2F.state%2F${B}.json`,
      '/v1/files/.state/rec-b.json',
      '/v1/files/',
    ]) {
      await expectError(await server.request('GET', `${path}?expires=1&signature=00`), 400, 'invalid_key');
    }
    const url = new URL(await server.callrec.storage.signRead(`${B}/tracks/t1.webm`, 60));
    await expectError(await server.request('GET', url.toString().replace(B, A)), 403, 'signature_invalid');
    await expectError(await server.request('GET', `${url.origin}${url.pathname}`), 403, 'signature_invalid');
  });

  it('refuses an expired upload URL with 403 url_expired', async () => {
    skew += 901_000;
    try {
      await expectError(await server.request('PUT', partUrl, { body: partBytes(1, 10) }), 403, 'url_expired');
    } finally {
      skew -= 901_000;
    }
  });
});
