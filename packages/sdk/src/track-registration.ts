import type { RecordingClient } from './api-client.js';
import { RecorderError } from './errors.js';
import type { ClockEstimate, ListedPart, RegisterTrackResponse } from './protocol.js';
import { type RetryOptions, withRetry } from './retry.js';
import type { TrackJournal } from './track-journal.js';

/**
 * Registers a track once its recorder started, journaling the start time (server clock, with the
 * clock estimate it was converted with) first and the upload target after. What was journaled is
 * what is sent, also after a reload. Registering is idempotent, so after a reload the server answers with the upload
 * it already has, and says whether the track was completed meanwhile. A track the server has as
 * failed cannot be resumed: that rejects.
 */
export async function registerJournaledTrack(
  api: Pick<RecordingClient, 'registerTrack'> & Partial<Pick<RecordingClient, 'listParts'>>,
  journal: TrackJournal,
  startedAt: number,
  retry: RetryOptions,
  clock?: ClockEstimate,
): Promise<RegisterTrackResponse> {
  const { recordingId, trackId, participantId, displayName, kind, mimeType } = journal.state;
  const registeredBefore = journal.state.target !== undefined;
  if (journal.state.startedAt === undefined) await journal.update({ startedAt, ...(clock ? { clock } : {}) });
  const sentClock = journal.state.clock;
  const request = {
    participantId,
    displayName,
    kind,
    mimeType,
    startedAt: journal.state.startedAt ?? startedAt,
    ...(sentClock ? { clock: sentClock } : {}),
  };
  const response = await withRetry(() => api.registerTrack(recordingId, trackId, request), retry);
  const { track, upload } = response;
  if (track.status === 'failed') {
    const { code = 'track_failed', message = 'the server has the track as failed' } = track.error ?? {};
    throw new RecorderError(code, message);
  }
  if (track.status === 'complete') return response;
  await journal.update({ target: upload });
  if (registeredBefore && upload.type === 'multipart' && api.listParts) {
    await adoptStoredParts(api.listParts.bind(api), journal, upload.partSize);
  }
  return response;
}

/**
 * After a reload: parts storage received whose answer the page did not live to journal are
 * taken as confirmed instead of being sent again. Only a part of exactly the size the journal
 * expects at that position counts; anything else is simply uploaded again (a re-sent part
 * replaces the stored one).
 */
async function adoptStoredParts(
  listParts: RecordingClient['listParts'],
  journal: TrackJournal,
  partSize: number,
): Promise<void> {
  const { recordingId, trackId, recordedBytes, parts } = journal.state;
  let stored: ListedPart[];
  try {
    stored = await listParts(recordingId, trackId);
  } catch (error) {
    console.warn(`callrec: could not list the stored parts of track ${trackId}; sending them again`, error);
    return;
  }
  for (const { partNumber, etag, size } of stored) {
    const start = (partNumber - 1) * partSize;
    const expected = Math.min(partSize, recordedBytes - start);
    if (start >= recordedBytes || size !== expected || parts.some((p) => p.partNumber === partNumber))
      continue;
    await journal.confirm({ partNumber, etag, start, size });
  }
}
