/**
 * API throughput: requests per second of the server's hot endpoints on loopback.
 *
 *   node_modules/.bin/tsx bench/api-throughput.ts [--concurrency 16] [--seconds 5] [--max-requests 20000]
 *
 * The server runs in this process (createApp + listen on a free 127.0.0.1 port, local storage in a
 * temp dir, state fsynced as in production). The load comes from a separate Node process
 * (bench/support/load-client.ts, Node's fetch, closed loop with N requests in flight), so client
 * and server do not share one event loop. Each endpoint runs until the count or the time runs out.
 * Prints a markdown table and writes bench/results/api-throughput.json.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { DEFAULT_SIGN_BATCH_SIZE } from '../packages/sdk/src/multipart-upload.js';
import type { RegisterTrackResponse, SignPartsResponse } from '../packages/sdk/src/protocol.js';
import { createApp, listen, loadConfig, mintToken } from '../packages/server/src/index.js';
import {
  assertLoopback,
  type LoadRequest,
  type LoadResult,
  type LoadSpec,
  MEASURING,
} from './support/load-spec.js';
import { freePort } from './support/processes.js';
import { loadAverage, MiB, machine, round, table, writeResult } from './support/report.js';

const REPO_ROOT = resolve(import.meta.dirname, '..');
const PART_BYTES = 256 * 1024;
/** Distinct part numbers the PUT phase cycles through (re-sent parts replace the stored ones). */
const PUT_PARTS = 64;
/** Distinct batches the sign phases cycle through. */
const SIGN_BATCHES = 100;
const WARMUP_REQUESTS = 200;

const { values: args } = parseArgs({
  options: {
    concurrency: { type: 'string', default: '16' },
    seconds: { type: 'string', default: '5' },
    'max-requests': { type: 'string', default: '20000' },
  },
});
const concurrency = Number(args.concurrency);
const seconds = Number(args.seconds);
const maxRequests = Number(args['max-requests']);
if (!(concurrency >= 1 && seconds > 0 && maxRequests >= 1)) throw new Error('invalid arguments');

interface BenchRecording {
  id: string;
  token: string;
  trackId: string;
  auth: Record<string, string>;
}

const progress = (message: string) => console.error(`[bench] ${message}`);

async function call<T>(method: string, url: string, token: string, body?: unknown): Promise<T> {
  assertLoopback(url);
  const response = await fetch(url, {
    method,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!response.ok) throw new Error(`${method} ${url}: HTTP ${response.status} ${await response.text()}`);
  return (await response.json()) as T;
}

/** Runs one phase in a child process and returns what it measured, with this process's CPU time. */
async function load(
  requests: LoadRequest[],
): Promise<LoadResult & { serverCpuMs: number; serverSystemCpuMs: number }> {
  const spec: LoadSpec = {
    concurrency,
    maxRequests,
    maxSeconds: seconds,
    warmupRequests: WARMUP_REQUESTS,
    requests,
  };
  const child = spawn(
    join(REPO_ROOT, 'node_modules/.bin/tsx'),
    [join(import.meta.dirname, 'support/load-client.ts')],
    {
      stdio: ['pipe', 'pipe', 'inherit'],
    },
  );
  let out = '';
  let cpu: NodeJS.CpuUsage | undefined;
  let used: NodeJS.CpuUsage | undefined;
  child.stdout.on('data', (data: Buffer) => {
    out += data.toString();
    // The server's CPU time over the measured requests only (not the warm-up or the child's start).
    if (!cpu && out.includes(`${MEASURING}\n`)) cpu = process.cpuUsage();
    if (cpu && !used && out.trimEnd().endsWith('}')) used = process.cpuUsage(cpu);
  });
  const exited = new Promise<number | null>((done) => child.once('exit', done));
  child.stdin.end(JSON.stringify(spec));
  const code = await exited;
  if (code !== 0 || !used) throw new Error(`load client exited with ${code}`);
  out = out.slice(out.indexOf(`${MEASURING}\n`) + MEASURING.length + 1);
  return {
    ...(JSON.parse(out) as LoadResult),
    serverCpuMs: Math.round((used.user + used.system) / 1000),
    // Kernel time: socket I/O, file writes and fsyncs.
    serverSystemCpuMs: Math.round(used.system / 1000),
  };
}

const outputDir = await mkdtemp(join(tmpdir(), 'callrec-bench-api-'));
let server: Server | undefined;
let closeApp: (() => Promise<void>) | undefined;
const loadBefore = loadAverage();
try {
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const secret = randomBytes(32).toString('hex');
  const config = loadConfig({
    RECORDING_TOKEN_SECRET: secret,
    RECORDING_OUTPUT_DIR: outputDir,
    RECORDING_PART_SIZE: String(PART_BYTES),
    RECORDING_MIN_PART_SIZE: String(PART_BYTES),
    HOST: '127.0.0.1',
    PORT: String(port),
  });
  const callrec = await createApp({
    config,
    processRecording: () => Promise.reject(new Error('this bench never stops a recording')),
  });
  closeApp = () => callrec.close();
  server = await new Promise<Server>((ready) => {
    const s = listen(callrec, { port, hostname: '127.0.0.1', onListening: () => ready(s) });
  });

  // One recording per request in flight, each with one registered video track.
  const recordings: BenchRecording[] = [];
  for (let i = 0; i < concurrency; i++) {
    const id = `bench-${i}`;
    const token = mintToken(secret, { sub: id, scope: 'recording', ttlSeconds: 3600 });
    await call('POST', `${base}/v1/recordings`, token, { roomId: 'bench' });
    const trackId = 'video-1';
    const { upload } = await call<RegisterTrackResponse>(
      'PUT',
      `${base}/v1/recordings/${id}/tracks/${trackId}`,
      token,
      {
        participantId: 'p1',
        displayName: 'P1',
        kind: 'video',
        mimeType: 'video/webm;codecs=vp8',
        startedAt: Date.now(),
      },
    );
    if (upload.type !== 'multipart') throw new Error(`expected a multipart upload, got ${upload.type}`);
    recordings.push({ id, token, trackId, auth: { authorization: `Bearer ${token}` } });
  }
  const first = recordings[0];
  if (!first) throw new Error('no recording');

  const batch = (k: number) =>
    JSON.stringify({
      partNumbers: Array.from(
        { length: DEFAULT_SIGN_BATCH_SIZE },
        (_, j) => k * DEFAULT_SIGN_BATCH_SIZE + j + 1,
      ),
    });
  const signRequest = (r: BenchRecording, k: number): LoadRequest => ({
    method: 'POST',
    url: `${base}/v1/recordings/${r.id}/tracks/${r.trackId}/parts`,
    headers: r.auth,
    json: batch(k),
  });
  const signed = await call<SignPartsResponse>(
    'POST',
    `${base}/v1/recordings/${first.id}/tracks/${first.trackId}/parts`,
    first.token,
    { partNumbers: Array.from({ length: PUT_PARTS }, (_, j) => j + 1) },
  );

  const phases: { name: string; what: string; requests: LoadRequest[] }[] = [
    {
      name: 'GET /healthz',
      what: 'baseline: routing, CORS, JSON; no auth, no state',
      requests: [{ method: 'GET', url: `${base}/healthz` }],
    },
    {
      name: 'GET /v1/recordings/:id',
      what: 'recording info: token check, state read from memory',
      requests: [{ method: 'GET', url: `${base}/v1/recordings/${first.id}`, headers: first.auth }],
    },
    {
      name: `sign ${DEFAULT_SIGN_BATCH_SIZE} parts, 1 recording`,
      what: 'POST …/parts, every request on the same recording (per-recording lock, state fsynced)',
      requests: Array.from({ length: SIGN_BATCHES }, (_, k) => signRequest(first, k)),
    },
    {
      name: `sign ${DEFAULT_SIGN_BATCH_SIZE} parts, ${concurrency} recordings`,
      what: `POST …/parts, request i on recording i mod ${concurrency}`,
      requests: Array.from({ length: SIGN_BATCHES }, (_, k) =>
        signRequest(recordings[k % recordings.length] ?? first, k),
      ),
    },
    {
      name: 'PUT part, 256 KiB',
      what: `local provider: signature check, body streamed to a temp file, MD5, fsync, rename; ${PUT_PARTS} parts re-sent`,
      requests: signed.parts.map((p) => ({
        method: 'PUT',
        url: p.url,
        headers: p.headers ?? {},
        bytes: PART_BYTES,
      })),
    },
  ];

  const results = [];
  for (const phase of phases) {
    progress(`${phase.name}: ${concurrency} in flight, up to ${maxRequests} requests or ${seconds} s`);
    const result = await load(phase.requests);
    const non2xx = Object.entries(result.statuses)
      .filter(([status]) => !/^2\d\d$/.test(status))
      .reduce((sum, [, n]) => sum + n, 0);
    results.push({ name: phase.name, what: phase.what, ...result, non2xx });
  }
  const loadAfter = loadAverage();

  console.log(
    `${concurrency} requests in flight from a separate Node process (fetch), server in-process; ` +
      `up to ${seconds} s or ${maxRequests} requests per endpoint; load average ${loadBefore.join(' ')} → ${loadAfter.join(' ')}`,
  );
  console.log('');
  console.log(
    table(
      [
        'endpoint',
        'req/s',
        'p50',
        'p99',
        'server CPU / request (kernel)',
        'server busy',
        'non-2xx',
        'requests',
      ],
      results.map((r) => [
        r.name + (r.bodyBytesSent > 0 ? ` (${round(r.bodyBytesSent / MiB / r.seconds, 0)} MiB/s)` : ''),
        r.perSecond,
        `${r.latencyMs.p50} ms`,
        `${r.latencyMs.p99} ms`,
        `${round((r.serverCpuMs / r.requests) * 1000, 0)} µs (${round((r.serverSystemCpuMs / r.requests) * 1000, 0)} µs)`,
        `${round((r.serverCpuMs / (r.seconds * 1000)) * 100, 0)} % of a core`,
        r.non2xx,
        r.requests,
      ]),
    ),
  );
  const file = await writeResult('api-throughput', {
    date: new Date().toISOString(),
    machine: machine(),
    loadAverage: { before: loadBefore, after: loadAfter },
    concurrency,
    seconds,
    maxRequests,
    results,
  });
  progress(`wrote ${file}`);
} finally {
  server?.close();
  server?.closeAllConnections();
  await closeApp?.();
  await rm(outputDir, { recursive: true, force: true });
}
