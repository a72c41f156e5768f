import { RecorderError } from './errors.js';
import type { MediaKind } from './protocol.js';

/** Most preferred first. VP8 is the cheapest to encode and what the server composites fastest. */
export const DEFAULT_MIME_TYPES: Readonly<Record<MediaKind, readonly string[]>> = {
  video: ['video/webm;codecs=vp8', 'video/webm;codecs=vp9', 'video/webm'],
  audio: ['audio/webm;codecs=opus', 'audio/webm'],
};

export type IsTypeSupported = (mimeType: string) => boolean;

export type MimeTypePreferences = Partial<Record<MediaKind, readonly string[]>>;

function browserIsTypeSupported(mimeType: string): boolean {
  if (typeof MediaRecorder === 'undefined') {
    throw new RecorderError('unsupported_environment', 'MediaRecorder is not available in this environment');
  }
  return MediaRecorder.isTypeSupported(mimeType);
}

/** The first type of the preference list this browser can record, or a clear error. */
export function pickMimeType(
  kind: MediaKind,
  preferences: MimeTypePreferences = {},
  isTypeSupported: IsTypeSupported = browserIsTypeSupported,
): string {
  const candidates = preferences[kind] ?? DEFAULT_MIME_TYPES[kind];
  const picked = candidates.find((type) => isTypeSupported(type));
  if (!picked) {
    throw new RecorderError(
      'unsupported_mime_type',
      `this browser cannot record ${kind} as any of: ${candidates.join(', ') || '(empty list)'}`,
    );
  }
  return picked;
}
