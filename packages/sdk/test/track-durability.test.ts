import { describe, expect, it } from 'vitest';
import { type FetchLike, RecordingClient, type TokenSource } from '../src/api-client.js';
import { crc32, crc32Hex } from '../src/checksum.js';
import { MemoryChunkJournal } from '../src/chunk-journal.js';
import type { TrackFailure } from '../src/errors.js';
import { ManualOnlineSignal } from '../src/online.js';
import type { RetryOptions } from '../src/retry.js';
import { TrackUpload } from '../src/track-upload.js';
import { FakeServer } from './fake-server.js';

/** Node's macrotask turn, which lets Blob reads and fetch continuations run (not in the DOM types). */
const { setImmediate } = globalThis as unknown as { setImmediate: (callback: () => void) => void };
const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

interface SetupOptions {
  journal?: MemoryChunkJournal;
  online?: ManualOnlineSignal;
  partsInFlight?: number;
  token?: TokenSource;
  fetch?: FetchLike;
}

function setup(server: FakeServer, options: SetupOptions = {}) {
  const retry: RetryOptions = {
    sleep: async () => {},
    random: () => 0,
    ...(options.online ? { online: options.online } : {}),
  };
  const client = new RecordingClient({
    serverUrl: 'http://api.test',
    token: options.token ?? 'tok',
    fetch: options.fetch ?? server.fetch,
    retry,
  });
  const journal = options.journal ?? new MemoryChunkJournal();
  const failures: TrackFailure[] = [];
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
    partsInFlight: options.partsInFlight ?? 3,
    onFailed: (failure) => failures.push(failure),
  });
  const sent: number[] = [];
  /** Records one chunk of `size` bytes continuing the byte pattern. */
  const record = (size: number) => {
    const bytes = Uint8Array.from({ length: size }, (_, i) => ((sent.length + i) * 7) % 251);
    sent.push(...bytes);
    upload.push(new Blob([bytes]));
  };
  return { upload, journal, failures, sent, record };
}

/** Lets the journal and the uploads catch up, as they do between two chunks a second apart. */
async function settle(server: FakeServer, upload: TrackUpload): Promise<void> {
  for (let i = 0; i < 1000; i++) {
    await tick();
    if (server.inFlightPuts === 0 && upload.stats.backlogBytes < server.partSize) return;
  }
}

describe('TrackUpload and its journal', () => {
  it('counts and uploads a chunk only once the journal has it', async () => {
    const server = new FakeServer();
    const journal = new MemoryChunkJournal();
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const append = journal.appendChunks.bind(journal);
    journal.appendChunks = async (track, chunks) => {
      await gate;
      return append(track, chunks);
    };
    const { upload, record, sent } = setup(server, { journal });
    upload.begin(1);
    record(25);
    for (let i = 0; i < 20; i++) await tick();
    expect(upload.stats).toMatchObject({ chunks: 0, recordedBytes: 0, backlogBytes: 25 });
    expect(server.putAttempts.size).toBe(0);

    release();
    await upload.finish(2);
    expect(server.assembled()).toEqual(sent);
    expect(upload.stats).toMatchObject({ chunks: 1, recordedBytes: 25, uploadedBytes: 25, backlogBytes: 0 });
  });

  it('keeps chunks in the journal until storage confirmed their part, then drops them', async () => {
    const server = new FakeServer();
    let releasePut: () => void = () => {};
    const putGate = new Promise<void>((resolve) => {
      releasePut = resolve;
    });
    const fetch: FetchLike = async (url, init) => {
      if (url.startsWith('http://storage.test/')) await putGate;
      return server.fetch(url, init);
    };
    const { upload, journal, record } = setup(server, { fetch, partsInFlight: 1 });
    upload.begin(1);
    record(7);
    record(7); // part 1 = [0, 10) is cut; its PUT hangs
    for (let i = 0; i < 20; i++) await tick();
    expect(journal.storedBytes).toBe(14);

    releasePut();
    await settle(server, upload);
    // [7, 14) straddles the end of part 1 and waits for part 2.
    expect(journal.storedBytes).toBe(7);
    const [track] = await journal.listTracks('rec1');
    expect(track).toMatchObject({ confirmedBytes: 10, parts: [{ partNumber: 1, start: 0, size: 10 }] });

    await upload.finish(2);
    expect(journal.storedBytes).toBe(0);
    expect((await journal.listTracks('rec1'))[0]).toMatchObject({ status: 'complete', confirmedBytes: 14 });
  });

  it('reports a CRC-32 of exactly the bytes it recorded, which storage then holds', async () => {
    const server = new FakeServer();
    const { upload, record, sent } = setup(server);
    upload.begin(1);
    for (const size of [1, 9, 13, 4, 30, 2]) record(size);
    await upload.finish(2);
    const expected = crc32Hex(crc32(Uint8Array.from(sent)));
    expect(upload.stats.crc32).toBe(expected);
    expect(crc32Hex(crc32(Uint8Array.from(server.assembled())))).toBe(expected);
  });

  it('holds no more in memory during a 30-minute call than during a 1-minute one', async () => {
    const measure = async (seconds: number) => {
      const server = new FakeServer();
      server.partSize = 16 * 1024;
      server.maxParts = 10_000;
      const journal = new MemoryChunkJournal();
      // Bytes the SDK holds outside the journal: parts read back and not yet through their PUT.
      let held = 0;
      let maxHeld = 0;
      let maxJournal = 0;
      const readBytes = journal.readBytes.bind(journal);
      journal.readBytes = async (...args) => {
        const blob = await readBytes(...args);
        held += blob.size;
        maxHeld = Math.max(maxHeld, held);
        return blob;
      };
      const fetch: FetchLike = async (url, init) => {
        const response = await server.fetch(url, init);
        if (url.startsWith('http://storage.test/')) held -= (init.body as ArrayBuffer).byteLength;
        return response;
      };
      const { upload, record, sent } = setup(server, { journal, fetch });
      upload.begin(1);
      for (let second = 0; second < seconds; second++) {
        record(900 + ((second * 389) % 700)); // ~1.2 KB/s, uneven like a real encoder
        await settle(server, upload);
        maxJournal = Math.max(maxJournal, journal.storedBytes);
      }
      await upload.finish(seconds * 1000);
      expect(server.assembled()).toEqual(sent);
      return { maxHeld, maxJournal, partSize: server.partSize, total: sent.length };
    };
    const short = await measure(60);
    const long = await measure(30 * 60);
    expect(long.total).toBeGreaterThan(2_000_000);
    // One part in flight at a time here, read from the journal just before its PUT.
    expect(long.maxHeld).toBeLessThanOrEqual(long.partSize);
    expect(long.maxHeld).toBe(short.maxHeld);
    // The journal itself holds about one part: what is not yet a whole part, plus one chunk.
    expect(long.maxJournal).toBeLessThan(long.partSize + 1600);
    expect(long.maxJournal).toBeLessThanOrEqual(Math.max(short.maxJournal, long.partSize + 1600));
  }, 120_000);
});

describe('TrackUpload on a bad network', () => {
  it('pauses while offline, keeps recording into the journal, and resumes once online', async () => {
    const server = new FakeServer();
    const online = new ManualOnlineSignal(false);
    const { upload, record, sent, journal, failures } = setup(server, { online });
    upload.begin(1);
    for (let i = 0; i < 30; i++) {
      record(7);
      await tick();
    }
    for (let i = 0; i < 20; i++) await tick();
    // Registration is waiting too: nothing went out.
    expect(server.authHeaders).toEqual([]);
    expect(upload.stats).toMatchObject({
      chunks: 30,
      recordedBytes: 210,
      uploadedBytes: 0,
      backlogBytes: 210,
    });
    expect(journal.storedBytes).toBe(210);

    online.set(true);
    await upload.finish(2);
    expect(failures).toEqual([]);
    expect(server.assembled()).toEqual(sent);
    expect(journal.storedBytes).toBe(0);
  });

  it('does not count attempts that failed because the browser went offline', async () => {
    const server = new FakeServer();
    const online = new ManualOnlineSignal(true);
    let drops = 0;
    const fetch: FetchLike = async (url, init) => {
      if (url.startsWith('http://storage.test/') && drops < 20) {
        drops++;
        online.set(false);
        setTimeout(() => online.set(true), 1);
        throw new TypeError('Failed to fetch');
      }
      return server.fetch(url, init);
    };
    const { upload, record, sent, failures } = setup(server, { online, fetch });
    upload.begin(1);
    record(10);
    // Finishing right away: only a bounded number of real failures would be tolerated now.
    await upload.finish(2);
    expect(drops).toBe(20);
    expect(failures).toEqual([]);
    expect(server.assembled()).toEqual(sent);
  });

  it('keeps retrying a failing storage while the track records, and completes later', async () => {
    const server = new FakeServer();
    server.putScripts.set(
      1,
      Array.from({ length: 30 }, () => ({ status: 503 })),
    );
    const { upload, record, sent, failures } = setup(server);
    upload.begin(1);
    record(15);
    await settle(server, upload);
    for (let i = 0; i < 200 && (server.putAttempts.get(1) ?? 0) <= 30; i++) await tick();
    expect(server.putAttempts.get(1)).toBe(31);
    expect(failures).toEqual([]);
    await upload.finish(2);
    expect(server.assembled()).toEqual(sent);
  });

  it('asks the token callback again after a 401, and fails the track with the reason on other 4xx', async () => {
    const server = new FakeServer();
    let tokens = 0;
    let refused = false;
    const fetch: FetchLike = async (url, init) => {
      if (url.endsWith('/parts') && !refused) {
        refused = true;
        return Response.json({ error: { code: 'token_expired', message: 'expired' } }, { status: 401 });
      }
      return server.fetch(url, init);
    };
    const token = async () => `tok-${++tokens}`;
    const ok = setup(server, { fetch, token });
    ok.upload.begin(1);
    ok.record(10);
    await ok.upload.finish(2);
    expect(tokens).toBe(2);
    expect(server.authHeaders.at(-1)).toBe('Bearer tok-2');

    const refusing = new FakeServer();
    refusing.putScripts.set(1, [{ status: 409, code: 'recording_not_active', message: 'stopped' }]);
    const bad = setup(refusing);
    bad.upload.begin(1);
    bad.record(10);
    await settle(refusing, bad.upload);
    expect(bad.failures).toEqual([{ code: 'recording_not_active', message: 'stopped' }]);
    expect(bad.upload.status).toBe('failed');
    expect(refusing.failBodies).toEqual([{ code: 'recording_not_active', message: 'stopped' }]);
  });
});
