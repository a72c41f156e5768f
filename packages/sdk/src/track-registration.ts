import type { RecordingClient } from './api-client.js';
import { RecorderError } from './errors.js';
import type { RegisterTrackResponse } from './protocol.js';
import { type RetryOptions, withRetry } from './retry.js';
import type { TrackJournal } from './track-journal.js';

/**
 * Registers a track once its recorder started, journaling the start time first and the upload
 * target after. Registering is idempotent, so after a reload the server answers with the upload
 * it already has, and says whether the track was completed meanwhile. A track the server has as
 * failed cannot be resumed: that rejects.
 */
export async function registerJournaledTrack(
  api: Pick<RecordingClient, 'registerTrack'>,
  journal: TrackJournal,
  startedAt: number,
  retry: RetryOptions,
): Promise<RegisterTrackResponse> {
  const { recordingId, trackId, participantId, displayName, kind, mimeType } = journal.state;
  if (journal.state.startedAt === undefined) await journal.update({ startedAt });
  const request = {
    participantId,
    displayName,
    kind,
    mimeType,
    startedAt: journal.state.startedAt ?? startedAt,
  };
  const response = await withRetry(() => api.registerTrack(recordingId, trackId, request), retry);
  const { track, upload } = response;
  if (track.status === 'failed') {
    const { code = 'track_failed', message = 'the server has the track as failed' } = track.error ?? {};
    throw new RecorderError(code, message);
  }
  if (track.status !== 'complete') await journal.update({ target: upload });
  return response;
}
