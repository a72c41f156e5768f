import { describe, expect, it } from 'vitest';
import { RecorderError } from '../src/errors.js';
import { type Part, PartBuffer } from '../src/part-buffer.js';

/** Pushes chunks of the given sizes; returns every part in order, the last one flushed. */
function cut(buffer: PartBuffer, sizes: number[]): { parts: Part[]; afterEachPush: number[] } {
  const parts: Part[] = [];
  const afterEachPush: number[] = [];
  for (const size of sizes) {
    parts.push(...buffer.push(size));
    afterEachPush.push(buffer.bufferedBytes);
  }
  const last = buffer.flush();
  if (last) parts.push(last);
  return { parts, afterEachPush };
}

/** Parts must tile [from, total) without gap or overlap. */
function expectContiguous(parts: Part[], from: number, total: number): void {
  let at = from;
  for (const part of parts) {
    expect(part.start).toBe(at);
    at += part.size;
  }
  expect(at).toBe(total);
}

describe('PartBuffer', () => {
  it('cuts parts of exactly partSize across odd chunk sizes, numbered from 1, last one smaller', () => {
    const sizes = [1, 7, 13, 2, 29, 3, 11, 5];
    const total = sizes.reduce((a, b) => a + b, 0); // 71
    const buffer = new PartBuffer({ partSize: 16, maxParts: 100 });
    const { parts } = cut(buffer, sizes);

    expect(parts.map((p) => p.partNumber)).toEqual([1, 2, 3, 4, 5]);
    expect(parts.map((p) => p.size)).toEqual([16, 16, 16, 16, 7]);
    expect(buffer.totalBytes).toBe(total);
    expectContiguous(parts, 0, total);
  });

  it('handles a 1-byte first chunk (a WebM header byte arriving alone)', () => {
    const buffer = new PartBuffer({ partSize: 10, maxParts: 100 });
    expect(buffer.push(1)).toEqual([]);
    const parts = buffer.push(25);
    expect(parts).toEqual([
      { partNumber: 1, start: 0, size: 10 },
      { partNumber: 2, start: 10, size: 10 },
    ]);
    expect(buffer.flush()).toEqual({ partNumber: 3, start: 20, size: 6 });
  });

  it('emits several parts from one chunk larger than a part', () => {
    const buffer = new PartBuffer({ partSize: 4, maxParts: 100 });
    expect(buffer.push(13).map((p) => p.size)).toEqual([4, 4, 4]);
    expect(buffer.bufferedBytes).toBe(1);
  });

  it('has no last part when the bytes divide evenly, and none at all for no bytes', () => {
    const even = new PartBuffer({ partSize: 5, maxParts: 10 });
    expect(cut(even, [3, 7]).parts.map((p) => p.size)).toEqual([5, 5]);
    const empty = new PartBuffer({ partSize: 5, maxParts: 10 });
    expect(empty.push(0)).toEqual([]);
    expect(empty.flush()).toBeUndefined();
  });

  it('holds less than one part after every push', () => {
    const partSize = 64;
    const buffer = new PartBuffer({ partSize, maxParts: 1000 });
    const sizes = Array.from({ length: 200 }, (_, i) => 1 + ((i * 37) % 90));
    const { afterEachPush } = cut(buffer, sizes);
    for (const held of afterEachPush) expect(held).toBeLessThan(partSize);
  });

  it('resumes at a part boundary with the right part numbers', () => {
    const buffer = new PartBuffer({ partSize: 10, maxParts: 100, startOffset: 30 });
    expect(buffer.totalBytes).toBe(30);
    expect(buffer.partCount).toBe(3);
    const { parts } = cut(buffer, [4, 12]);
    expect(parts).toEqual([
      { partNumber: 4, start: 30, size: 10 },
      { partNumber: 5, start: 40, size: 6 },
    ]);
  });

  it('resumes after a stored last part with nothing left to cut, and refuses more bytes', () => {
    const buffer = new PartBuffer({ partSize: 10, maxParts: 100, startOffset: 27 });
    expect(() => buffer.push(1)).toThrow(RecorderError);
    expect(buffer.flush()).toBeUndefined();
  });

  it('fails loudly as soon as a track would need more than maxParts', () => {
    const buffer = new PartBuffer({ partSize: 4, maxParts: 2 });
    expect(buffer.push(8).length).toBe(2);
    expect(() => buffer.push(1)).toThrowError(
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
    expect(() => buffer.push(1)).toThrow(RecorderError);
    expect(() => new PartBuffer({ partSize: 0, maxParts: 1 })).toThrow(RangeError);
    expect(() => new PartBuffer({ partSize: 1, maxParts: 0 })).toThrow(RangeError);
    expect(() => new PartBuffer({ partSize: 1, maxParts: 1, startOffset: -1 })).toThrow(RangeError);
  });
});
