/**
 * CRC-32 (IEEE 802.3, the one zlib, gzip and PNG use), computed incrementally over a track's
 * bytes in order. WebCrypto has no incremental digest, and a track is too long to hash at the
 * end; CRC-32 is fast, continues from its previous value, and tests can check it with
 * `zlib.crc32(bytes)` (Node ≥ 20.15) or any `crc32` tool.
 */

const TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

/** The CRC-32 of `previous`'s bytes followed by `bytes`; `previous` is 0 for the empty prefix. */
export function crc32(bytes: Uint8Array, previous = 0): number {
  let crc = ~previous >>> 0;
  for (let i = 0; i < bytes.length; i++) {
    crc = (TABLE[(crc ^ (bytes[i] as number)) & 0xff] as number) ^ (crc >>> 8);
  }
  return ~crc >>> 0;
}

/** 8 lowercase hex digits, as `crc32` tools print it. */
export function crc32Hex(value: number): string {
  return (value >>> 0).toString(16).padStart(8, '0');
}
