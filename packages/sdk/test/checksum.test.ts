import { describe, expect, it } from 'vitest';
import { crc32, crc32Hex } from '../src/checksum.js';

const ascii = (text: string) => new TextEncoder().encode(text);

describe('crc32', () => {
  it('matches the standard check value and the empty input', () => {
    expect(crc32Hex(crc32(ascii('123456789')))).toBe('cbf43926');
    expect(crc32(new Uint8Array())).toBe(0);
    expect(crc32Hex(0)).toBe('00000000');
  });

  it('agrees with zlib on pseudo-random data, in one go and split at arbitrary points', () => {
    let seed = 7;
    const random = () => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return seed;
    };
    const data = Uint8Array.from({ length: 100_000 }, () => random() >>> 24);
    // node -e "console.log(require('zlib').crc32(data).toString(16))" on the same bytes.
    const expected = 0x25143a6a;
    expect(crc32Hex(crc32(data))).toBe(crc32Hex(expected));

    let running = 0;
    for (let offset = 0; offset < data.length; ) {
      const size = 1 + (random() % 5000);
      running = crc32(data.subarray(offset, offset + size), running);
      offset += size;
    }
    expect(running).toBe(expected);
  });

  it('detects a swapped pair of chunks', () => {
    const a = ascii('first chunk');
    const b = ascii('second chunk');
    expect(crc32(b, crc32(a))).not.toBe(crc32(a, crc32(b)));
  });
});
