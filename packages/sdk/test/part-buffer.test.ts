import { describe, expect, it } from 'vitest';
import { RecorderError } from '../src/errors.js';
import { type Part, PartBuffer } from '../src/part-buffer.js';

/** A chunk whose bytes are `start, start+1, ...` (mod 256), so any misplaced byte shows. */
function chunk(start: number, size: number): Blob {
  return new Blob([Uint8Array.from({ length: size }, (_, i) => (start + i) % 256)]);
}

async function bytesOf(parts: Part[]): Promise<number[]> {
  const out: number[] = [];
  for (const part of parts) out.push(...new Uint8Array(await part.blob.arrayBuffer()));
  return out;
}

/** Pushes chunks of the given sizes; returns every part in order, the last one flushed. */
function cut(buffer: PartBuffer, sizes: number[]): { parts: Part[]; afterEachPush: number[] } {
  const parts: Part[] = [];
  const afterEachPush: number[] = [];
  let offset = 0;
  for (const size of sizes) {
    parts.push(...buffer.push(chunk(offset, size)));
    offset += size;
    afterEachPush.push(buffer.bufferedBytes);
  }
  const last = buffer.flush();
  if (last) parts.push(last);
  return { parts, afterEachPush };
}

describe('PartBuffer', () => {
  it('cuts parts of exactly partSize across odd chunk sizes, numbered from 1, last one smaller', async () => {
    const sizes = [1, 7, 13, 2, 29, 3, 11, 5];
    const total = sizes.reduce((a, b) => a + b, 0); // 71
    const buffer = new PartBuffer({ partSize: 16, maxParts: 100 });
    const { parts } = cut(buffer, sizes);

    expect(parts.map((p) => p.partNumber)).toEqual([1, 2, 3, 4, 5]);
    expect(parts.map((p) => p.size)).toEqual([16, 16, 16, 16, 7]);
    expect(parts.map((p) => p.blob.size)).toEqual([16, 16, 16, 16, 7]);
    expect(buffer.totalBytes).toBe(total);
    expect(await bytesOf(parts)).toEqual(Array.from({ length: total }, (_, i) => i % 256));
  });

  it('handles a 1-byte first chunk (a WebM header byte arriving alone)', async () => {
    const buffer = new PartBuffer({ partSize: 10, maxParts: 100 });
    expect(buffer.push(chunk(0, 1))).toEqual([]);
    const parts = buffer.push(chunk(1, 25));
    expect(parts.map((p) => [p.partNumber, p.size])).toEqual([
      [1, 10],
      [2, 10],
    ]);
    const last = buffer.flush();
    expect(last?.partNumber).toBe(3);
    expect(last?.size).toBe(6);
    expect(await bytesOf([...parts, last as Part])).toEqual(Array.from({ length: 26 }, (_, i) => i));
  });

  it('emits several parts from one chunk larger than a part', () => {
    const buffer = new PartBuffer({ partSize: 4, maxParts: 100 });
    expect(buffer.push(chunk(0, 13)).map((p) => p.size)).toEqual([4, 4, 4]);
    expect(buffer.bufferedBytes).toBe(1);
  });

  it('has no last part when the bytes divide evenly, and none at all for no bytes', () => {
    const even = new PartBuffer({ partSize: 5, maxParts: 10 });
    expect(cut(even, [3, 7]).parts.map((p) => p.size)).toEqual([5, 5]);
    const empty = new PartBuffer({ partSize: 5, maxParts: 10 });
    expect(empty.push(new Blob([]))).toEqual([]);
    expect(empty.flush()).toBeUndefined();
  });

  it('holds less than one part after every push', () => {
    const partSize = 64;
    const buffer = new PartBuffer({ partSize, maxParts: 1000 });
    const sizes = Array.from({ length: 200 }, (_, i) => 1 + ((i * 37) % 90));
    const { afterEachPush } = cut(buffer, sizes);
    for (const held of afterEachPush) expect(held).toBeLessThan(partSize);
  });

  it('fails loudly as soon as a track would need more than maxParts', () => {
    const buffer = new PartBuffer({ partSize: 4, maxParts: 2 });
    expect(buffer.push(chunk(0, 8)).length).toBe(2);
    expect(() => buffer.push(chunk(8, 1))).toThrowError(
      expect.objectContaining({ code: 'too_many_parts' }) as unknown as Error,
    );
  });

  it('allows exactly maxParts, the last one short', () => {
    const buffer = new PartBuffer({ partSize: 4, maxParts: 2 });
    const { parts } = cut(buffer, [3, 3]);
    expect(parts.map((p) => p.size)).toEqual([4, 2]);
  });

  it('rejects chunks after the last part was cut and nonsense sizes', () => {
    const buffer = new PartBuffer({ partSize: 4, maxParts: 2 });
    buffer.flush();
    expect(() => buffer.push(chunk(0, 1))).toThrow(RecorderError);
    expect(() => new PartBuffer({ partSize: 0, maxParts: 1 })).toThrow(RangeError);
    expect(() => new PartBuffer({ partSize: 1, maxParts: 0 })).toThrow(RangeError);
  });
});
