import { type FetchLike, RecordingClient } from './api-client.js';
import { crc32Hex } from './checksum.js';
import type { ChunkJournal, JournaledRecording, JournaledTrack } from './chunk-journal.js';
import { RecordingApiError, type TrackFailure, toTrackFailure } from './errors.js';
import { openChunkJournal } from './indexeddb-journal.js';
import type { OnlineSignal } from './online.js';
import { closePauses, sendPauses } from './pauses.js';
import type { MediaKind, RecordingInfo } from './protocol.js';
import { defaultRecordingLocks, type RecordingLocks } from './recording-lock.js';
import type { RetryOptions, RetryPolicy } from './retry.js';
import { TrackUpload, type TrackUploadApi } from './track-upload.js';

export interface RecoverOptions {
  serverUrl: string;
  /**
   * A token for the recording being recovered: a function of its id (one recording token each),
   * or an admin token that works for all. Asked again after a 401/403.
   */
  token: string | ((recordingId: string) => Promise<string>);
  /** Defaults to the IndexedDB journal recorders use by default. */
  journal?: ChunkJournal | Promise<ChunkJournal>;
  /** Only these recordings; by default every unfinished recording of `serverUrl`. */
  recordingIds?: readonly string[];
  /**
   * False: finish the tracks this browser left, but never stop the recording, for an app whose
   * other browsers may still record into it (they, or the app's backend, stop it). By default a
   * recording is stopped unless the page had left it (`stop({ endRecording: false })`).
   */
  endRecording?: boolean;
  partsInFlight?: number;
  retry?: Partial<RetryPolicy>;
  online?: OnlineSignal;
  locks?: RecordingLocks;
  fetch?: FetchLike;
  sleep?: (ms: number) => Promise<void>;
}

export interface RecoveredTrack {
  trackId: string;
  participantId: string;
  displayName: string;
  kind: MediaKind;
  mimeType: string;
  startedAt?: number;
  endedAt?: number;
  /** `interrupted`: storage was unreachable again; the journal keeps the track for next time. */
  status: 'complete' | 'failed' | 'interrupted';
  /** What the recorder produced before the page went away, and its CRC-32 (8 hex digits). */
  recordedBytes: number;
  crc32: string;
  error?: TrackFailure;
}

/**
 * `stopped`: every track is complete or failed for good and the recording was stopped (processing
 * follows). `left`: the same, but the page had left the recording (`stop({ endRecording: false })`),
 * so it was not stopped. `gone`: the server no longer knows the recording. `locked`: a live page
 * is still recording it. `interrupted`: something could not reach the server; the journal keeps
 * it all.
 */
export interface RecoveredRecording {
  recordingId: string;
  roomId: string;
  status: 'stopped' | 'left' | 'gone' | 'locked' | 'interrupted';
  tracks: RecoveredTrack[];
  /** The server's answer to the stop, when there was one. */
  info?: RecordingInfo;
  error?: TrackFailure;
}

const sameServer = (a: string, b: string) => a.replace(/\/+$/, '') === b.replace(/\/+$/, '');

/**
 * Finishes what earlier pages left unfinished: for each journaled recording of `serverUrl` that no
 * live page is recording, uploads every byte storage has not confirmed (parts it confirmed are
 * skipped; the rest are sent again, which is safe because part uploads are idempotent),
 * completes the tracks with their original start and end times, stops the recording so
 * processing starts (unless `endRecording: false`), and clears the journal. Call it once the page has loaded.
 */
export async function recoverRecordings(options: RecoverOptions): Promise<RecoveredRecording[]> {
  const journal = await (options.journal ?? openChunkJournal());
  const locks = options.locks ?? defaultRecordingLocks();
  const recordings = (await journal.listRecordings()).filter(
    (r) =>
      sameServer(r.serverUrl, options.serverUrl) &&
      (!options.recordingIds || options.recordingIds.includes(r.recordingId)),
  );
  const results: RecoveredRecording[] = [];
  // One at a time: recovery competes for the uplink with whatever the page does next.
  for (const recording of recordings) {
    const release = await locks.tryAcquire(recording.recordingId);
    if (!release) {
      results.push({
        recordingId: recording.recordingId,
        roomId: recording.roomId,
        status: 'locked',
        tracks: [],
      });
      continue;
    }
    try {
      results.push(await recoverRecording(recording, journal, options));
    } finally {
      release();
    }
  }
  return results;
}

async function recoverRecording(
  recording: JournaledRecording,
  journal: ChunkJournal,
  options: RecoverOptions,
): Promise<RecoveredRecording> {
  const { recordingId, roomId } = recording;
  const { token } = options;
  const retry: RetryOptions = {
    ...(options.retry ? { policy: options.retry } : {}),
    ...(options.sleep ? { sleep: options.sleep } : {}),
    ...(options.online ? { online: options.online } : {}),
  };
  const client = new RecordingClient({
    serverUrl: options.serverUrl,
    token: typeof token === 'string' ? token : () => token(recordingId),
    retry,
    ...(options.fetch ? { fetch: options.fetch } : {}),
  });
  const base = { recordingId, roomId };
  let info: RecordingInfo;
  try {
    info = await client.getRecordingInfo(recordingId);
  } catch (error) {
    if (!(error instanceof RecordingApiError && error.status === 404)) {
      return { ...base, status: 'interrupted', tracks: [], error: toTrackFailure(error) };
    }
    await journal.deleteRecording(recordingId);
    return { ...base, status: 'gone', tracks: [] };
  }
  const journaled = await journal.listTracks(recordingId);
  const tracks = await Promise.all(
    journaled.map((track) =>
      finishJournaledTrack(client, journal, track, recording, retry, options.partsInFlight),
    ),
  );
  if (tracks.some((track) => track.status === 'interrupted'))
    return { ...base, status: 'interrupted', tracks };
  const endRecording = options.endRecording !== false && recording.endRecording !== false;
  if (info.status === 'recording') {
    const stoppedAt = recording.stoppedAt ?? Math.max(info.createdAt, ...tracks.map((t) => t.endedAt ?? 0));
    try {
      // Pauses first: the server takes them only while recording.
      let remaining = closePauses(recording, stoppedAt);
      await sendPauses(client, recordingId, remaining, async (span) => {
        remaining = remaining.filter((p) => p !== span);
        const { pausedAt: _closed, ...rest } = recording;
        await journal.putRecording({ ...rest, pauses: remaining });
      });
      info = endRecording
        ? await client.stopRecording(recordingId, { stoppedAt })
        : await client.getRecordingInfo(recordingId);
    } catch (error) {
      return { ...base, status: 'interrupted', tracks, error: toTrackFailure(error) };
    }
  }
  await journal.deleteRecording(recordingId);
  return { ...base, status: endRecording ? 'stopped' : 'left', tracks, info };
}

/** Uploads what is left of one journaled track and completes it; never rejects. */
export async function finishJournaledTrack(
  api: TrackUploadApi,
  journal: ChunkJournal,
  track: JournaledTrack,
  recording: Pick<JournaledRecording, 'createdAt'>,
  retry: RetryOptions,
  partsInFlight?: number,
): Promise<RecoveredTrack> {
  const endedAt = track.endedAt ?? track.lastChunkAt ?? track.startedAt ?? recording.createdAt;
  const { trackId, participantId, displayName, kind, mimeType, startedAt, recordedBytes } = track;
  const result = {
    ...{ trackId, participantId, displayName, kind, mimeType, recordedBytes, crc32: crc32Hex(track.crc32) },
    ...(startedAt === undefined ? {} : { startedAt }),
    endedAt,
  };
  if (track.status === 'complete') return { ...result, status: 'complete' };
  if (track.status === 'failed')
    return { ...result, status: 'failed', ...(track.error ? { error: track.error } : {}) };
  if (recordedBytes === 0) {
    // Nothing to save; the server marks a registered track `not_completed` when it stops.
    return {
      ...result,
      status: 'failed',
      error: { code: 'empty_track', message: 'the recorder produced no data' },
    };
  }
  const upload = new TrackUpload({ ...track, api, journal, resume: track, retry, partsInFlight });
  upload.begin(startedAt ?? recording.createdAt);
  try {
    await upload.finish(endedAt);
    return { ...result, status: 'complete' };
  } catch (error) {
    const status = upload.status === 'interrupted' ? 'interrupted' : 'failed';
    return { ...result, status, error: upload.failure ?? toTrackFailure(error) };
  }
}
