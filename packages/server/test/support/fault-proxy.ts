import { once } from 'node:events';
import {
  Agent,
  createServer,
  request as forward,
  type IncomingMessage,
  type OutgoingHttpHeaders,
  type ServerResponse,
} from 'node:http';

/**
 * An HTTP proxy that fails a seeded share of requests, for fault-injection tests: put it in front
 * of a storage endpoint (the local provider's /v1/uploads, or S3) and part PUTs start failing
 * the way an overloaded storage service fails them.
 *
 * - `drop` (default): a failed request is answered with `failStatus` and never forwarded (its
 *   body is read and discarded), so storage never sees it.
 * - `lose-response`: the request is forwarded and stored, but the client gets `failStatus`
 *   instead of the answer, so it sends the same part again.
 *
 * Everything else is forwarded as streams in both directions. `Host` is rewritten to the
 * target's unless `preserveHost` (use that when URLs were signed for the proxy's own address,
 * e.g. S3 presigned with the proxy as endpoint: SigV4 signs the Host header).
 */
export interface FaultProxyOptions {
  /** Base URL requests are forwarded to, e.g. `http://127.0.0.1:8787`. */
  target: string;
  /** Share of matching requests to fail, 0..1. */
  failRatio: number;
  /** Seed of the failure sequence: the same seed and request order fail the same requests. */
  seed: number;
  failStatus?: number;
  /** Which requests may fail; default: every PUT (part uploads). */
  match?: (req: IncomingMessage) => boolean;
  mode?: 'drop' | 'lose-response';
  preserveHost?: boolean;
}

export interface FaultProxyStats {
  requests: number;
  /** Requests `match` accepted. */
  matched: number;
  /** Matching requests answered with `failStatus`. */
  failed: number;
  /** Paths (without query) of matching requests that reached the target, in order. */
  forwarded: string[];
}

export interface FaultProxy {
  url: string;
  stats: FaultProxyStats;
  close(): Promise<void>;
}

export async function startFaultProxy(options: FaultProxyOptions): Promise<FaultProxy> {
  const target = new URL(options.target);
  const failStatus = options.failStatus ?? 503;
  const match = options.match ?? ((req: IncomingMessage) => req.method === 'PUT');
  const random = mulberry32(options.seed);
  const agent = new Agent({ keepAlive: true });
  const stats: FaultProxyStats = { requests: 0, matched: 0, failed: 0, forwarded: [] };

  const server = createServer((req, res) => {
    stats.requests += 1;
    const matched = match(req);
    const fail = matched && random() < options.failRatio;
    if (matched) stats.matched += 1;
    if (fail) stats.failed += 1;
    if (fail && options.mode !== 'lose-response') {
      req.resume(); // read the body, so the client can finish sending before it reads the answer
      req.on('end', () => injectFailure(req, res, failStatus));
      return;
    }
    const headers: OutgoingHttpHeaders = { ...req.headers };
    if (!options.preserveHost) headers.host = target.host;
    const upstream = forward(
      new URL(req.url ?? '/', target),
      { method: req.method, headers, agent },
      (answer) => {
        if (matched) stats.forwarded.push((req.url ?? '').split('?')[0] ?? '');
        if (fail) {
          answer.resume();
          answer.on('end', () => injectFailure(req, res, failStatus));
          return;
        }
        res.writeHead(answer.statusCode ?? 502, answer.rawHeaders);
        answer.pipe(res);
      },
    );
    upstream.on('error', (err) => {
      // The target is down or reset the connection: tell the client as a gateway would.
      if (res.headersSent) res.destroy(err);
      else res.writeHead(502, { 'content-type': 'text/plain' }).end(`fault proxy: ${err.message}`);
    });
    res.on('close', () => {
      if (!res.writableFinished) upstream.destroy(); // the client went away mid-request
    });
    req.pipe(upstream);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('fault proxy: no address');
  return {
    url: `http://127.0.0.1:${address.port}`,
    stats,
    async close() {
      server.closeAllConnections();
      server.close();
      await once(server, 'close');
      agent.destroy();
    },
  };
}

/** A failure as storage would send it, readable by a browser (CORS) so the SDK sees the status. */
function injectFailure(req: IncomingMessage, res: ServerResponse, status: number): void {
  const body = JSON.stringify({
    error: { code: 'injected_fault', message: 'fault proxy: injected failure' },
  });
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(body),
    'access-control-allow-origin': req.headers.origin ?? '*',
    'access-control-expose-headers': 'ETag',
    vary: 'Origin',
  });
  res.end(body);
}

/** Small seeded PRNG (Mulberry32): uniform in [0, 1). */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
