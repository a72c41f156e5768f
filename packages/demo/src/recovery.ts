import { CallRecorder, type RecoveredRecording } from '@callrec/sdk';
import { recordingToken } from './backend.js';
import { $, bytes, el } from './format.js';

/**
 * Finishes the recordings an earlier visit left unfinished (reload, crash, closed tab) and lists
 * what happened to each, with every track's byte count and CRC-32 as the SDK journaled them.
 * `data-state` on the list says when it is done: `done` or `failed`.
 */
export async function recoverUnfinished(serverUrl: string): Promise<RecoveredRecording[]> {
  const list = $('recovered');
  list.dataset.state = 'running';
  try {
    const recovered = await CallRecorder.recover({
      serverUrl,
      token: (recordingId) => recordingToken(serverUrl, recordingId),
    });
    list.replaceChildren(...recovered.map(item));
    list.hidden = recovered.length === 0;
    list.dataset.state = 'done';
    return recovered;
  } catch (error) {
    list.dataset.state = 'failed';
    list.hidden = false;
    list.textContent = `Recovery failed: ${error instanceof Error ? error.message : String(error)}`;
    throw error;
  }
}

function item(recording: RecoveredRecording): HTMLLIElement {
  const tracks = recording.tracks.map((t) =>
    el(
      'li',
      {
        'data-track-id': t.trackId,
        'data-status': t.status,
        'data-recorded-bytes': String(t.recordedBytes),
        'data-crc32': t.crc32,
      },
      `${t.participantId} ${t.kind}: ${t.status}, ${bytes(t.recordedBytes)}`,
    ),
  );
  return el(
    'li',
    { 'data-testid': `recovered-${recording.recordingId}`, 'data-status': recording.status },
    `Recovered ${recording.recordingId}: ${recording.status}`,
    el('ul', {}, ...tracks),
  );
}
