import type { CompletedPart } from '@callrec/sdk/protocol';
import { ApiError } from '../errors.js';
import type { StoredPart } from './storage.js';

/** ETags arrive quoted (`"abc"`), bare, or weak (`W/"abc"`); compare the hex only. */
export function sameEtag(a: string, b: string): boolean {
  const bare = (etag: string) => etag.replace(/^W\//, '').replaceAll('"', '').toLowerCase();
  return bare(a) === bare(b);
}

/** S3's rule: every part but the last holds at least `minPartSize` bytes. */
export function checkPartSizes(parts: { partNumber: number; size: number }[], minPartSize: number): void {
  for (const part of parts.slice(0, -1)) {
    if (part.size < minPartSize) {
      throw new ApiError(
        400,
        'part_too_small',
        `Part ${part.partNumber} is smaller than ${minPartSize} bytes`,
        {
          partNumber: part.partNumber,
          size: part.size,
          minPartSize,
        },
      );
    }
  }
}

/**
 * Checks that storage holds every requested part with the given ETag (409 `part_mismatch`) and
 * that sizes follow the multipart rules; returns the bytes the assembled object will hold.
 */
export function checkParts(requested: CompletedPart[], stored: StoredPart[], minPartSize: number): number {
  const byNumber = new Map(stored.map((p) => [p.partNumber, p]));
  const matched = requested.map(({ partNumber, etag }) => {
    const part = byNumber.get(partNumber);
    if (!part) throw mismatch(partNumber, 'Storage does not hold this part');
    if (!sameEtag(part.etag, etag)) throw mismatch(partNumber, 'ETag differs from the stored part');
    return part;
  });
  checkPartSizes(matched, minPartSize);
  return matched.reduce((sum, p) => sum + p.size, 0);
}

export function mismatch(partNumber: number, message: string): ApiError {
  return new ApiError(409, 'part_mismatch', `Part ${partNumber}: ${message}`, { partNumber });
}
