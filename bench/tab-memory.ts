/**
 * Tab memory over a long recording (issue 4: "a 30-minute recording holds no more in memory than
 * a 1-minute one"). Records the demo's two-party call (4 tracks, fake camera and microphone at
 * 640x360, video at 2 Mbit/s) in Debian's Chromium for `--minutes`, and every `--interval`
 * seconds, after a forced GC (CDP HeapProfiler.collectGarbage), samples:
 * - the page's JS heap (Performance.getMetrics JSHeapUsedSize / JSHeapTotalSize),
 * - the renderer's RSS and every Chromium process's RSS/PSS (from /proc, only the processes this
 *   bench started),
 * - the SDK's backlog (recorded − uploaded, summed over the page's trackProgress rows) and the
 *   origin's storage use (navigator.storage.estimate(): the IndexedDB journal),
 * - the bytes waiting in memory for the journal: what the page's MediaRecorders produced
 *   (counted by an init script) minus what the SDK journaled. The SDK's `journalBehind`
 *   warnings (its console warning) are logged and counted.
 *
 *   node_modules/.bin/tsx bench/tab-memory.ts [--minutes 30] [--interval 30]
 *     [--part-size BYTES] [--video-bitrate 2000000]
 *
 * The browser runs with a persistent profile in a temporary directory, as a user's browser does:
 * Playwright's default contexts are off the record, and there Chromium keeps IndexedDB in memory.
 * Local disk storage, the server's default 8 MiB parts. After the last sample it clicks Stop,
 * waits until every byte is in storage, samples once more and shuts the server down without
 * waiting for processing. Prints a Markdown table and writes bench/results/tab-memory-<minutes>min.json.
 */
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { fakeMediaChromium } from '../e2e/chromium.js';
import type { CDPSession, Page } from '../packages/server/node_modules/playwright-core/index.js';
import { CONFIG_DEFAULTS } from '../packages/server/src/config.js';
import { FAKE_AUDIO, FAKE_VIDEO, makeFakeMedia } from './support/fake-media.js';
import { CHROMIUM_PATH, chromium } from './support/playwright.js';
import { chromiumTree } from './support/process-memory.js';
import { freePort, type Service, startService } from './support/processes.js';
import {
  busyPercent,
  cpuTicks,
  loadAverage,
  MiB,
  machine,
  round,
  table,
  versionOf,
  writeResult,
} from './support/report.js';

const REPO_ROOT = resolve(import.meta.dirname, '..');

const { values: args } = parseArgs({
  options: {
    minutes: { type: 'string', default: '30' },
    interval: { type: 'string', default: '30' },
    'part-size': { type: 'string', default: String(CONFIG_DEFAULTS.partSize) },
    'video-bitrate': { type: 'string', default: '2000000' },
  },
});
const minutes = Number(args.minutes);
const intervalMs = Number(args.interval) * 1000;
const partSize = Number(args['part-size']);
const videoBitrate = Number(args['video-bitrate']);
if (!(minutes > 0) || !(intervalMs >= 1000) || !(partSize >= 1024) || !(videoBitrate > 0)) {
  throw new Error('--minutes, --interval (≥ 1), --part-size and --video-bitrate must be positive numbers');
}

const progress = (message: string) =>
  console.error(`[bench] ${new Date().toISOString().slice(11, 19)} ${message}`);

interface Sample {
  /** Seconds since Record was clicked; negative for the call before recording. */
  t: number;
  phase: 'before recording' | 'recording' | 'after stop';
  jsHeapUsed: number;
  jsHeapTotal: number;
  domNodes: number;
  /** The page's renderer (the largest of this browser's renderers). */
  rendererRss: number;
  rendererPss: number;
  browserRss: number;
  /** Every Chromium process this bench started, PSS summed (RSS would count shared pages twice). */
  chromiumPss: number;
  processes: number;
  recordedBytes: number;
  uploadedBytes: number;
  backlogBytes: number;
  /** Bytes the page's MediaRecorders handed out. */
  producedBytes: number;
  /** Produced but not yet journaled: Blobs waiting in memory for their IndexedDB write. */
  waitingBytes: number;
  /** navigator.storage.estimate().usage: the IndexedDB journal (and anything else the origin stores). */
  storageUsage: number;
  indexedDbUsage: number | null;
  /** Chunks in the SDK's journal, and their bytes. */
  journalChunks: number;
  journalBytes: number;
  /** The profile's IndexedDB directory on disk (LevelDB plus blob files). */
  indexedDbOnDisk: number;
}

interface PageCounters {
  produced: number;
  recorded: number;
  uploaded: number;
  usage: number;
  indexedDB: number | null;
  journalChunks: number;
  journalBytes: number;
}

/** What the page knows: the track table's counters and the origin's storage estimate. */
async function pageCounters(page: Page): Promise<PageCounters> {
  return page.evaluate(async () => {
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
    // The SDK's journal itself: chunks still held. Opened only once it exists, since opening a
    // missing database would create it without the SDK's schema.
    let journalChunks = 0;
    let journalBytes = 0;
    if ((await indexedDB.databases()).some((d) => d.name === 'callrec-journal')) {
      const open = indexedDB.open('callrec-journal');
      const db = await new Promise<IDBDatabase>((resolve, reject) => {
        open.onsuccess = () => resolve(open.result);
        open.onerror = () => reject(open.error);
      });
      try {
        if (db.objectStoreNames.contains('chunks')) {
          const cursor = db.transaction('chunks', 'readonly').objectStore('chunks').openCursor();
          await new Promise<void>((resolve, reject) => {
            cursor.onerror = () => reject(cursor.error);
            cursor.onsuccess = () => {
              const at = cursor.result;
              if (!at) return resolve();
              journalChunks += 1;
              journalBytes += (at.value as { blob: Blob }).blob.size;
              at.continue();
            };
          });
        }
      } finally {
        db.close();
      }
    }
    return {
      produced: (globalThis as { producedBytes?: number }).producedBytes ?? 0,
      recorded,
      uploaded,
      usage: estimate.usage ?? 0,
      indexedDB: estimate.usageDetails?.indexedDB ?? null,
      journalChunks,
      journalBytes,
    };
  });
}

/** Bytes of every file under `dir` (0 while it does not exist). */
async function directoryBytes(dir: string): Promise<number> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true }).catch((error) => {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  });
  let total = 0;
  for (const entry of entries) {
    if (!entry.isFile()) continue;
    // A file LevelDB compacted away meanwhile counts as gone.
    total += await stat(join(entry.parentPath, entry.name)).then(
      (s) => s.size,
      () => 0,
    );
  }
  return total;
}

async function sample(
  page: Page,
  cdp: CDPSession,
  profile: string,
  t: number,
  phase: Sample['phase'],
): Promise<Sample> {
  // Twice: the first pass runs finalizers that free more on the second.
  await cdp.send('HeapProfiler.collectGarbage');
  await cdp.send('HeapProfiler.collectGarbage');
  const { metrics } = await cdp.send('Performance.getMetrics');
  const metric = (name: string) => metrics.find((m) => m.name === name)?.value ?? Number.NaN;
  const counters = await pageCounters(page);
  const tree = chromiumTree();
  const renderers = tree.filter((p) => p.type === 'renderer').sort((a, b) => b.rss - a.rss);
  const browser = tree.filter((p) => p.type === 'browser').sort((a, b) => b.rss - a.rss)[0];
  return {
    t: round(t, 1),
    phase,
    jsHeapUsed: metric('JSHeapUsedSize'),
    jsHeapTotal: metric('JSHeapTotalSize'),
    domNodes: metric('Nodes'),
    rendererRss: renderers[0]?.rss ?? Number.NaN,
    rendererPss: renderers[0]?.pss ?? Number.NaN,
    browserRss: browser?.rss ?? Number.NaN,
    chromiumPss: tree.reduce((sum, p) => sum + p.pss, 0),
    processes: tree.length,
    recordedBytes: counters.recorded,
    uploadedBytes: counters.uploaded,
    backlogBytes: counters.recorded - counters.uploaded,
    producedBytes: counters.produced,
    waitingBytes: counters.produced - counters.recorded,
    storageUsage: counters.usage,
    indexedDbUsage: counters.indexedDB,
    journalChunks: counters.journalChunks,
    journalBytes: counters.journalBytes,
    indexedDbOnDisk: await directoryBytes(join(profile, 'Default', 'IndexedDB')),
  };
}

const mib = (n: number | null) => (n === null || Number.isNaN(n) ? '–' : (n / MiB).toFixed(1));

function row(s: Sample): string[] {
  const time = s.phase === 'recording' ? `${round(s.t / 60, 1)} min` : s.phase;
  return [
    time,
    mib(s.recordedBytes),
    mib(s.waitingBytes),
    mib(s.backlogBytes),
    `${mib(s.journalBytes)} (${s.journalChunks})`,
    mib(s.indexedDbOnDisk),
    mib(s.indexedDbUsage ?? s.storageUsage),
    mib(s.jsHeapUsed),
    mib(s.jsHeapTotal),
    String(s.domNodes),
    mib(s.rendererRss),
    mib(s.browserRss),
    mib(s.chromiumPss),
  ];
}

const HEADER = [
  'time',
  'recorded MiB',
  'waiting MiB',
  'backlog MiB',
  'journal MiB (chunks)',
  'IndexedDB on disk MiB',
  'storage estimate MiB',
  'JS heap used MiB',
  'JS heap total MiB',
  'DOM nodes',
  'renderer RSS MiB',
  'browser RSS MiB',
  'all Chromium PSS MiB',
];

/** The SDK's `journalBehind` warnings seen in the page's console. */
let journalWarnings = 0;

async function recordAndSample(pageUrl: string): Promise<{ samples: Sample[]; busyPercent: number }> {
  const profile = await mkdtemp(join(tmpdir(), 'callrec-bench-profile-'));
  const context = await chromium.launchPersistentContext(profile, {
    ...fakeMediaChromium(FAKE_VIDEO, FAKE_AUDIO),
    viewport: { width: 1200, height: 900 },
  });
  try {
    const page = context.pages()[0] ?? (await context.newPage());
    page.on('console', (msg) => msg.type() === 'error' && progress(`page error: ${msg.text()}`));
    page.on('pageerror', (error) => progress(`page exception: ${error.message}`));
    // tsx (esbuild keepNames) wraps named inner functions in `__name(...)`, a helper the page lacks.
    await page.addInitScript('globalThis.__name ??= (fn) => fn');
    // Counts what the recorders produce, whether or not the SDK journaled it yet.
    await page.addInitScript(`
      globalThis.producedBytes = 0;
      const Real = MediaRecorder;
      globalThis.MediaRecorder = class extends Real {
        constructor(...args) {
          super(...args);
          this.addEventListener('dataavailable', (e) => { globalThis.producedBytes += e.data.size; });
        }
      };
    `);
    page.on('console', (msg) => {
      if (msg.type() !== 'warning' || !msg.text().includes('wait in memory for the journal')) return;
      journalWarnings++;
      progress(`page warning: ${msg.text()}`);
    });
    const cdp = await context.newCDPSession(page);
    await cdp.send('Performance.enable');
    const status = (s: string) => `[data-testid="status"][data-state="${s}"]`;
    await page.goto(`${pageUrl}/?videoBitsPerSecond=${videoBitrate}`);
    await page.waitForSelector(status('idle'), { state: 'attached', timeout: 60_000 });
    await page.waitForTimeout(5_000); // let the call settle (WebRTC ramp-up) before the baseline
    const samples: Sample[] = [await sample(page, cdp, profile, 0, 'before recording')];

    await page.click('[data-testid="record"]');
    await page.waitForSelector(status('recording'), { state: 'attached', timeout: 30_000 });
    const clickedRecord = Date.now();
    const recordingId = (await page.getAttribute('[data-testid="recording-id"]', 'data-recording-id')) ?? '';
    progress(`recording ${recordingId} for ${minutes} min, sampling every ${intervalMs / 1000} s`);
    const ticks = cpuTicks();
    const log = (s: Sample) =>
      progress(
        `  ${row(s)
          .map((v, i) => `${HEADER[i]} ${v}`)
          .join(', ')}`,
      );
    for (;;) {
      const elapsed = Date.now() - clickedRecord;
      // The next slot on the schedule: a sample that overran (a busy machine) skips slots, and
      // the recording still ends after `--minutes`.
      const next = (Math.floor(elapsed / intervalMs) + 1) * intervalMs;
      if (next > minutes * 60_000) break;
      await page.waitForTimeout(next - elapsed);
      const s = await sample(page, cdp, profile, (Date.now() - clickedRecord) / 1000, 'recording');
      samples.push(s);
      log(s);
    }
    const busy = busyPercent(ticks, cpuTicks());

    await page.click('[data-testid="stop"]');
    // `processing` (or later) once every byte is confirmed in storage and the recording is stopped.
    await page.waitForSelector(`${status('processing')}, ${status('completed')}, ${status('failed')}`, {
      state: 'attached',
      timeout: 10 * 60_000,
    });
    const after = await sample(page, cdp, profile, (Date.now() - clickedRecord) / 1000, 'after stop');
    samples.push(after);
    log(after);
    return { samples, busyPercent: busy };
  } finally {
    await context.close();
    await rm(profile, { recursive: true, force: true });
  }
}

let server: Service | undefined;
let vite: Service | undefined;
const outputDir = await mkdtemp(join(tmpdir(), 'callrec-bench-recordings-'));
const loadBefore = loadAverage();
const startedAt = new Date().toISOString();
try {
  makeFakeMedia();
  const [serverPort, pagePort] = [await freePort(), await freePort()];
  const serverUrl = `http://127.0.0.1:${serverPort}`;
  const pageUrl = `http://127.0.0.1:${pagePort}`;
  server = await startService({
    name: 'demo backend',
    command: join(REPO_ROOT, 'node_modules/.bin/tsx'),
    args: ['packages/demo/server/main.ts'],
    cwd: REPO_ROOT,
    env: {
      PORT: String(serverPort),
      HOST: '127.0.0.1',
      RECORDING_OUTPUT_DIR: outputDir,
      RECORDING_PART_SIZE: String(partSize),
      RECORDING_MIN_PART_SIZE: String(Math.min(partSize, CONFIG_DEFAULTS.minPartSize)),
    },
    readyUrl: `${serverUrl}/healthz`,
  });
  vite = await startService({
    name: 'vite',
    command: join(REPO_ROOT, 'packages/demo/node_modules/.bin/vite'),
    args: ['--port', String(pagePort), '--strictPort'],
    cwd: join(REPO_ROOT, 'packages/demo'),
    env: { VITE_CALLREC_SERVER: serverUrl, DEMO_HMR: '0' },
    readyUrl: pageUrl,
  });
  progress(`demo backend ${serverUrl} (local disk, ${partSize} B parts), page ${pageUrl}`);

  const { samples, busyPercent: busy } = await recordAndSample(pageUrl);
  const loadAfter = loadAverage();
  const recording = samples.filter((s) => s.phase === 'recording');
  const atOneMinute = recording.find((s) => s.t >= 60) ?? recording[0];
  const last = recording.at(-1);
  if (!atOneMinute || !last) throw new Error('no samples while recording');
  const peak = (pick: (s: Sample) => number) => Math.max(...recording.map(pick));

  console.log(
    `${minutes} min call, 2 participants / 4 tracks (video ${videoBitrate / 1e6} Mbit/s target), local disk, ${mib(partSize)} MiB parts; ` +
      `load average before ${loadBefore.join(' ')}, after ${loadAfter.join(' ')}; machine ${busy} % busy while recording`,
  );
  console.log('');
  console.log(table(HEADER, samples.map(row)));
  console.log('');
  console.log(
    table(
      [
        '',
        `at ${round(atOneMinute.t / 60, 1)} min`,
        `at ${round(last.t / 60, 1)} min`,
        'peak while recording',
      ],
      [
        ['recorded', mib(atOneMinute.recordedBytes), mib(last.recordedBytes), '–'],
        [
          'waiting for the journal',
          mib(atOneMinute.waitingBytes),
          mib(last.waitingBytes),
          mib(peak((s) => s.waitingBytes)),
        ],
        ['JS heap used', mib(atOneMinute.jsHeapUsed), mib(last.jsHeapUsed), mib(peak((s) => s.jsHeapUsed))],
        [
          'renderer RSS',
          mib(atOneMinute.rendererRss),
          mib(last.rendererRss),
          mib(peak((s) => s.rendererRss)),
        ],
        ['browser RSS', mib(atOneMinute.browserRss), mib(last.browserRss), mib(peak((s) => s.browserRss))],
        [
          'all Chromium PSS',
          mib(atOneMinute.chromiumPss),
          mib(last.chromiumPss),
          mib(peak((s) => s.chromiumPss)),
        ],
        ['backlog', mib(atOneMinute.backlogBytes), mib(last.backlogBytes), mib(peak((s) => s.backlogBytes))],
        [
          'journal (chunks in IndexedDB)',
          mib(atOneMinute.journalBytes),
          mib(last.journalBytes),
          mib(peak((s) => s.journalBytes)),
        ],
        [
          'IndexedDB on disk',
          mib(atOneMinute.indexedDbOnDisk),
          mib(last.indexedDbOnDisk),
          mib(peak((s) => s.indexedDbOnDisk)),
        ],
        [
          'storage estimate',
          mib(atOneMinute.indexedDbUsage ?? atOneMinute.storageUsage),
          mib(last.indexedDbUsage ?? last.storageUsage),
          mib(peak((s) => s.indexedDbUsage ?? s.storageUsage)),
        ],
      ],
    ),
  );
  const file = await writeResult(`tab-memory-${minutes}min`, {
    date: startedAt,
    machine: machine({ chromium: versionOf(CHROMIUM_PATH) }),
    loadAverage: { before: loadBefore, after: loadAfter },
    busyWhileRecordingPercent: busy,
    journalWarnings,
    minutes,
    intervalSeconds: intervalMs / 1000,
    partSize,
    videoBitrate,
    samples,
  });
  progress(`wrote ${file}; journalBehind warnings: ${journalWarnings}`);
} catch (error) {
  if (server) progress(`demo backend's last lines:\n${server.output()}`);
  throw error;
} finally {
  await vite?.stop();
  // Processing a long call would take many minutes of CPU the measurement does not need.
  await server?.stop();
  await rm(outputDir, { recursive: true, force: true });
}
