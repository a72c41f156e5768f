/**
 * A closed-loop HTTP load generator, run as its own process so it does not share the server's
 * event loop: `tsx bench/support/load-client.ts` reads a LoadSpec as JSON on stdin and prints a
 * LoadResult as JSON on stdout. It stops by itself (request count or time, whichever comes
 * first) and only talks to 127.0.0.1.
 */
import { randomBytes } from 'node:crypto';
import { text } from 'node:stream/consumers';
import { assertLoopback, type LoadRequest, type LoadResult, type LoadSpec, MEASURING } from './load-spec.js';

async function run(spec: LoadSpec): Promise<LoadResult> {
  for (const request of spec.requests) assertLoopback(request.url);
  const bodies = spec.requests.map((r) => (r.bytes ? new Uint8Array(randomBytes(r.bytes)) : r.json));
  const send = async (i: number): Promise<string> => {
    const index = i % spec.requests.length;
    const request = spec.requests[index] as LoadRequest;
    try {
      const response = await fetch(request.url, {
        method: request.method,
        headers: { ...(request.json ? { 'content-type': 'application/json' } : {}), ...request.headers },
        body: bodies[index],
      });
      await response.arrayBuffer();
      return String(response.status);
    } catch (error) {
      console.error(`load-client: ${request.method} ${request.url}: ${(error as Error).message}`);
      return 'error';
    }
  };

  let next = 0;
  const warmup = async () => {
    while (next < spec.warmupRequests) await send(next++);
  };
  await Promise.all(Array.from({ length: spec.concurrency }, warmup));

  // The parent times its own (the server's) CPU between this line and the result line.
  process.stdout.write(`${MEASURING}\n`);
  const latencies: number[] = [];
  const statuses: Record<string, number> = {};
  let bodyBytesSent = 0;
  let sent = 0;
  const started = performance.now();
  const deadline = started + spec.maxSeconds * 1000;
  const loop = async () => {
    while (sent < spec.maxRequests && performance.now() < deadline) {
      const i = next++;
      sent++;
      const t0 = performance.now();
      const status = await send(i);
      latencies.push(performance.now() - t0);
      statuses[status] = (statuses[status] ?? 0) + 1;
      bodyBytesSent += spec.requests[i % spec.requests.length]?.bytes ?? 0;
    }
  };
  await Promise.all(Array.from({ length: spec.concurrency }, loop));
  const seconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  const pct = (p: number) =>
    round(latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * p))] ?? 0);
  return {
    requests: latencies.length,
    seconds: round(seconds, 2),
    perSecond: Math.round(latencies.length / seconds),
    statuses,
    latencyMs: { p50: pct(0.5), p90: pct(0.9), p99: pct(0.99), max: round(latencies.at(-1) ?? 0) },
    bodyBytesSent,
  };
}

const round = (value: number, digits = 1) => Math.round(value * 10 ** digits) / 10 ** digits;

const spec = JSON.parse(await text(process.stdin)) as LoadSpec;
process.stdout.write(`${JSON.stringify(await run(spec))}\n`);
