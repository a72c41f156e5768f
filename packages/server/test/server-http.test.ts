import type { Server } from 'node:http';
import { type AddressInfo, createServer } from 'node:net';
import { serve } from '@hono/node-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  partBytes,
  registerBody,
  removeDir,
  startServer,
  type TestServer,
  tokenFor,
} from './support/server-app.js';
import { readEvents } from './support/sse.js';

/** The same app behind a real socket (@hono/node-server), as main.ts runs it. */
let server: TestServer;
let base: string;
let close: () => Promise<void>;

async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

beforeAll(async () => {
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  server = await startServer({ env: { RECORDING_PUBLIC_URL: base } });
  const http = serve({ fetch: server.callrec.app.fetch, port, hostname: '127.0.0.1' }) as Server;
  await new Promise((resolve) => http.once('listening', resolve));
  close = () =>
    new Promise((resolve) => {
      http.close(() => resolve());
      http.closeAllConnections(); // fetch keeps idle sockets alive for seconds
    });
});

afterAll(async () => {
  await server.callrec.close();
  await close();
  expect(server.logger.errors).toEqual([]);
  await removeDir(server.dir);
});

describe('over a real socket', () => {
  it('answers health checks and CORS preflights for browser uploads', async () => {
    expect(await (await fetch(`${base}/healthz`)).json()).toEqual({ ok: true });
    const preflight = await fetch(`${base}/v1/uploads/x/y/1`, {
      method: 'OPTIONS',
      headers: {
        origin: 'http://localhost:5173',
        'access-control-request-method': 'PUT',
        'access-control-request-headers': 'content-type,content-range',
      },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-methods')).toMatch(/PUT/);
    expect(preflight.headers.get('access-control-allow-methods')).toMatch(/DELETE/);
    expect(preflight.headers.get('access-control-allow-headers')?.toLowerCase()).toMatch(/content-range/);
    const error = await fetch(`${base}/v1/recordings/x`, { headers: { origin: 'http://localhost:5173' } });
    expect(error.status).toBe(401);
    expect(error.headers.get('access-control-allow-origin')).toBe('*');
  });

  it('takes a part PUT from fetch and exposes its ETag to browsers', async () => {
    const token = tokenFor('rec-http');
    const auth = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
    await fetch(`${base}/v1/recordings`, {
      method: 'POST',
      headers: auth,
      body: JSON.stringify({ roomId: 'r' }),
    });
    await fetch(`${base}/v1/recordings/rec-http/tracks/t1`, {
      method: 'PUT',
      headers: auth,
      body: JSON.stringify(registerBody()),
    });
    const sign = await fetch(`${base}/v1/recordings/rec-http/tracks/t1/parts`, {
      method: 'POST',
      headers: auth,
      body: JSON.stringify({ partNumbers: [1] }),
    });
    const { parts } = (await sign.json()) as { parts: { url: string }[] };
    expect(parts[0]?.url.startsWith(`${base}/v1/uploads/rec-http/`)).toBe(true);
    const put = await fetch(parts[0]?.url ?? '', {
      method: 'PUT',
      body: partBytes(1, 5000),
      headers: { origin: 'http://localhost:5173' },
    });
    expect(put.status).toBe(200);
    expect(put.headers.get('etag')).toMatch(/^"[0-9a-f]{32}"$/);
    expect(put.headers.get('access-control-expose-headers')).toMatch(/ETag/);
  });

  it('streams events to a client that can disconnect at any time', async () => {
    const token = tokenFor('rec-sse');
    await fetch(`${base}/v1/recordings`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}` },
      body: JSON.stringify({ roomId: 'r' }),
    });
    for (let i = 0; i < 3; i++) {
      const res = await fetch(`${base}/v1/recordings/rec-sse/events?token=${token}`);
      expect(res.headers.get('content-type')).toMatch(/text\/event-stream/);
      const events = await readEvents(res, (m) => m.length >= 1);
      expect(events[0]?.event).toBe('recordingStarted');
    }
    // Each disconnect ended its stream on the server: no subscription is left behind.
    const deadline = Date.now() + 5000;
    while (server.callrec.events.listenerCount() > 0 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(server.callrec.events.listenerCount()).toBe(0);
  });
});
