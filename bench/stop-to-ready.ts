/**
 * Stop-to-ready benchmark: records a two-party call through the demo page in Debian's Chromium
 * (fake camera and microphone at 640x360, as the e2e does: 2 participants, 4 tracks, video at
 * 2 Mbit/s), stops it, and times what the user waits for.
 *
 *   node_modules/.bin/tsx bench/stop-to-ready.ts [--storage local|s3] [--seconds 60]
 *     [--part-size BYTES] [--video-bitrate 2000000]
 *
 * `--storage s3` needs the RGW from `eval "$(scripts/s3-server.sh start)"` (CALLREC_TEST_S3_*);
 * it uses bucket `callrec-bench` (created, CORS applied with the project's setupBucket) and deletes
 * the recording afterwards. Part size defaults to the server's (8 MiB). The demo backend and Vite
 * run on free ports with a temporary RECORDING_OUTPUT_DIR. Prints a markdown table and writes
 * bench/results/stop-to-ready-<storage>[-<part size>].json.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { fakeMediaChromium } from '../e2e/chromium.js';
import { CONFIG_DEFAULTS } from '../packages/server/src/config.js';
import type { RecordingState } from '../packages/server/src/state/recording-state.js';
import { setupBucket } from '../packages/server/src/storage/s3-bucket-setup.js';
import { createS3Client } from '../packages/server/src/storage/s3-client.js';
import { clickStop, instrument, type PageLog, readLog, type TrackCounters } from './support/demo-page.js';
import { startDemoBackend, startDemoVite } from './support/demo-stack.js';
import { FAKE_AUDIO, FAKE_VIDEO, makeFakeMedia } from './support/fake-media.js';
import { CHROMIUM_PATH, chromium } from './support/playwright.js';
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

const S3_BUCKET = 'callrec-bench';
const COMPLETION_TIMEOUT_MS = 20 * 60_000;

const { values: args } = parseArgs({
  options: {
    storage: { type: 'string', default: 'local' },
    seconds: { type: 'string', default: '60' },
    'part-size': { type: 'string', default: String(CONFIG_DEFAULTS.partSize) },
    'video-bitrate': { type: 'string', default: '2000000' },
  },
});
const storage = args.storage;
if (storage !== 'local' && storage !== 's3') throw new Error(`--storage must be local or s3, got ${storage}`);
const recordSeconds = Number(args.seconds);
const partSize = Number(args['part-size']);
const videoBitrate = Number(args['video-bitrate']);
if (!(recordSeconds > 0) || !(partSize >= 1024) || !(videoBitrate > 0)) {
  throw new Error('--seconds, --part-size and --video-bitrate must be positive numbers');
}

const progress = (message: string) =>
  console.error(`[bench] ${new Date().toISOString().slice(11, 19)} ${message}`);

/** Server env for the chosen storage; for S3 also makes sure the bucket exists with CORS for the page. */
async function storageEnv(pageOrigin: string): Promise<Record<string, string>> {
  if (storage === 'local') return {};
  const endpoint = process.env.CALLREC_TEST_S3_ENDPOINT;
  const accessKeyId = process.env.CALLREC_TEST_S3_ACCESS_KEY_ID;
  const secretAccessKey = process.env.CALLREC_TEST_S3_SECRET_ACCESS_KEY;
  const region = process.env.CALLREC_TEST_S3_REGION ?? 'us-east-1';
  if (!endpoint || !accessKeyId || !secretAccessKey) {
    throw new Error('--storage s3 needs an S3 server: eval "$(scripts/s3-server.sh start)" first');
  }
  if (!/^http:\/\/127\.0\.0\.1[:/]/.test(endpoint))
    throw new Error(`refusing a non-loopback S3 endpoint ${endpoint}`);
  const client = createS3Client({
    bucket: S3_BUCKET,
    endpoint,
    region,
    credentials: { accessKeyId, secretAccessKey },
  });
  await setupBucket(client, S3_BUCKET, {
    corsOrigins: [pageOrigin],
    abortIncompleteAfterDays: 1,
    create: true,
  });
  client.destroy();
  return {
    RECORDING_STORAGE_PROVIDER: 'aws',
    RECORDING_STORAGE_BUCKET: S3_BUCKET,
    RECORDING_STORAGE_ENDPOINT: endpoint,
    RECORDING_STORAGE_REGION: region,
    AWS_ACCESS_KEY_ID: accessKeyId,
    AWS_SECRET_ACCESS_KEY: secretAccessKey,
  };
}

interface Run {
  recordingId: string;
  clickedRecord: number;
  stop: { t: number; tracks: TrackCounters[] };
  log: PageLog;
  tracks: TrackCounters[];
  /** The page's final status line when it is not `completed`. */
  pageError?: string;
  state: RecordingState;
  busyDuringCall: number;
  busyAfterStop: number;
}

async function api<T>(serverUrl: string, path: string, init: RequestInit = {}): Promise<T> {
  const admin = (await (await fetch(`${serverUrl}/demo/admin-token`)).json()) as { token: string };
  const response = await fetch(`${serverUrl}${path}`, {
    ...init,
    headers: { authorization: `Bearer ${admin.token}` },
  });
  if (!response.ok)
    throw new Error(`${init.method ?? 'GET'} ${path}: HTTP ${response.status} ${await response.text()}`);
  return (response.status === 204 ? undefined : await response.json()) as T;
}

/** The state file is written atomically; poll until it shows the final status the page saw. */
async function finalState(outputDir: string, id: string): Promise<RecordingState> {
  const file = join(outputDir, '.state', `${id}.json`);
  for (let i = 0; i < 50; i++) {
    const state = JSON.parse(await readFile(file, 'utf8')) as RecordingState;
    if (state.status === 'completed' || state.status === 'failed') return state;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${file} never reached completed/failed`);
}

async function recordCall(pageUrl: string, outputDir: string): Promise<Run> {
  const browser = await chromium.launch(fakeMediaChromium(FAKE_VIDEO, FAKE_AUDIO));
  try {
    const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
    page.on('console', (msg) => msg.type() === 'error' && progress(`page error: ${msg.text()}`));
    page.on('pageerror', (error) => progress(`page exception: ${error.message}`));
    const status = (s: string) => `[data-testid="status"][data-state="${s}"]`;
    // The demo's `?videoBitsPerSecond=` (a page without it records at the SDK's default, 2 Mbit/s).
    await page.goto(`${pageUrl}/?videoBitsPerSecond=${videoBitrate}`);
    await page.waitForSelector(status('idle'), { state: 'attached', timeout: 60_000 });
    await instrument(page);

    await page.click('[data-testid="record"]');
    await page.waitForSelector(status('recording'), { state: 'attached', timeout: 30_000 });
    const clickedRecord = Date.now();
    const recordingId = (await page.getAttribute('[data-testid="recording-id"]', 'data-recording-id')) ?? '';
    progress(`recording ${recordingId} for ${recordSeconds} s`);
    const callTicks = cpuTicks();
    while (Date.now() - clickedRecord < recordSeconds * 1000) {
      await page.waitForTimeout(Math.min(10_000, recordSeconds * 1000 - (Date.now() - clickedRecord)));
      const { tracks } = await readLog(page);
      const sum = (pick: (t: TrackCounters) => number) => tracks.reduce((s, t) => s + pick(t), 0);
      progress(
        `  ${Math.round((Date.now() - clickedRecord) / 1000)} s: recorded ${sum((t) => t.recorded)} B, uploaded ${sum((t) => t.uploaded)} B`,
      );
    }
    const stopTicks = cpuTicks();
    const stop = await clickStop(page);
    progress('stop clicked; waiting for the recording to complete');
    await page.waitForSelector(`${status('completed')}, ${status('failed')}`, {
      state: 'attached',
      timeout: COMPLETION_TIMEOUT_MS,
    });
    const busyAfterStop = busyPercent(stopTicks, cpuTicks());
    const { log, tracks } = await readLog(page);
    // The server's own record is the truth; the page can still fail after `recordingCompleted`
    // (e.g. when fetching the final info fails), which the report then says.
    const state = await finalState(outputDir, recordingId);
    if (state.status !== 'completed')
      throw new Error(`recording ${state.status}: ${JSON.stringify(state.error)}`);
    const pageState = await page.getAttribute('[data-testid="status"]', 'data-state');
    const pageError =
      pageState === 'completed' ? undefined : ((await page.textContent('[data-testid="status"]')) ?? '');
    return {
      recordingId,
      clickedRecord,
      stop,
      log,
      tracks,
      state,
      ...(pageError === undefined ? {} : { pageError }),
      busyDuringCall: busyPercent(callTicks, stopTicks),
      busyAfterStop,
    };
  } finally {
    await browser.close();
  }
}

function summarize(run: Run) {
  const { stop, log, state } = run;
  const firstAfterStop = (s: string) => log.states.find((x) => x.state === s && x.t >= stop.t)?.t;
  const eventAt = (name: string) => log.events.find((e) => e.name === name && e.t >= stop.t)?.t;
  const serverAt = (name: string) => state.events.find((e) => e.name === name)?.at;
  const stopResolved = firstAfterStop('processing');
  const completedEvent = eventAt('recordingCompleted');
  const tracksComplete = Math.max(...Object.values(log.ended));
  const processingAt = serverAt('recordingProcessing');
  const completedAt = serverAt('recordingCompleted');
  if (!stopResolved || !completedEvent || !processingAt || !completedAt) {
    throw new Error(
      `missing timestamps: ${JSON.stringify({ stopResolved, completedEvent, processingAt, completedAt })}`,
    );
  }
  const s = (ms: number) => round(ms / 1000, 2);
  const recordedAtStop = stop.tracks.reduce((sum, t) => sum + t.recorded, 0);
  const uploadedAtStop = stop.tracks.reduce((sum, t) => sum + t.uploaded, 0);
  const backlogAtStop = recordedAtStop - uploadedAtStop;
  const duringCall = log.samples.filter((x) => x.t >= run.clickedRecord && x.t <= stop.t);
  const processingSeconds = (completedAt - processingAt) / 1000;
  const duration = state.duration ?? Number.NaN;
  const stopToTracks = (tracksComplete - stop.t) / 1000;
  return {
    recordingId: run.recordingId,
    compositeSeconds: round(duration, 2),
    recordedBytes: run.tracks.reduce((sum, t) => sum + t.recorded, 0),
    backlogAtStopBytes: backlogAtStop,
    recordedAtStopBytes: recordedAtStop,
    uploadedAtStopBytes: uploadedAtStop,
    maxBacklogDuringCallBytes: Math.max(0, ...duringCall.map((x) => x.recorded - x.uploaded)),
    stopClickToTracksCompleteS: s(tracksComplete - stop.t),
    /** Backlog drained per second after stop (includes the recorders' final flush). */
    drainMiBps: round(backlogAtStop / MiB / stopToTracks, 1),
    stopClickToStopResolvedS: s(stopResolved - stop.t),
    stopResolvedToCompletedS: s(completedEvent - stopResolved),
    stopClickToCompletedS: s(completedEvent - stop.t),
    processingS: round(processingSeconds, 2),
    processingXRealtime: round(duration / processingSeconds, 2),
    busyDuringCallPercent: run.busyDuringCall,
    busyAfterStopPercent: run.busyAfterStop,
    pageError: run.pageError ?? null,
    tracks: state.tracks.map((t) => {
      const atStop = stop.tracks.find((x) => x.trackId === t.id);
      const ended = log.ended[t.id];
      const seconds = ((t.endedAt ?? Number.NaN) - t.startedAt) / 1000;
      return {
        trackId: t.id,
        participantId: t.participantId,
        kind: t.kind,
        bytes: t.bytes ?? 0,
        seconds: round(seconds, 2),
        kbps: Math.round(((t.bytes ?? 0) * 8) / seconds / 1000),
        backlogAtStopBytes: atStop ? atStop.recorded - atStop.uploaded : null,
        completeAfterStopS: ended === undefined ? null : s(ended - stop.t),
      };
    }),
  };
}

const fmtBytes = (n: number) => `${(n / MiB).toFixed(2)} MiB`;

let server: Service | undefined;
let vite: Service | undefined;
const outputDir = await mkdtemp(join(tmpdir(), 'callrec-bench-recordings-'));
const loadBefore = loadAverage();
try {
  makeFakeMedia();
  const [serverPort, pagePort] = [await freePort(), await freePort()];
  const serverUrl = `http://127.0.0.1:${serverPort}`;
  const pageUrl = `http://127.0.0.1:${pagePort}`;
  const env = await storageEnv(pageUrl);
  server = await startDemoBackend({ port: serverPort, outputDir, partSize, env });
  vite = await startDemoVite(pagePort, serverUrl);
  progress(`demo backend ${serverUrl} (${storage}, ${partSize} B parts), page ${pageUrl}`);

  const run = await recordCall(pageUrl, outputDir);
  const result = summarize(run);
  await api(serverUrl, `/v1/recordings/${run.recordingId}`, { method: 'DELETE' });
  const loadAfter = loadAverage();

  const label = storage === 'local' ? 'local disk' : `S3 (Ceph RGW, bucket ${S3_BUCKET})`;
  console.log(
    `${recordSeconds} s call, 2 participants / 4 tracks (video ${videoBitrate / 1e6} Mbit/s target), ${label}, ${fmtBytes(partSize)} parts`,
  );
  console.log('');
  console.log(
    table(
      ['metric', 'value'],
      [
        ['recording (composite duration)', `${result.compositeSeconds} s`],
        ['recorded, all tracks', fmtBytes(result.recordedBytes)],
        ['backlog at stop (recorded − uploaded)', fmtBytes(result.backlogAtStopBytes)],
        ['largest backlog during the call', fmtBytes(result.maxBacklogDuringCallBytes)],
        ['Stop click → every track complete', `${result.stopClickToTracksCompleteS} s`],
        ['Stop click → `stop()` resolved', `${result.stopClickToStopResolvedS} s`],
        ['`stop()` resolved → `recordingCompleted`', `${result.stopResolvedToCompletedS} s`],
        ['Stop click → `recordingCompleted`', `${result.stopClickToCompletedS} s`],
        ['processing (server: recordingProcessing → recordingCompleted)', `${result.processingS} s`],
        ['processing speed', `${result.processingXRealtime}× realtime`],
        [
          'CPU busy, whole machine: during call / after stop',
          `${result.busyDuringCallPercent} % / ${result.busyAfterStopPercent} %`,
        ],
        ['load average before / after', `${loadBefore.join(' ')} / ${loadAfter.join(' ')}`],
      ],
    ),
  );
  console.log('');
  console.log(
    table(
      ['track', 'bytes', 'bitrate', 'backlog at stop', 'complete after stop'],
      result.tracks.map((t) => [
        `${t.participantId} ${t.kind}`,
        fmtBytes(t.bytes),
        `${t.kbps} kbit/s`,
        t.backlogAtStopBytes === null ? '–' : fmtBytes(t.backlogAtStopBytes),
        t.completeAfterStopS === null ? '–' : `${t.completeAfterStopS} s`,
      ]),
    ),
  );
  if (result.pageError) {
    console.log('');
    console.log(`Note: the server completed the recording, but the page ended with: ${result.pageError}`);
  }
  const suffix = partSize === CONFIG_DEFAULTS.partSize ? '' : `-${partSize}`;
  const file = await writeResult(`stop-to-ready-${storage}${suffix}`, {
    date: new Date().toISOString(),
    machine: machine({ chromium: versionOf(CHROMIUM_PATH), ffmpeg: versionOf('ffmpeg', ['-version']) }),
    loadAverage: { before: loadBefore, after: loadAfter },
    storage,
    partSize,
    videoBitrate,
    recordSeconds,
    ...result,
    pageLog: run.log,
    serverEvents: run.state.events.map(({ name, at }) => ({ name, at })),
  });
  progress(`wrote ${file}`);
} catch (error) {
  if (server) progress(`demo backend's last lines:\n${server.output()}`);
  throw error;
} finally {
  await vite?.stop();
  await server?.stop();
  await rm(outputDir, { recursive: true, force: true });
}
