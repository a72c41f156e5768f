import { describe, expect, it } from 'vitest';
import { crc32, crc32Hex } from '../src/checksum.js';
import { type JournaledTrack, MemoryChunkJournal, sliceChunks } from '../src/chunk-journal.js';
import { newJournaledTrack, TrackJournal } from '../src/track-journal.js';

const bytes = (start: number, size: number) => Uint8Array.from({ length: size }, (_, i) => (start + i) % 256);
const blob = (start: number, size: number) => new Blob([bytes(start, size)]);
const read = async (b: Blob) => [...new Uint8Array(await b.arrayBuffer())];

function track(extra: Partial<JournaledTrack> = {}): JournaledTrack {
  return {
    ...newJournaledTrack({
      recordingId: 'rec1',
      trackId: 't1',
      participantId: 'alice',
      displayName: 'Alice',
      kind: 'video',
      mimeType: 'video/webm',
    }),
    ...extra,
  };
}

describe('sliceChunks', () => {
  const chunks = [
    { offset: 0, blob: blob(0, 3) },
    { offset: 3, blob: blob(3, 5) },
    { offset: 8, blob: blob(8, 2) },
  ];

  it('stitches any range across chunk boundaries', async () => {
    expect(await read(sliceChunks(chunks, 0, 10))).toEqual([...bytes(0, 10)]);
    expect(await read(sliceChunks(chunks, 2, 9))).toEqual([...bytes(2, 7)]);
    expect(await read(sliceChunks(chunks, 4, 6))).toEqual([4, 5]);
  });

  it('refuses a range the chunks no longer cover', () => {
    expect(() => sliceChunks(chunks.slice(1), 0, 5)).toThrow(
      expect.objectContaining({ code: 'journal_missing_bytes' }),
    );
    expect(() => sliceChunks(chunks, 5, 11)).toThrow(/bytes 10-10/);
    expect(() =>
      sliceChunks(
        [chunks[0], chunks[2]].flatMap((c) => (c ? [c] : [])),
        0,
        10,
      ),
    ).toThrow();
  });
});

describe('MemoryChunkJournal', () => {
  it('drops only the chunks wholly before the confirmed offset', async () => {
    const journal = new MemoryChunkJournal();
    let state = track();
    for (const [offset, size] of [
      [0, 4],
      [4, 4],
      [8, 4],
    ] as const) {
      state = { ...state, recordedBytes: offset + size };
      await journal.appendChunks(state, [{ offset, blob: blob(offset, size) }]);
    }
    await journal.putTrack({ ...state, confirmedBytes: 6 });
    expect(journal.storedBytes).toBe(8); // [4, 8) straddles the confirmed offset and stays
    expect(await read(await journal.readBytes('rec1', 't1', 6, 12))).toEqual([...bytes(6, 6)]);
    await expect(journal.readBytes('rec1', 't1', 0, 4)).rejects.toMatchObject({
      code: 'journal_missing_bytes',
    });
  });

  it('keeps recordings apart and deletes one with its tracks and chunks', async () => {
    const journal = new MemoryChunkJournal();
    await journal.putRecording({ recordingId: 'rec1', serverUrl: 'http://s', roomId: 'r', createdAt: 1 });
    await journal.putRecording({ recordingId: 'rec2', serverUrl: 'http://s', roomId: 'r', createdAt: 2 });
    await journal.appendChunks({ ...track(), recordedBytes: 3 }, [{ offset: 0, blob: blob(0, 3) }]);
    await journal.appendChunks({ ...track({ recordingId: 'rec2' }), recordedBytes: 3 }, [
      { offset: 0, blob: blob(0, 3) },
    ]);
    await journal.deleteRecording('rec1');
    expect((await journal.listRecordings()).map((r) => r.recordingId)).toEqual(['rec2']);
    expect(await journal.listTracks('rec1')).toEqual([]);
    expect((await journal.listTracks('rec2')).map((t) => t.recordedBytes)).toEqual([3]);
    expect(journal.storedBytes).toBe(3);
  });
});

describe('TrackJournal', () => {
  it('counts a chunk only once the journal committed it, with a running CRC-32', async () => {
    const journal = new MemoryChunkJournal();
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const original = journal.appendChunks.bind(journal);
    journal.appendChunks = async (state, chunks) => {
      await gate;
      return original(state, chunks);
    };
    const writer = new TrackJournal(journal, track());
    const first = writer.append(blob(0, 5), 100);
    const second = writer.append(blob(5, 7), 200);
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect(writer.state.recordedBytes).toBe(0);
    expect(writer.stats).toMatchObject({ recordedBytes: 0, chunks: 0, backlogBytes: 12 });

    release();
    await Promise.all([first, second]);
    expect(writer.stats).toEqual({
      chunks: 2,
      recordedBytes: 12,
      uploadedBytes: 0,
      crc32: crc32Hex(crc32(bytes(0, 12))),
      backlogBytes: 12,
      waitingBytes: 0,
    });
    const [stored] = await journal.listTracks('rec1');
    expect(stored).toMatchObject({
      recordedBytes: 12,
      chunks: 2,
      lastChunkAt: 200,
      crc32: crc32(bytes(0, 12)),
    });
  });

  it('stops appending after a failed write, so the journal never has a hole', async () => {
    const journal = new MemoryChunkJournal();
    const original = journal.appendChunks.bind(journal);
    let calls = 0;
    journal.appendChunks = async (state, chunks) => {
      calls++;
      if (calls === 2) throw new Error('QuotaExceededError');
      return original(state, chunks);
    };
    const writer = new TrackJournal(journal, track());
    await writer.append(blob(0, 4), 1);
    await expect(writer.append(blob(4, 4), 2)).rejects.toThrow('QuotaExceededError');
    await expect(writer.append(blob(8, 4), 3)).rejects.toThrow('QuotaExceededError');
    expect(calls).toBe(2);
    expect(writer.state.recordedBytes).toBe(4);
    expect(writer.pendingBytes).toBe(0);
  });

  it('advances the confirmed offset only over contiguous parts, whatever order they arrive in', async () => {
    const journal = new MemoryChunkJournal();
    const writer = new TrackJournal(journal, track());
    for (let i = 0; i < 6; i++) await writer.append(blob(i * 5, 5), i);
    await writer.confirm({ partNumber: 2, etag: '"b"', start: 10, size: 10 });
    expect(writer.state.confirmedBytes).toBe(0);
    expect(journal.storedBytes).toBe(30);
    await writer.confirm({ partNumber: 1, etag: '"a"', start: 0, size: 10 });
    expect(writer.state.confirmedBytes).toBe(20);
    expect(journal.storedBytes).toBe(10);
    expect(writer.stats).toMatchObject({ uploadedBytes: 20, backlogBytes: 10 });
    // Confirmed twice (a part re-sent after a reload): counted once.
    await writer.confirm({ partNumber: 1, etag: '"a"', start: 0, size: 10 });
    expect(writer.stats.uploadedBytes).toBe(20);
  });
});
