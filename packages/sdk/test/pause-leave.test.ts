import { describe, expect, it } from 'vitest';
import type { FetchLike } from '../src/api-client.js';
import { CallRecorder } from '../src/call-recorder.js';
import { MemoryChunkJournal } from '../src/chunk-journal.js';
import type { RecorderEventMap } from '../src/events.js';
import { localRecordingLocks } from '../src/recording-lock.js';
import { recoverRecordings } from '../src/recovery.js';
import { FakeServer } from './fake-server.js';

// Pause/resume, leaving a recording and the server clock, through CallRecorder without media
// (MediaRecorder needs a browser: the Chromium tests in packages/server cover the recorders).

const SERVER = 'http://api.test';
const SKEW_MS = 7000;

function setup(route?: (server: FakeServer) => FetchLike) {
  const server = new FakeServer();
  // The server's clock runs 7 s behind this machine's.
  server.serverNow = () => Date.now() - SKEW_MS;
  const journal = new MemoryChunkJournal();
  const calls: string[] = [];
  const base = route?.(server) ?? server.fetch;
  const fetch: FetchLike = (url, init) => {
    const { pathname } = new URL(url);
    if (pathname !== '/v1/clock') calls.push(`${init.method} ${pathname}`);
    return base(url, init);
  };
  const recorder = new CallRecorder({
    serverUrl: SERVER,
    token: 'tok',
    fetch,
    journal,
    locks: localRecordingLocks(),
    beforeUnload: false,
    sleep: async () => {},
    retry: { maxAttempts: 2 },
  });
  const events: [keyof RecorderEventMap, unknown][] = [];
  for (const name of ['recordingPaused', 'recordingResumed', 'clockSynced', 'clockSyncFailed'] as const) {
    recorder.on(name, (payload) => events.push([name, payload]));
  }
  return { server, journal, recorder, calls, events };
}

/** Near the server's clock now (a loaded machine may take a while), far from the local one. */
const nearServerNow = (at: number | undefined) => Math.abs((at ?? 0) - (Date.now() - SKEW_MS)) < 1000;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('CallRecorder pause and resume', () => {
  it('pauses and resumes, sending the span on the server clock', async () => {
    const { server, recorder, events, journal } = setup();
    await recorder.start({ roomId: 'room' });
    expect(recorder.clock.estimate?.offsetMs).toBeCloseTo(-SKEW_MS, -2);
    expect(events[0]?.[0]).toBe('clockSynced');

    await recorder.pause();
    expect(recorder.state).toBe('paused');
    const pausedAt = (events.at(-1)?.[1] as { pausedAt: number } | undefined)?.pausedAt ?? 0;
    expect(events.at(-1)).toEqual(['recordingPaused', { recordingId: 'rec1', pausedAt }]);
    expect(nearServerNow(pausedAt)).toBe(true);
    // The open pause is journaled: a stop or recovery closes it.
    expect((await journal.listRecordings())[0]?.pausedAt).toBe(pausedAt);
    await expect(recorder.pause()).rejects.toThrow('cannot pause while the recorder is paused');

    await sleep(30);
    await recorder.resume();
    expect(recorder.state).toBe('recording');
    expect(server.pauseBodies).toHaveLength(1);
    const [span] = server.pauseBodies;
    expect(span?.from).toBe(pausedAt);
    expect(nearServerNow(span?.to)).toBe(true);
    expect((span?.to ?? 0) - (span?.from ?? 0)).toBeGreaterThanOrEqual(25);
    expect(events.at(-1)).toEqual(['recordingResumed', { recordingId: 'rec1', pause: span }]);
    const journaled = (await journal.listRecordings())[0];
    expect(journaled?.pausedAt).toBeUndefined();
    expect(journaled?.pauses).toEqual([]);
    await expect(recorder.resume()).rejects.toThrow('cannot resume while the recorder is recording');

    await recorder.stop();
    expect(server.stopBodies).toHaveLength(1);
    expect(nearServerNow(server.stopBodies[0]?.stoppedAt)).toBe(true);
  });

  it('stop() while paused closes the pause at the stop time, before stopping', async () => {
    const { server, recorder, calls } = setup();
    await recorder.start({ roomId: 'room' });
    await recorder.pause();
    await sleep(20);
    await recorder.stop();
    const stoppedAt = server.stopBodies[0]?.stoppedAt;
    expect(server.pauseBodies).toEqual([{ from: expect.any(Number), to: stoppedAt }]);
    expect(calls).toEqual([
      'POST /v1/recordings',
      'POST /v1/recordings/rec1/pauses',
      'POST /v1/recordings/rec1/stop',
    ]);
  });

  it('keeps a span the server did not take at resume, and sends it at stop', async () => {
    let refuse = true;
    const { server, recorder, journal } = setup((server) => async (url, init) => {
      if (refuse && url.endsWith('/pauses')) return Response.json({}, { status: 503 });
      return server.fetch(url, init);
    });
    await recorder.start({ roomId: 'room' });
    await recorder.pause();
    await sleep(5);
    await recorder.resume(); // resolves: the recording goes on
    expect(recorder.state).toBe('recording');
    expect(server.pauseBodies).toEqual([]);
    const pending = (await journal.listRecordings())[0]?.pauses;
    expect(pending).toHaveLength(1);
    refuse = false;
    await recorder.stop();
    expect(server.pauseBodies).toEqual(pending);
  });

  it('recovery sends journaled spans, closes an open pause at the stop time, then stops', async () => {
    const { server, journal } = setup();
    await journal.putRecording({
      recordingId: 'rec1',
      serverUrl: SERVER,
      roomId: 'room',
      createdAt: 100,
      stoppedAt: 900,
      pauses: [{ from: 200, to: 300 }],
      pausedAt: 700,
    });
    const [result] = await recoverRecordings({
      serverUrl: SERVER,
      token: 'tok',
      journal,
      fetch: server.fetch,
      sleep: async () => {},
      locks: localRecordingLocks(),
    });
    expect(result?.status).toBe('stopped');
    expect(server.pauseBodies).toEqual([
      { from: 200, to: 300 },
      { from: 700, to: 900 },
    ]);
    expect(server.stopBodies).toEqual([{ stoppedAt: 900 }]);
    expect(await journal.listRecordings()).toEqual([]);
  });
});

describe('CallRecorder leaving a recording', () => {
  it('stop({ endRecording: false }) finishes this page but leaves the recording running', async () => {
    const { server, recorder, calls, journal } = setup();
    await recorder.start({ roomId: 'room' });
    await recorder.pause();
    await sleep(5);
    const info = await recorder.stop({ endRecording: false });
    expect(info.status).toBe('recording');
    expect(recorder.state).toBe('stopped');
    expect(server.stopBodies).toEqual([]);
    expect(server.pauseBodies).toHaveLength(1);
    expect(calls).toEqual([
      'POST /v1/recordings',
      'POST /v1/recordings/rec1/pauses',
      'GET /v1/recordings/rec1',
    ]);
    expect(await journal.listRecordings()).toEqual([]);
  });

  it('recovery of a page that was leaving finishes its tracks without stopping the recording', async () => {
    const { server, journal } = setup();
    await journal.putRecording({
      recordingId: 'rec1',
      serverUrl: SERVER,
      roomId: 'room',
      createdAt: 100,
      stoppedAt: 900,
      endRecording: false,
    });
    const [result] = await recoverRecordings({
      serverUrl: SERVER,
      token: 'tok',
      journal,
      fetch: server.fetch,
      sleep: async () => {},
      locks: localRecordingLocks(),
    });
    expect(result?.status).toBe('left');
    expect(server.stopBodies).toEqual([]);
    expect(await journal.listRecordings()).toEqual([]);
  });

  it('a second recorder on the same recording joins it', async () => {
    const a = setup();
    const b = setup(() => a.server.fetch);
    const first = await a.recorder.start({ roomId: 'room' });
    const second = await b.recorder.start({ roomId: 'room' });
    expect(second.id).toBe(first.id);
    await b.recorder.stop({ endRecording: false });
    expect(a.server.stopBodies).toEqual([]);
    await a.recorder.stop();
    expect(a.server.stopBodies).toHaveLength(1);
  });
});

describe('CallRecorder clock sync', () => {
  it('warns when the server clock cannot be read, and records on the local clock meanwhile', async () => {
    const { recorder, events, server } = setup((server) => async (url, init) => {
      if (url.endsWith('/v1/clock')) throw new TypeError('Failed to fetch');
      return server.fetch(url, init);
    });
    await recorder.start({ roomId: 'room' });
    expect(recorder.state).toBe('recording');
    expect(events.map(([name]) => name)).toEqual(['clockSyncFailed']);
    expect(events[0]?.[1]).toMatchObject({ code: 'clock_sync_failed', offsetMs: 0, attempt: 1 });
    expect(recorder.clock.estimate).toBeUndefined();
    const before = Date.now();
    await recorder.stop();
    expect(server.stopBodies[0]?.stoppedAt).toBeGreaterThanOrEqual(before);
    expect(server.stopBodies[0]?.stoppedAt).toBeLessThanOrEqual(Date.now());
  });
});
