/**
 * Runs inside the demo page for bench/tab-memory.ts, which injects it through its own Vite
 * server (the demo does not know it). The page measures itself and POSTs each sample to the
 * bench, so no driver is attached while it records: under Playwright the renderer's RSS grew with
 * every byte uploaded and kept it after GC, in a plain Chromium it did not (BENCHMARKS.md).
 *
 * Query parameters: `benchProbe` (the bench's receiver URL), `benchInterval` (seconds between
 * samples), `benchMinutes` (how long the recording is sampled), `benchBaseline` (seconds after
 * the call is up for the sample before recording), `benchRecord=0` (a control run: the call is
 * sampled but never recorded). The demo's own `?autostart` and `?stopAfter` start and stop the
 * recording.
 */
import { type PageLogLine, type PageSample, PROBE_ROUTES } from './tab-memory-sample.js';

const params = new URLSearchParams(location.search);
const bench = params.get('benchProbe');
const intervalMs = Number(params.get('benchInterval')) * 1000;
const minutes = Number(params.get('benchMinutes'));
const baselineMs = Number(params.get('benchBaseline')) * 1000;
const record = params.get('benchRecord') !== '0';

async function post(route: string, body: unknown): Promise<void> {
  // A string body is text/plain: a simple cross-origin request, no preflight.
  const response = await fetch(`${bench}${route}`, { method: 'POST', body: JSON.stringify(body) });
  if (!response.ok) throw new Error(`bench ${route}: HTTP ${response.status}`);
}

const report = (line: PageLogLine) => {
  post(PROBE_ROUTES.log, line).catch((error) => console.info('bench probe: log not sent', error));
};

// Counts what the recorders produce, whether or not the SDK journaled it yet.
let produced = 0;
const RealRecorder = MediaRecorder;
globalThis.MediaRecorder = class extends RealRecorder {
  constructor(...args: ConstructorParameters<typeof MediaRecorder>) {
    super(...args);
    this.addEventListener('dataavailable', (e) => {
      produced += e.data.size;
    });
  }
};

for (const level of ['error', 'warn'] as const) {
  const original = console[level].bind(console);
  console[level] = (...args: unknown[]) => {
    original(...args);
    const text = args.map(String).join(' ');
    // The SDK's journalBehind warning; other warnings (clock sync, pauses) are the demo's business.
    if (level === 'error' || text.includes('wait in memory for the journal')) {
      report({ level: level === 'warn' ? 'warning' : 'error', text });
    }
  };
}
addEventListener('error', (e) => report({ level: 'error', text: `page exception: ${e.message}` }));
addEventListener('unhandledrejection', (e) =>
  report({ level: 'error', text: `unhandled rejection: ${String(e.reason)}` }),
);

const statusNode = () => document.querySelector<HTMLElement>('[data-testid="status"]');
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Resolves with the demo's status once it is one of `states` (watched, not polled: exact timing). */
function reach(states: string[]): Promise<string> {
  return new Promise((resolve) => {
    const check = () => {
      const state = statusNode()?.dataset.state ?? '';
      if (!states.includes(state)) return false;
      observer.disconnect();
      resolve(state);
      return true;
    };
    const observer = new MutationObserver(check);
    observer.observe(document.body, { subtree: true, attributes: true, attributeFilter: ['data-state'] });
    check();
  });
}

/** The SDK's journal itself; opened only once it exists (opening creates it without the schema). */
async function journal(): Promise<{ chunks: number; bytes: number }> {
  let chunks = 0;
  let bytes = 0;
  if (!(await indexedDB.databases()).some((d) => d.name === 'callrec-journal')) return { chunks, bytes };
  const open = indexedDB.open('callrec-journal');
  const db = await new Promise<IDBDatabase>((resolve, reject) => {
    open.onsuccess = () => resolve(open.result);
    open.onerror = () => reject(open.error);
  });
  try {
    if (!db.objectStoreNames.contains('chunks')) return { chunks, bytes };
    const cursor = db.transaction('chunks', 'readonly').objectStore('chunks').openCursor();
    await new Promise<void>((resolve, reject) => {
      cursor.onerror = () => reject(cursor.error);
      cursor.onsuccess = () => {
        const at = cursor.result;
        if (!at) return resolve();
        chunks += 1;
        bytes += (at.value as { blob: Blob }).blob.size;
        at.continue();
      };
    });
  } finally {
    db.close();
  }
  return { chunks, bytes };
}

async function measure(phase: PageSample['phase'], t: number): Promise<PageSample> {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('gc() is missing: Chromium needs --js-flags=--expose-gc');
  // Twice: the first pass runs finalizers that free more on the second.
  gc();
  gc();
  const memory = (
    performance as Performance & { memory: { usedJSHeapSize: number; totalJSHeapSize: number } }
  ).memory;
  const [jsHeapUsed, jsHeapTotal] = [memory.usedJSHeapSize, memory.totalJSHeapSize];
  let recorded = 0;
  let uploaded = 0;
  for (const row of document.querySelectorAll<HTMLElement>('[data-testid="progress"] tr[data-track-id]')) {
    const value = (field: string) =>
      Number(row.querySelector<HTMLElement>(`[data-field="${field}"]`)?.dataset.value ?? 0) || 0;
    recorded += value('recorded');
    uploaded += value('uploaded');
  }
  const estimate = (await navigator.storage.estimate()) as StorageEstimate & {
    usageDetails?: { indexedDB?: number };
  };
  const held = await journal();
  return {
    phase,
    t: Math.round(t * 10) / 10,
    state: statusNode()?.dataset.state ?? '',
    status: statusNode()?.textContent ?? '',
    jsHeapUsed,
    jsHeapTotal,
    domElements: document.getElementsByTagName('*').length,
    produced,
    recorded,
    uploaded,
    storageUsage: estimate.usage ?? 0,
    indexedDbUsage: estimate.usageDetails?.indexedDB ?? null,
    journalChunks: held.chunks,
    journalBytes: held.bytes,
  };
}

async function run(): Promise<void> {
  await reach(['idle']);
  await sleep(baselineMs);
  await post(PROBE_ROUTES.sample, await measure('before recording', 0));
  if (record && (await reach(['recording', 'failed'])) === 'failed') {
    throw new Error(statusNode()?.textContent ?? '');
  }
  const started = Date.now();
  await post(PROBE_ROUTES.recording, {});
  for (;;) {
    const elapsed = Date.now() - started;
    // The next slot on the schedule: a sample that overran (a busy machine) skips slots.
    const next = (Math.floor(elapsed / intervalMs) + 1) * intervalMs;
    if (next > minutes * 60_000) break;
    await sleep(next - elapsed);
    const t = (Date.now() - started) / 1000;
    await post(PROBE_ROUTES.sample, await measure(record ? 'recording' : 'call only', t));
  }
  if (!record) return;
  // `processing` (or later) once every byte is confirmed in storage and the recording is stopped.
  await reach(['processing', 'completed', 'failed']);
  await post(PROBE_ROUTES.sample, await measure('after stop', (Date.now() - started) / 1000));
}

if (bench) {
  run().then(
    () => post(PROBE_ROUTES.done, { ok: true }),
    (error: unknown) => post(PROBE_ROUTES.done, { ok: false, error: String(error) }),
  );
}
