import { extname } from 'node:path';
import { ID_PATTERN } from '@callrec/sdk/protocol';

/**
 * The storage layout, in one place. Every key starts with the recording id, so deleting a
 * recording is deleting a prefix:
 * `<rid>/tracks/<trackId>.<ext>`, `<rid>/participants/<participantId>.<ext>`,
 * `<rid>/composite.<ext>`, `<rid>/thumbnails/<position>.jpg`.
 */
export const storageKeys = {
  track: (recordingId: string, trackId: string, mimeType: string) =>
    `${recordingId}/tracks/${trackId}.${containerOf(mimeType)}`,
  participant: (recordingId: string, participantId: string, ext: string) =>
    `${recordingId}/participants/${participantId}${ext}`,
  composite: (recordingId: string, ext: string) => `${recordingId}/composite${ext}`,
  thumbnail: (recordingId: string, position: number) => `${recordingId}/thumbnails/${position}.jpg`,
};

/** A key segment: no empty, `.` or `..` segments, no separators, nothing a file system treats specially. */
const SEGMENT = /^[A-Za-z0-9_@-][A-Za-z0-9_.@-]{0,127}$/;

export function isSafeKey(key: string): boolean {
  const segments = key.split('/');
  return ID_PATTERN.test(segments[0] ?? '') && segments.every((s) => SEGMENT.test(s));
}

/** Like isSafeKey, but a prefix may end with `/`. */
export function isSafePrefix(prefix: string): boolean {
  return isSafeKey(prefix.endsWith('/') ? prefix.slice(0, -1) : prefix);
}

const CONTENT_TYPES: Record<string, string> = {
  '.webm': 'video/webm',
  '.mp4': 'video/mp4',
  '.m4a': 'audio/mp4',
  '.ogg': 'audio/ogg',
  '.jpg': 'image/jpeg',
  '.png': 'image/png',
};

export function contentTypeForKey(key: string): string {
  return CONTENT_TYPES[extname(key).toLowerCase()] ?? 'application/octet-stream';
}

/** MediaRecorder writes WebM or (fragmented) MP4; the raw track keeps that container's extension. */
function containerOf(mimeType: string): 'webm' | 'mp4' {
  return /^(audio|video)\/mp4\b/i.test(mimeType) ? 'mp4' : 'webm';
}
