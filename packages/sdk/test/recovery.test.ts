import { describe, expect, it } from 'vitest';
import { type FetchLike, RecordingClient } from '../src/api-client.js';
import { CallRecorder } from '../src/call-recorder.js';
import { crc32, crc32Hex } from '../src/checksum.js';
import { MemoryChunkJournal } from '../src/chunk-journal.js';
import { localRecordingLocks } from '../src/recording-lock.js';
import { recoverRecordings } from '../src/recovery.js';
import type { RetryOptions } from '../src/retry.js';
import { TrackUpload } from '../src/track-upload.js';
import { FakeGcsSession } from './fake-gcs-session.js';
import { FakeServer } from './fake-server.js';

/** Node's macrotask turn, which lets Blob reads and fetch continuations run (not in the DOM types). */
const { setImmediate } = globalThis as unknown as { setImmediate: (callback: () => void) => void };
const tick = () => new Promise<void>((resolve) => setImmediate(resolve));
const ticks = async (n = 50) => {
  for (let i = 0; i < n; i++) await tick();
};
const retry: RetryOptions = { sleep: async () => {}, random: () => 0 };
const SERVER = 'http://api.test';
const never = new Promise<Response>(() => {});

/**
 * The page before the reload: records into `journal`, uploads through `route`, and dies when told
 * to. A dead page's requests never answer, and it sends nothing more.
 */
function deadPage(server: FakeServer, journal: MemoryChunkJournal, route: FetchLike = server.fetch) {
  let dead = false;
  /** Storage keeps this PUT's bytes, but the page dies before it reads the answer. */
  let dieAfterStoring: ((url: string) => boolean) | undefined;
  /** This PUT never gets anywhere (the page is busy dying). */
  let hang: ((url: string) => boolean) | undefined;
  const fetch: FetchLike = async (url, init) => {
    if (dead || hang?.(url)) return never;
    const response = await route(url, init);
    if (dieAfterStoring?.(url)) {
      dead = true;
      return never;
    }
    return response;
  };
  const client = new RecordingClient({ serverUrl: SERVER, token: 'old', fetch, retry });
  const upload = new TrackUpload({
    api: client,
    journal,
    recordingId: 'rec1',
    trackId: 'video-1-abcd',
    participantId: 'alice',
    displayName: 'Alice',
    kind: 'video',
    mimeType: 'video/webm;codecs=vp8',
    retry,
    partsInFlight: 2,
  });
  const sent: number[] = [];
  let clock = 1000;
  const record = (size: number) => {
    const bytes = Uint8Array.from({ length: size }, (_, i) => ((sent.length + i) * 13) % 251);
    sent.push(...bytes);
    clock += 1000;
    upload.push(new Blob([bytes]), clock);
  };
  return {
    upload,
    sent,
    record,
    lastChunkAt: () => clock,
    dieAfterStoring: (match: (url: string) => boolean) => {
      dieAfterStoring = match;
    },
    hang: (match: (url: string) => boolean) => {
      hang = match;
    },
    die: () => {
      dead = true;
    },
  };
}

async function journalWithRecording() {
  const journal = new MemoryChunkJournal();
  await journal.putRecording({
    recordingId: 'rec1',
    serverUrl: `${SERVER}/`,
    roomId: 'room',
    createdAt: 500,
  });
  return journal;
}

const recover = (journal: MemoryChunkJournal, fetch: FetchLike, extra = {}) =>
  recoverRecordings({
    serverUrl: SERVER,
    token: async (id) => `tok-${id}`,
    journal,
    fetch,
    sleep: async () => {},
    locks: localRecordingLocks(),
    ...extra,
  });

/** A page that recorded 15 bytes of one track (a part went up) and died before finishing it. */
async function pageThatDiedMidTrack() {
  const server = new FakeServer();
  const journal = await journalWithRecording();
  const page = deadPage(server, journal);
  page.upload.begin(1500);
  page.record(15);
  await ticks();
  page.die();
  return { server, journal, page };
}

describe('recoverRecordings', () => {
  it.each([
    ['lists what storage holds', true, 1],
    ['cannot list parts (older server)', false, 2],
  ])(
    'skips stored parts, sends the rest, completes, stops and clears when the server %s',
    async (_, list, part3Puts) => {
      const server = new FakeServer();
      server.listParts = list;
      const journal = await journalWithRecording();
      const page = deadPage(server, journal);
      page.upload.begin(1500);
      page.record(25); // parts 1 and 2 go up
      await ticks();
      expect((await journal.listTracks('rec1'))[0]?.confirmedBytes).toBe(20);
      // Part 3 reaches storage, but the page dies before it hears so.
      page.dieAfterStoring((url) => url.endsWith('/3?signature=s'));
      page.record(12);
      await ticks();
      expect(server.stored.has(3)).toBe(true);

      const [result] = await recover(journal, server.fetch);
      expect(result).toMatchObject({ recordingId: 'rec1', roomId: 'room', status: 'stopped' });
      expect(result?.tracks).toEqual([
        expect.objectContaining({
          trackId: 'video-1-abcd',
          participantId: 'alice',
          status: 'complete',
          recordedBytes: 37,
          crc32: crc32Hex(crc32(Uint8Array.from(page.sent))),
          startedAt: 1500,
          endedAt: page.lastChunkAt(),
        }),
      ]);
      expect(server.assembled()).toEqual(page.sent);
      // Part 3 reached storage unbeknownst to the journal: listed, or sent again (idempotent).
      expect(Object.fromEntries(server.putAttempts)).toEqual({ 1: 1, 2: 1, 3: part3Puts, 4: 1 });
      expect(server.completeBodies).toEqual([
        {
          parts: [1, 2, 3, 4].map((n) => ({ partNumber: n, etag: `"etag-${n}-${n === 4 ? 7 : 10}"` })),
          bytes: 37,
          endedAt: page.lastChunkAt(),
        },
      ]);
      expect(server.stopBodies).toEqual([{ stoppedAt: page.lastChunkAt() }]);
      expect(server.authHeaders.at(-1)).toBe('Bearer tok-rec1');
      expect(await journal.listRecordings()).toEqual([]);
      expect(journal.storedBytes).toBe(0);
    },
  );

  it('keeps a part confirmed out of order and uploads the one before it', async () => {
    const server = new FakeServer();
    const journal = await journalWithRecording();
    const page = deadPage(server, journal);
    page.hang((url) => url.endsWith('/1?signature=s'));
    page.upload.begin(1500);
    page.record(23);
    await ticks();
    const [before] = await journal.listTracks('rec1');
    expect(before).toMatchObject({ confirmedBytes: 0, parts: [{ partNumber: 2, start: 10, size: 10 }] });
    page.die();

    const [result] = await recover(journal, server.fetch);
    expect(result?.status).toBe('stopped');
    expect(server.assembled()).toEqual(page.sent);
    expect(Object.fromEntries(server.putAttempts)).toEqual({ 1: 1, 2: 1, 3: 1 });
    expect(server.completeBodies[0]?.parts.map((p) => p.partNumber)).toEqual([1, 2, 3]);
  });

  it('resumes a resumable upload from what storage committed, even beyond what the journal knew', async () => {
    const server = new FakeServer();
    const session = new FakeGcsSession(4);
    server.uploadType = 'resumable';
    server.resumableTarget.url = session.url;
    server.storedBytes = () => (session.finalized ? session.bytes().length : -1);
    const route: FetchLike = (url, init) =>
      url === session.url ? session.fetch(url, init) : server.fetch(url, init);
    const journal = await journalWithRecording();
    const page = deadPage(server, journal, route);
    page.upload.begin(1500);
    page.record(12); // [0, 8) goes up
    await ticks();
    page.dieAfterStoring((url) => url === session.url);
    page.record(8); // [8, 16) is committed, unbeknownst to the journal
    await ticks();
    expect((await journal.listTracks('rec1'))[0]?.confirmedBytes).toBe(8);

    const [result] = await recover(journal, route);
    expect(result?.status).toBe('stopped');
    expect(session.bytes()).toEqual(page.sent);
    expect(session.requests.map((r) => r.contentRange)).toEqual([
      'bytes 0-7/*',
      'bytes 8-15/*',
      'bytes */*',
      'bytes 16-19/20',
    ]);
  });

  it('leaves recordings a live page holds, forgets those the server deleted, keeps the rest when it cannot reach it', async () => {
    const journal = await journalWithRecording();
    await journal.putRecording({ recordingId: 'rec2', serverUrl: SERVER, roomId: 'room', createdAt: 1 });
    await journal.putRecording({
      recordingId: 'other',
      serverUrl: 'http://elsewhere',
      roomId: 'x',
      createdAt: 1,
    });
    const locks = localRecordingLocks();
    const held = await locks.tryAcquire('rec2');
    const server = new FakeServer();
    server.recordingStatus = undefined;

    const results = await recover(journal, server.fetch, { locks });
    expect(results.map((r) => [r.recordingId, r.status])).toEqual([
      ['rec1', 'gone'],
      ['rec2', 'locked'],
    ]);
    expect((await journal.listRecordings()).map((r) => r.recordingId)).toEqual(['rec2', 'other']);

    held?.();
    const down: FetchLike = async () => {
      throw new TypeError('Failed to fetch');
    };
    const [result] = await recover(journal, down, { locks, retry: { maxAttempts: 2 } });
    expect(result).toMatchObject({
      recordingId: 'rec2',
      status: 'interrupted',
      error: { code: 'network_error' },
    });
    expect((await journal.listRecordings()).map((r) => r.recordingId)).toEqual(['rec2', 'other']);
  });

  it('with endRecording: false finishes the tracks but leaves the recording to the other browsers', async () => {
    const { server, journal, page } = await pageThatDiedMidTrack();

    const [result] = await recover(journal, server.fetch, { endRecording: false });
    expect(result).toMatchObject({ recordingId: 'rec1', status: 'left' });
    expect(result?.tracks.map((t) => t.status)).toEqual(['complete']);
    expect(server.assembled()).toEqual(page.sent);
    expect(server.completeBodies).toHaveLength(1);
    expect(server.stopBodies).toEqual([]);
    expect(await journal.listRecordings()).toEqual([]);
    expect(journal.storedBytes).toBe(0);
  });
});

describe('CallRecorder.start() after a reload into the same recording', () => {
  it('finishes the tracks the earlier page left before stopping', async () => {
    const { server, journal, page } = await pageThatDiedMidTrack();

    const recorder = new CallRecorder({
      serverUrl: SERVER,
      token: 'tok',
      fetch: server.fetch,
      sleep: async () => {},
      journal,
      locks: localRecordingLocks(),
    });
    await recorder.start({ roomId: 'room' });
    await recorder.stop();
    expect(server.assembled()).toEqual(page.sent);
    expect(server.completeBodies).toHaveLength(1);
    expect(server.stopBodies).toHaveLength(1);
    expect(await journal.listRecordings()).toEqual([]);
  });

  it('does not stop a recording whose bytes could not all be stored; recover() finishes it later', async () => {
    const { server, journal, page } = await pageThatDiedMidTrack();
    server.putScripts.set(
      2,
      Array.from({ length: 3 }, () => ({ status: 503, code: 'slow_down' })),
    );

    const locks = localRecordingLocks();
    const recorder = new CallRecorder({
      serverUrl: SERVER,
      token: 'tok',
      fetch: server.fetch,
      sleep: async () => {},
      retry: { maxAttempts: 3 },
      journal,
      locks,
    });
    await recorder.start({ roomId: 'room' });
    await expect(recorder.stop()).rejects.toMatchObject({
      name: 'RecordingInterruptedError',
      recordingId: 'rec1',
    });
    expect(recorder.state).toBe('failed');
    expect(server.stopBodies).toEqual([]);
    expect(server.failBodies).toEqual([]);
    expect((await journal.listRecordings())[0]?.stoppedAt).toBeGreaterThan(0);

    const [result] = await CallRecorder.recover({
      serverUrl: SERVER,
      token: 'tok',
      journal,
      fetch: server.fetch,
      locks,
    });
    expect(result?.status).toBe('stopped');
    expect(server.assembled()).toEqual(page.sent);
    expect(server.stopBodies).toHaveLength(1);
    expect(await journal.listRecordings()).toEqual([]);
  });
});
