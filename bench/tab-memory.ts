/**
 * Tab memory over a long recording (issue 4: "a 30-minute recording holds no more in memory than
 * a 1-minute one"). Records the demo's two-party call (4 tracks, fake camera and microphone at
 * 640x360, video at 2 Mbit/s) in Debian's Chromium for `--minutes`, and every `--interval`
 * seconds, after a forced GC, samples:
 * - the page's JS heap (performance.memory, precise),
 * - the renderer's RSS and every Chromium process's RSS/PSS (from /proc, only the processes this
 *   bench started),
 * - the SDK's backlog (recorded − uploaded, summed over the page's trackProgress rows) and the
 *   origin's storage use (navigator.storage.estimate(): the IndexedDB journal),
 * - the bytes waiting in memory for the journal: what the page's MediaRecorders produced minus
 *   what the SDK journaled, and the profile's IndexedDB directory on disk. The SDK's
 *   `journalBehind` warnings are logged and counted.
 *
 *   node_modules/.bin/tsx bench/tab-memory.ts [--minutes 30] [--interval 30]
 *     [--part-size BYTES] [--video-bitrate 2000000] [--call-only]
 *
 * `--call-only` is the control: the same call, sampled for `--minutes` but never recorded.
 *
 * Nothing drives the browser while it records: under Playwright the renderer's RSS grew with every
 * byte uploaded and kept it after GC, while the same page in a plain Chromium did not
 * (BENCHMARKS.md). So Chromium runs as a plain child process (headless, a persistent profile in a
 * temporary directory, so IndexedDB is on disk as in a user's browser), the demo starts and stops
 * the recording itself (`?autostart`, `?stopAfter`), and bench/support/tab-memory-probe.ts, added
 * to the page by this bench's own Vite server, measures the page and POSTs each sample here, where
 * /proc and the profile are read. Local disk storage, the server's default 8 MiB parts. The page
 * stops a few seconds after the last sample; once every byte is in storage it samples once more,
 * and the bench shuts the server down without waiting for processing. Prints a Markdown table
 * and writes bench/results/tab-memory-<minutes>min.json.
 */
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { CONFIG_DEFAULTS } from '../packages/server/src/config.js';
import { CHROMIUM_EXECUTABLE, launchChromium } from './support/chromium-process.js';
import { startDemoBackend } from './support/demo-stack.js';
import { startDemoPageWith } from './support/demo-vite.js';
import { makeFakeMedia } from './support/fake-media.js';
import { startProbeReceiver } from './support/probe-receiver.js';
import { chromiumTree } from './support/process-memory.js';
import { freePort, type Service } from './support/processes.js';
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
import { type PageLogLine, type PageSample, PROBE_ROUTES } from './support/tab-memory-sample.js';

const PROBE = resolve(import.meta.dirname, 'support/tab-memory-probe.ts');
/** The call settles (WebRTC ramp-up) for BASELINE_S before the first sample, recording starts at AUTOSTART_S. */
const BASELINE_S = 5;
const AUTOSTART_S = 10;
/** The page stops this long after the last sample's slot, so that sample still sees a recording. */
const STOP_SLACK_S = 5;
/** For the drain after Stop and for slow starts, beyond the recording itself. */
const EXTRA_TIMEOUT_MS = 15 * 60_000;

const { values: args } = parseArgs({
  options: {
    minutes: { type: 'string', default: '30' },
    interval: { type: 'string', default: '30' },
    'part-size': { type: 'string', default: String(CONFIG_DEFAULTS.partSize) },
    'video-bitrate': { type: 'string', default: '2000000' },
    'call-only': { type: 'boolean', default: false },
  },
});
const callOnly = args['call-only'];
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
  /** Seconds since the page turned `recording`; 0 before recording. */
  t: number;
  phase: PageSample['phase'];
  jsHeapUsed: number;
  jsHeapTotal: number;
  domElements: number;
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
  storageUsage: number;
  indexedDbUsage: number | null;
  journalChunks: number;
  journalBytes: number;
  /** The profile's IndexedDB directory on disk (LevelDB plus blob files). */
  indexedDbOnDisk: number;
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

/** What the page measured, completed with what only the machine knows: /proc and the profile on disk. */
async function complete(page: PageSample, profile: string): Promise<Sample> {
  const tree = chromiumTree();
  const renderers = tree.filter((p) => p.type === 'renderer').sort((a, b) => b.rss - a.rss);
  const browser = tree.filter((p) => p.type === 'browser').sort((a, b) => b.rss - a.rss)[0];
  return {
    t: page.t,
    phase: page.phase,
    jsHeapUsed: page.jsHeapUsed,
    jsHeapTotal: page.jsHeapTotal,
    domElements: page.domElements,
    rendererRss: renderers[0]?.rss ?? Number.NaN,
    rendererPss: renderers[0]?.pss ?? Number.NaN,
    browserRss: browser?.rss ?? Number.NaN,
    chromiumPss: tree.reduce((sum, p) => sum + p.pss, 0),
    processes: tree.length,
    recordedBytes: page.recorded,
    uploadedBytes: page.uploaded,
    backlogBytes: page.recorded - page.uploaded,
    producedBytes: page.produced,
    waitingBytes: page.produced - page.recorded,
    storageUsage: page.storageUsage,
    indexedDbUsage: page.indexedDbUsage,
    journalChunks: page.journalChunks,
    journalBytes: page.journalBytes,
    indexedDbOnDisk: await directoryBytes(join(profile, 'Default', 'IndexedDB')),
  };
}

/** A sample on the schedule (recording, or the call alone in a control run). */
const sampled = (s: Sample) => s.phase === 'recording' || s.phase === 'call only';

const mib = (n: number | null) => (n === null || Number.isNaN(n) ? '–' : (n / MiB).toFixed(1));

function row(s: Sample): string[] {
  const time = sampled(s) ? `${round(s.t / 60, 1)} min` : s.phase;
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
    String(s.domElements),
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
  'DOM elements',
  'renderer RSS MiB',
  'browser RSS MiB',
  'all Chromium PSS MiB',
];

/** The SDK's `journalBehind` warnings the page reported. */
let journalWarnings = 0;

interface Recorded {
  samples: Sample[];
  busyPercent: number;
}

async function recordAndSample(pageUrl: string, serverUrl: string): Promise<Recorded> {
  const profile = await mkdtemp(join(tmpdir(), 'callrec-bench-profile-'));
  const samples: Sample[] = [];
  let ticksAtStart = cpuTicks();
  let ticksAtLast = ticksAtStart;
  let settle: { resolve: () => void; reject: (error: Error) => void } | undefined;
  const finished = new Promise<void>((resolve, reject) => {
    settle = { resolve, reject };
  });
  const log = (s: Sample) =>
    progress(
      `  ${row(s)
        .map((v, i) => `${HEADER[i]} ${v}`)
        .join(', ')}`,
    );
  const receiver = await startProbeReceiver({
    [PROBE_ROUTES.sample]: async (body) => {
      const page = body as PageSample;
      const s = await complete(page, profile);
      samples.push(s);
      log(s);
      if (sampled(s)) ticksAtLast = cpuTicks();
      if (page.state === 'failed') settle?.reject(new Error(`the page failed: ${page.status}`));
    },
    [PROBE_ROUTES.recording]: () => {
      ticksAtStart = cpuTicks();
      progress(
        `${callOnly ? 'call only' : 'recording'} for ${minutes} min, sampling every ${intervalMs / 1000} s`,
      );
    },
    [PROBE_ROUTES.log]: (body) => {
      const line = body as PageLogLine;
      if (line.level === 'warning') journalWarnings++;
      progress(`page ${line.level}: ${line.text}`);
    },
    [PROBE_ROUTES.done]: (body) => {
      const result = body as { ok: boolean; error?: string };
      if (result.ok) settle?.resolve();
      else settle?.reject(new Error(`the page's probe failed: ${result.error}`));
    },
  });
  const query = new URLSearchParams({
    server: serverUrl,
    videoBitsPerSecond: String(videoBitrate),
    ...(callOnly
      ? { benchRecord: '0' }
      : { autostart: String(AUTOSTART_S), stopAfter: String((minutes * 60 + STOP_SLACK_S) / 60) }),
    benchProbe: receiver.url,
    benchInterval: String(intervalMs / 1000),
    benchMinutes: String(minutes),
    benchBaseline: String(BASELINE_S),
  });
  const browser = launchChromium(`${pageUrl}/?${query}`, profile);
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    await Promise.race([
      finished,
      browser.exited.then((how) => {
        throw new Error(`Chromium exited (${how}):\n${browser.output()}`);
      }),
      new Promise((_, reject) => {
        const ms = minutes * 60_000 + EXTRA_TIMEOUT_MS;
        timer = setTimeout(() => reject(new Error(`no result from the page after ${ms / 60_000} min`)), ms);
      }),
    ]);
    return { samples, busyPercent: busyPercent(ticksAtStart, ticksAtLast) };
  } finally {
    clearTimeout(timer);
    await browser.stop();
    await receiver.close();
    await rm(profile, { recursive: true, force: true });
  }
}

let server: Service | undefined;
let page: { stop(): Promise<void> } | undefined;
const outputDir = await mkdtemp(join(tmpdir(), 'callrec-bench-recordings-'));
const loadBefore = loadAverage();
const startedAt = new Date().toISOString();
try {
  makeFakeMedia();
  const [serverPort, pagePort] = [await freePort(), await freePort()];
  const serverUrl = `http://127.0.0.1:${serverPort}`;
  server = await startDemoBackend({ port: serverPort, outputDir, partSize });
  const demo = await startDemoPageWith(pagePort, [PROBE]);
  page = demo;
  progress(`demo backend ${serverUrl} (local disk, ${partSize} B parts), page ${demo.url}`);

  const { samples, busyPercent: busy } = await recordAndSample(demo.url, serverUrl);
  const loadAfter = loadAverage();
  const recording = samples.filter(sampled);
  const atOneMinute = recording.find((s) => s.t >= 60) ?? recording[0];
  const last = recording.at(-1);
  if (!atOneMinute || !last) throw new Error('no samples while recording');
  const peak = (pick: (s: Sample) => number) => Math.max(...recording.map(pick));

  console.log(
    `${minutes} min call${callOnly ? ' (control: not recorded)' : ''}, 2 participants / 4 tracks (video ${videoBitrate / 1e6} Mbit/s target), local disk, ${mib(partSize)} MiB parts; ` +
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
  const file = await writeResult(`tab-memory-${minutes}min${callOnly ? '-call-only' : ''}`, {
    date: startedAt,
    machine: machine({ chromium: versionOf(CHROMIUM_EXECUTABLE) }),
    driver: 'none (plain Chromium child process; the page samples itself)',
    loadAverage: { before: loadBefore, after: loadAfter },
    busyWhileRecordingPercent: busy,
    journalWarnings,
    minutes,
    callOnly,
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
  await page?.stop();
  // Processing a long call would take many minutes of CPU the measurement does not need.
  await server?.stop();
  await rm(outputDir, { recursive: true, force: true });
}
