import type { RecordingClient } from './api-client.js';
import type { JournaledRecording } from './chunk-journal.js';
import type { PauseSpan } from './protocol.js';
import { isTransient } from './retry.js';

/** The spans to send: the journaled ones, plus the open pause closed at `end`. Empty spans dropped. */
export function closePauses(
  record: Pick<JournaledRecording, 'pausedAt' | 'pauses'>,
  end: number,
): PauseSpan[] {
  const spans = [...(record.pauses ?? [])];
  if (record.pausedAt !== undefined)
    spans.push({ from: record.pausedAt, to: Math.max(end, record.pausedAt) });
  return spans.filter((span) => span.to > span.from);
}

/**
 * Sends each span (the server merges repeats, so sending one twice is harmless) and calls `sent`
 * for each the server took. Throws when the server stayed unreachable, so the caller keeps the
 * rest for later. A span the server refuses for good (the recording was stopped meanwhile) can
 * never be sent: it is reported and dropped.
 */
export async function sendPauses(
  api: Pick<RecordingClient, 'addPause'>,
  recordingId: string,
  spans: readonly PauseSpan[],
  sent: (span: PauseSpan) => Promise<void>,
): Promise<void> {
  for (const span of spans) {
    try {
      await api.addPause(recordingId, span);
    } catch (error) {
      if (isTransient(error)) throw error;
      console.warn(
        `callrec: the server refused pause ${span.from}-${span.to} of ${recordingId}; dropped`,
        error,
      );
    }
    await sent(span);
  }
}
