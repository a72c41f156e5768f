import type { Server } from 'node:http';
import { type AddressInfo, createServer } from 'node:net';
import type { PauseSpan, RecordingInfo } from '@callrec/sdk/protocol';
import { serve } from '@hono/node-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ProcessingJob } from '../src/processing/job.js';
import { openSdkPage, type SdkPage } from './support/sdk-in-chromium.js';
import { removeDir, startServer, type TestServer, tokenFor } from './support/server-app.js';

// The SDK's CallRecorder in real Chromium against the real server: a page whose clock runs 7 s
// ahead still stores its tracks on the server's clock, pauses reach the server as spans, and two
// browsers record into one recording, one of them leaving early.

const SKEW_MS = 7000;
const PART = String(256 * 1024);

/**
 * `Date.now` runs SKEW_MS ahead (the clock the SDK reads); `performance.timeOrigin + now()` stays
 * true, and every MediaRecorder notes the true time of its `start` event.
 */
const skewClock = (skewMs: number) => `
  const realNow = Date.now.bind(Date);
  Date.now = () => realNow() + ${skewMs};
  const trueNow = () => performance.timeOrigin + performance.now();
  globalThis.trueNow = trueNow;
  globalThis.recorderStarts = [];
  const Real = MediaRecorder;
  globalThis.MediaRecorder = class extends Real {
    constructor(...args) {
      super(...args);
      this.kind = args[0].getTracks()[0].kind;
    }
    // A track's file begins at its recorder's start() call (the 'start' event comes later).
    start(...args) {
      globalThis.recorderStarts.push({ kind: this.kind, at: trueNow() });
      return super.start(...args);
    }
  };
`;

/** In the page: a CallRecorder over synthetic media (a painted canvas, an oscillator). */
const RUNNER = `
  import { CallRecorder } from '/sdk/call-recorder.js';
  import { MemoryChunkJournal } from '/sdk/chunk-journal.js';
  import { localRecordingLocks } from '/sdk/recording-lock.js';
  function media() {
    const canvas = Object.assign(document.createElement('canvas'), { width: 320, height: 180 });
    const g = canvas.getContext('2d');
    let n = 0;
    setInterval(() => {
      g.fillStyle = 'hsl(' + ((n++ * 12) % 360) + ' 80% 50%)';
      g.fillRect(0, 0, 320, 180);
    }, 33);
    const audio = new AudioContext();
    const osc = audio.createOscillator();
    const out = audio.createMediaStreamDestination();
    osc.connect(out);
    osc.start();
    return { video: canvas.captureStream(30).getVideoTracks()[0], audio: out.stream.getAudioTracks()[0] };
  }
  globalThis.events = [];
  globalThis.begin = async (serverUrl, token, roomId, participantId) => {
    const rec = new CallRecorder({
      serverUrl, token, journal: new MemoryChunkJournal(), locks: localRecordingLocks(),
      beforeUnload: false, videoBitsPerSecond: 300000,
    });
    for (const name of ['recordingPaused', 'recordingResumed', 'clockSynced', 'clockSyncFailed']) {
      rec.on(name, (payload) => globalThis.events.push({ name, payload }));
    }
    globalThis.rec = rec;
    globalThis.media = media();
    await rec.start({ roomId });
    rec.addTrack(globalThis.media.video, { participantId });
    return rec.clock.estimate;
  };
  globalThis.addAudio = (participantId) => rec.addTrack(globalThis.media.audio, { participantId });
  globalThis.act = async (what, arg) => {
    const at = trueNow();
    const result = await rec[what](arg);
    return { at, state: rec.state, status: result?.status, tracks: rec.tracks };
  };
  globalThis.sdkReady = true;
`;

let server: TestServer;
let base: string;
let closeHttp: () => Promise<void>;
const pages: SdkPage[] = [];
const jobs: ProcessingJob[] = [];

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
  server = await startServer({
    env: { RECORDING_PUBLIC_URL: base, RECORDING_PART_SIZE: PART, RECORDING_MIN_PART_SIZE: PART },
    // The job processing would get; processing itself is tested elsewhere.
    processRecording: (job, { signal }) =>
      new Promise<never>((_, reject) => {
        jobs.push(job);
        signal?.addEventListener('abort', () => reject(new Error('aborted by shutdown')));
      }),
  });
  const http = serve({ fetch: server.callrec.app.fetch, port, hostname: '127.0.0.1' }) as Server;
  await new Promise((resolve) => http.once('listening', resolve));
  closeHttp = () =>
    new Promise((resolve) => {
      http.close(() => resolve());
      http.closeAllConnections();
    });
});

afterAll(async () => {
  for (const page of pages) await page.close();
  await server?.callrec.close();
  await closeHttp?.();
  expect(server.logger.errors).toEqual([]);
  await removeDir(server.dir);
});

const bySkew = new Map<number, SdkPage>();

/** A Chromium whose clock is `skewMs` off; one per skew (each start makes a new recorder in it). */
async function browser(skewMs: number): Promise<SdkPage> {
  const open = bySkew.get(skewMs);
  if (open) return open;
  const page = await openSdkPage(RUNNER, {
    initScript: skewClock(skewMs),
    args: ['--autoplay-policy=no-user-gesture-required'],
  });
  pages.push(page);
  bySkew.set(skewMs, page);
  return page;
}

/** Chromium starts slowly on a busy 2-core machine. */
const TIMEOUT = 180_000;

type Act = { at: number; state: string; status?: string; tracks: { status: string }[] };
const run = <T>(page: SdkPage, fn: string, ...args: unknown[]) =>
  page.page.evaluate(
    ({ fn, args }) =>
      (globalThis as unknown as Record<string, (...a: unknown[]) => Promise<T>>)[fn]?.(...args),
    { fn, args },
  ) as Promise<T>;
const act = (page: SdkPage, what: string, arg?: unknown) => run<Act>(page, 'act', what, arg);
const recorderStarts = (page: SdkPage) =>
  page.page.evaluate(
    () => (globalThis as unknown as { recorderStarts: { kind: string; at: number }[] }).recorderStarts,
  );
const wait = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function info(id: string): Promise<RecordingInfo> {
  return (await server.request('GET', `/v1/recordings/${id}`, { token: tokenFor(id) })).json();
}

describe('CallRecorder in Chromium on the server clock', () => {
  it('stores track starts, pauses and the stop on the server clock from a page 7 s ahead', async () => {
    const page = await browser(SKEW_MS);
    const estimate = (await run(page, 'begin', base, tokenFor('rec-skew'), 'room', 'alice')) as {
      offsetMs: number;
      rttMs: number;
    };
    expect(Math.abs(estimate.offsetMs + SKEW_MS)).toBeLessThan(50);
    await wait(1500);
    const paused = await act(page, 'pause');
    expect(paused.state).toBe('paused');
    await run(page, 'addAudio', 'alice'); // added while paused: starts paused
    await wait(1000);
    const resumed = await act(page, 'resume');
    expect(resumed.state).toBe('recording');
    await wait(1500);
    const stopped = await act(page, 'stop');
    expect(stopped.state).toBe('stopped');
    expect(stopped.tracks.map((t) => t.status)).toEqual(['complete', 'complete']);

    const recording = await info('rec-skew');
    expect(recording.status).toMatch(/^(queued|processing)$/);
    const starts = await recorderStarts(page);
    for (const kind of ['video', 'audio']) {
      const track = recording.tracks.find((t) => t.kind === kind);
      const trueStart = starts.find((s) => s.kind === kind)?.at ?? 0;
      expect(track?.status).toBe('complete');
      expect(Math.abs((track?.startedAt ?? 0) - trueStart)).toBeLessThan(100);
      expect(Math.abs((track?.clock?.offsetMs ?? 0) + SKEW_MS)).toBeLessThan(50);
    }
    expect(recording.pauses).toHaveLength(1);
    const [pause] = recording.pauses as [PauseSpan];
    expect(Math.abs(pause.from - paused.at)).toBeLessThan(100);
    expect(Math.abs(pause.to - resumed.at)).toBeLessThan(100);
    expect(Math.abs((recording.stoppedAt ?? 0) - stopped.at)).toBeLessThan(100);

    await expect.poll(() => jobs.find((j) => j.recordingId === 'rec-skew')).toBeDefined();
    const job = jobs.find((j) => j.recordingId === 'rec-skew');
    expect(job?.pauses).toEqual(recording.pauses);
    expect(job?.tracks.map((t) => t.startedAt).sort()).toEqual(
      recording.tracks.map((t) => t.startedAt).sort(),
    );
  });

  it(
    'records two browsers into one recording; one leaves early without stopping it',
    async () => {
      const [ahead, behind] = [await browser(SKEW_MS), await browser(-3000)];
      const token = tokenFor('rec-two');
      await run(ahead, 'begin', base, token, 'room', 'alice');
      await wait(500);
      await run(behind, 'begin', base, token, 'room', 'bob'); // joins the same recording
      await wait(1500);

      const left = await act(behind, 'stop', { endRecording: false });
      expect(left.status).toBe('recording');
      expect(left.tracks.map((t) => t.status)).toEqual(['complete']);
      const during = await info('rec-two');
      expect(during.status).toBe('recording');
      expect(during.tracks.map((t) => [t.participantId, t.status])).toEqual([
        ['alice', 'recording'],
        ['bob', 'complete'],
      ]);

      await wait(500);
      const stopped = await act(ahead, 'stop');
      expect(stopped.status).toMatch(/^(queued|processing)$/);
      const done = await info('rec-two');
      expect(done.tracks.every((t) => t.status === 'complete')).toBe(true);
      // The latest: the page also recorded in the test before.
      const aliceStart = (await recorderStarts(ahead)).at(-1);
      const bobStart = (await recorderStarts(behind)).at(-1);
      const stored = (p: string) => done.tracks.find((t) => t.participantId === p);
      // 10 s apart on the browsers' clocks, in true order and distance on the server's.
      expect(Math.abs((stored('alice')?.startedAt ?? 0) - (aliceStart?.at ?? 0))).toBeLessThan(100);
      expect(Math.abs((stored('bob')?.startedAt ?? 0) - (bobStart?.at ?? 0))).toBeLessThan(100);
      expect(Math.abs((stored('bob')?.endedAt ?? 0) - left.at)).toBeLessThan(500);
    },
    TIMEOUT,
  );
});
