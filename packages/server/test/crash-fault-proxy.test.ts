import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { readFile } from 'node:fs/promises';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { serve } from '@hono/node-server';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type FaultProxyOptions, startFaultProxy } from './support/fault-proxy.js';
import {
  md5,
  registerBody,
  removeDir,
  startServer,
  type TestServer,
  tokenFor,
} from './support/server-app.js';

const PART = 2048;
const PARTS = 30;
let server: TestServer;
let socket: Server;
let target: string;

beforeAll(async () => {
  server = await startServer();
  socket = serve({ fetch: server.callrec.app.fetch, port: 0, hostname: '127.0.0.1' }) as Server;
  await once(socket, 'listening');
  target = `http://127.0.0.1:${(socket.address() as AddressInfo).port}`;
});

afterAll(async () => {
  socket.close();
  await server.close();
  expect(server.logger.errors).toEqual([]);
  await removeDir(server.dir);
});

/** A client that retries 5xx with exponential backoff, as the SDK does; returns the ETag. */
async function putWithRetry(url: string, bytes: Uint8Array): Promise<string> {
  for (let attempt = 1; ; attempt++) {
    const res = await fetch(url, { method: 'PUT', body: bytes });
    const text = await res.text();
    if (res.ok) return res.headers.get('etag') ?? '';
    if (res.status < 500 || attempt === 8) throw new Error(`PUT failed: ${res.status} ${text}`);
    await new Promise((resolve) => setTimeout(resolve, 2 ** attempt));
  }
}

/** Uploads PARTS parts of random bytes through the proxy, one at a time, and completes the track. */
async function uploadThrough(id: string, options: Omit<FaultProxyOptions, 'target'>) {
  const proxy = await startFaultProxy({ target, ...options });
  const token = tokenFor(id);
  const track = `/v1/recordings/${id}/tracks/t1`;
  const bytes = randomBytes(PART * PARTS - 100); // the last part is shorter
  try {
    await server.request('POST', '/v1/recordings', { token, json: { roomId: 'r' } });
    await server.request('PUT', track, { token, json: registerBody() });
    const partNumbers = Array.from({ length: PARTS }, (_, i) => i + 1);
    const signed = await (
      await server.request('POST', `${track}/parts`, { token, json: { partNumbers } })
    ).json();
    const parts: { partNumber: number; etag: string }[] = [];
    for (const { partNumber, url } of signed.parts as { partNumber: number; url: string }[]) {
      const viaProxy = new URL(url);
      viaProxy.host = new URL(proxy.url).host; // local signatures cover the path, not the host
      const slice = bytes.subarray((partNumber - 1) * PART, partNumber * PART);
      parts.push({ partNumber, etag: await putWithRetry(viaProxy.toString(), slice) });
    }
    const listed = await (await server.request('GET', `${track}/parts`, { token })).json();
    const done = await server.request('POST', `${track}/complete`, {
      token,
      json: { parts, bytes: bytes.length, endedAt: Date.now() },
    });
    expect(done.status).toBe(200);
    const stored = await readFile(join(server.dir, id, 'tracks', 't1.webm'));
    return {
      proxy,
      bytes,
      parts,
      listed: listed.parts as { partNumber: number; etag: string; size: number }[],
      stored,
    };
  } finally {
    await proxy.close();
  }
}

const expectedParts = (bytes: Uint8Array) =>
  Array.from({ length: PARTS }, (_, i) => {
    const slice = bytes.subarray(i * PART, (i + 1) * PART);
    return { partNumber: i + 1, etag: `"${md5(slice)}"`, size: slice.length };
  });

it('fails a seeded 10 % of part PUTs without forwarding them; with retries every part is stored once, bytes equal', async () => {
  const { proxy, bytes, listed, stored } = await uploadThrough('rec-drop', { failRatio: 0.1, seed: 42 });
  expect(proxy.stats.failed).toBeGreaterThan(0);
  expect(proxy.stats.failed).toBeLessThan(PARTS / 2);
  expect(proxy.stats.matched).toBe(PARTS + proxy.stats.failed);
  // Each part reached storage exactly once: failed attempts never left the proxy.
  expect(proxy.stats.forwarded).toHaveLength(PARTS);
  expect(new Set(proxy.stats.forwarded).size).toBe(PARTS);
  expect(listed).toEqual(expectedParts(bytes));
  expect(stored.equals(bytes)).toBe(true);
});

it('loses the responses of stored parts; the re-sent parts replace them, bytes equal', async () => {
  const { proxy, bytes, listed, stored } = await uploadThrough('rec-lost', {
    failRatio: 0.2,
    seed: 7,
    mode: 'lose-response',
  });
  expect(proxy.stats.failed).toBeGreaterThan(0);
  // Every failed attempt reached storage too, so those parts were stored twice (or more).
  expect(proxy.stats.forwarded).toHaveLength(PARTS + proxy.stats.failed);
  expect(new Set(proxy.stats.forwarded).size).toBe(PARTS);
  expect(listed).toEqual(expectedParts(bytes));
  expect(stored.equals(bytes)).toBe(true);
});

it('forwards what it does not fail unchanged, and fails the same requests for the same seed', async () => {
  const decisions: number[][] = [];
  for (const _run of [1, 2]) {
    const proxy = await startFaultProxy({
      target,
      failRatio: 0.5,
      seed: 3,
      match: (req) => req.method === 'GET',
    });
    const statuses: number[] = [];
    for (let i = 0; i < 12; i++) {
      const res = await fetch(`${proxy.url}/healthz`);
      const body = (await res.json()) as { ok?: boolean; error?: { code: string } };
      statuses.push(res.status);
      if (res.ok) expect(body).toEqual({ ok: true });
      else expect(body.error?.code).toBe('injected_fault');
    }
    const preflight = await fetch(`${proxy.url}/v1/uploads/x/y/1`, {
      method: 'OPTIONS',
      headers: { origin: 'http://app.test', 'access-control-request-method': 'PUT' },
    });
    expect(preflight.headers.get('access-control-allow-methods') ?? '').toContain('PUT');
    await proxy.close();
    decisions.push(statuses);
  }
  expect(decisions[0]).toEqual(decisions[1]);
  expect(decisions[0]).toContain(503);
  expect(decisions[0]).toContain(200);
});
