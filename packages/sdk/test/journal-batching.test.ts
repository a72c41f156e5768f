import { describe, expect, it } from 'vitest';
import { crc32, crc32Hex } from '../src/checksum.js';
import { type JournalChunk, type JournaledTrack, MemoryChunkJournal } from '../src/chunk-journal.js';
import { JournalLagAlarm } from '../src/journal-lag.js';
import { newJournaledTrack, TrackJournal } from '../src/track-journal.js';

const bytes = (start: number, size: number) => Uint8Array.from({ length: size }, (_, i) => (start + i) % 256);
const blob = (start: number, size: number) => new Blob([bytes(start, size)]);
const tick = () => new Promise((resolve) => setTimeout(resolve, 0));

const track = (): JournaledTrack =>
  newJournaledTrack({
    recordingId: 'rec1',
    trackId: 't1',
    participantId: 'alice',
    displayName: 'Alice',
    kind: 'video',
    mimeType: 'video/webm',
  });

/** A memory journal whose writes wait until released, recording what each write held. */
function slowJournal() {
  const journal = new MemoryChunkJournal();
  const writes: { chunks: number; offsets: number[]; recordedBytes: number }[] = [];
  const gates: (() => void)[] = [];
  let failOn: number | undefined;
  const append = journal.appendChunks.bind(journal);
  journal.appendChunks = async (state: JournaledTrack, chunks: readonly JournalChunk[]) => {
    const n = writes.push({
      chunks: state.chunks,
      offsets: chunks.map((c) => c.offset),
      recordedBytes: state.recordedBytes,
    });
    await new Promise<void>((resolve) => gates.push(resolve));
    if (n === failOn) throw new Error('QuotaExceededError');
    return append(state, chunks);
  };
  const release = async () => {
    for (let i = 0; i < 50 && gates.length === 0; i++) await tick();
    gates.shift()?.();
    await tick();
  };
  return { journal, writes, release, failOn: (n: number) => (failOn = n) };
}

describe('TrackJournal group commit', () => {
  it('commits the chunks that waited behind a slow write in one write, in order, with one CRC-32', async () => {
    const { journal, writes, release } = slowJournal();
    const writer = new TrackJournal(journal, track());
    const first = writer.append(blob(0, 4), 1);
    await tick();
    // The first write is under way; three more chunks arrive meanwhile.
    const rest = [writer.append(blob(4, 3), 2), writer.append(blob(7, 5), 3), writer.append(blob(12, 2), 4)];
    expect(writer.stats).toMatchObject({ chunks: 0, recordedBytes: 0, waitingBytes: 14, backlogBytes: 14 });

    await release();
    expect((await first).recordedBytes).toBe(4);
    expect(writer.stats).toMatchObject({ chunks: 1, recordedBytes: 4, waitingBytes: 10, backlogBytes: 14 });

    await release();
    // Each caller learns the state that counts its own chunk.
    expect((await Promise.all(rest)).map((s) => [s.chunks, s.recordedBytes, s.lastChunkAt])).toEqual([
      [2, 7, 2],
      [3, 12, 3],
      [4, 14, 4],
    ]);
    expect(writes).toEqual([
      { chunks: 1, offsets: [0], recordedBytes: 4 },
      { chunks: 4, offsets: [4, 7, 12], recordedBytes: 14 },
    ]);
    expect(writer.stats).toEqual({
      chunks: 4,
      recordedBytes: 14,
      uploadedBytes: 0,
      crc32: crc32Hex(crc32(bytes(0, 14))),
      backlogBytes: 14,
      waitingBytes: 0,
    });
    const [stored] = await journal.listTracks('rec1');
    expect(stored).toMatchObject({ chunks: 4, recordedBytes: 14, lastChunkAt: 4 });
    expect([...new Uint8Array(await (await journal.readBytes('rec1', 't1', 0, 14)).arrayBuffer())]).toEqual([
      ...bytes(0, 14),
    ]);
  });

  it('fails every chunk of a failed group write and everything after it, leaving no hole', async () => {
    const { journal, writes, release, failOn } = slowJournal();
    failOn(2);
    const writer = new TrackJournal(journal, track());
    const first = writer.append(blob(0, 4), 1);
    await tick();
    const group = [writer.append(blob(4, 4), 2), writer.append(blob(8, 4), 3)];
    const outcomes = Promise.allSettled(group);
    await release();
    await first;
    await release();
    expect((await outcomes).map((o) => o.status)).toEqual(['rejected', 'rejected']);
    // The track is broken: later chunks are refused without a write.
    await expect(writer.append(blob(12, 4), 4)).rejects.toThrow('QuotaExceededError');
    expect(writes.length).toBe(2);
    expect(writer.state).toMatchObject({ chunks: 1, recordedBytes: 4 });
    expect(writer.stats.waitingBytes).toBe(0);
    expect((await journal.listTracks('rec1'))[0]).toMatchObject({ chunks: 1, recordedBytes: 4 });
    expect(journal.storedBytes).toBe(4);
  });

  it('writes one chunk at a time while the journal keeps up', async () => {
    const journal = new MemoryChunkJournal();
    const sizes: number[] = [];
    const append = journal.appendChunks.bind(journal);
    journal.appendChunks = (state, chunks) => {
      sizes.push(chunks.length);
      return append(state, chunks);
    };
    const writer = new TrackJournal(journal, track());
    for (let i = 0; i < 3; i++) await writer.append(blob(i * 2, 2), i);
    expect(sizes).toEqual([1, 1, 1]);
  });
});

describe('JournalLagAlarm', () => {
  it('warns once per crossing, and again only after the wait fell below half the threshold', () => {
    const alarm = new JournalLagAlarm(100);
    const seen = [0, 50, 101, 150, 90, 60, 120, 49, 80, 101, 300].map((w) => alarm.update(w));
    expect(seen).toEqual([false, false, true, false, false, false, false, false, false, true, false]);
  });

  it('defaults to 32 MiB', () => {
    expect(new JournalLagAlarm().thresholdBytes).toBe(32 * 1024 * 1024);
  });
});
