import type {
  FailTrackRequest,
  ListPartsResponse,
  RegisterTrackRequest,
  RegisterTrackResponse,
  SignPartsResponse,
  TrackInfo,
} from '@callrec/sdk/protocol';
import { ApiError } from '../errors.js';
import type { RecordingState, TrackState } from '../state/recording-state.js';
import { recordingNotFound } from '../state/recording-store.js';
import { storageKeys } from '../storage/keys.js';
import { change, type Emit, type RecordingContext } from './context.js';
import { toTrackInfo } from './info.js';

/** Presigned part URLs live at most 15 minutes; the SDK signs shortly before each PUT. */
export const PART_URL_TTL_SECONDS = 900;
/** Keeps a misbehaving client from growing one recording's state without bound. */
export const MAX_TRACKS_PER_RECORDING = 100;
/**
 * How far a track's start or end may lie outside the recording's life (server clock). The SDK
 * sends server-clock times, off by its clock estimate at most; a time hours away (a browser clock
 * that is wrong and never synced, or a bug) would otherwise make processing render hours of black.
 */
export const TIMELINE_SLACK_MS = 5 * 60_000;

/** 400 `time_out_of_range` unless `at` lies within the recording's life, give or take the slack. */
export function assertWithinRecording(
  draft: RecordingState,
  now: number,
  field: string,
  at: number,
  notBefore = draft.createdAt,
): void {
  const earliest = notBefore - TIMELINE_SLACK_MS;
  const latest = now + TIMELINE_SLACK_MS;
  if (at < earliest || at > latest) {
    throw new ApiError(
      400,
      'time_out_of_range',
      `${field} ${new Date(at).toISOString()} is outside the recording's life (server clock ` +
        `${new Date(earliest).toISOString()} to ${new Date(latest).toISOString()})`,
      { field, at, earliest, latest },
    );
  }
}

export function registerTrack(
  ctx: RecordingContext,
  id: string,
  trackId: string,
  body: RegisterTrackRequest,
  origin?: string,
): Promise<{ response: RegisterTrackResponse; created: boolean }> {
  return change(ctx, id, async (draft, emit) => {
    const existing = draft.tracks.find((t) => t.id === trackId);
    if (existing) {
      if (existing.participantId !== body.participantId || existing.kind !== body.kind) {
        throw new ApiError(
          409,
          'track_exists',
          `Track ${trackId} is registered for another participant or kind`,
        );
      }
      return { response: { track: toTrackInfo(existing), upload: existing.upload }, created: false };
    }
    assertActive(draft);
    assertWithinRecording(draft, ctx.now(), 'startedAt', body.startedAt);
    if (draft.tracks.length >= MAX_TRACKS_PER_RECORDING) {
      throw new ApiError(
        409,
        'too_many_tracks',
        `A recording holds at most ${MAX_TRACKS_PER_RECORDING} tracks`,
      );
    }
    const key = storageKeys.track(id, trackId, body.mimeType);
    const { uploadId, target } = await ctx.storage.createUpload(key, body.mimeType, origin);
    const track: TrackState = {
      id: trackId,
      ...body,
      status: 'recording',
      key,
      uploadId,
      upload: target,
      signedParts: [],
      lastActivityAt: ctx.now(),
    };
    draft.tracks.push(track);
    emitProgress(draft, emit);
    return { response: { track: toTrackInfo(track), upload: target }, created: true };
  });
}

export function signParts(
  ctx: RecordingContext,
  id: string,
  trackId: string,
  partNumbers: number[],
): Promise<SignPartsResponse> {
  return change(ctx, id, async (draft, emit) => {
    assertActive(draft);
    const track = multipartTrack(draft, trackId);
    const parts = await ctx.storage.signParts(track.key, track.uploadId, partNumbers, PART_URL_TTL_SECONDS);
    track.lastActivityAt = ctx.now();
    const before = track.signedParts.length;
    track.signedParts = [...new Set([...track.signedParts, ...partNumbers])].sort((a, b) => a - b);
    if (track.signedParts.length !== before) emitProgress(draft, emit);
    return { parts, expiresAt: ctx.now() + PART_URL_TTL_SECONDS * 1000 };
  });
}

/**
 * The parts storage holds for a track still uploading, for an SDK resuming after a reload. A read:
 * it takes the recording's lock (so it never sees a half-finished completion) but writes nothing.
 */
export function listParts(ctx: RecordingContext, id: string, trackId: string): Promise<ListPartsResponse> {
  return ctx.store.withLock(id, async () => {
    const state = ctx.store.get(id);
    if (!state) throw recordingNotFound(id);
    const track = multipartTrack(state, trackId);
    const stored = await ctx.storage.listParts(track.key, track.uploadId);
    return { parts: stored.map(({ partNumber, etag, size }) => ({ partNumber, etag: quoted(etag), size })) };
  });
}

export function failTrack(
  ctx: RecordingContext,
  id: string,
  trackId: string,
  body: FailTrackRequest,
): Promise<TrackInfo> {
  return change(ctx, id, async (draft) => {
    const track = findTrack(draft, trackId);
    if (track.status === 'failed') return toTrackInfo(track);
    if (track.status === 'complete') throw trackNotActive(track);
    await ctx.storage.abortUpload(track.key, track.uploadId);
    delete track.completing;
    track.status = 'failed';
    track.error = { code: body.code, message: body.message };
    return toTrackInfo(track);
  });
}

/** chunks = parts signed, participants = distinct participants, bytes = bytes of completed tracks. */
export function emitProgress(draft: RecordingState, emit: Emit): void {
  emit('recordingProgress', {
    recordingId: draft.id,
    chunks: draft.tracks.reduce((n, t) => n + t.signedParts.length, 0),
    participants: new Set(draft.tracks.map((t) => t.participantId)).size,
    bytes: draft.tracks.reduce((n, t) => n + (t.status === 'complete' ? (t.bytes ?? 0) : 0), 0),
  });
}

/** ETags as the part PUT's `ETag` header carries them: one pair of quotes. */
function quoted(etag: string): string {
  return `"${etag.replaceAll('"', '')}"`;
}

export function assertActive(draft: RecordingState): void {
  if (draft.status !== 'recording') {
    throw new ApiError(
      409,
      'recording_not_active',
      `Recording is ${draft.status}; it no longer accepts media`,
    );
  }
}

export function findTrack(draft: RecordingState, trackId: string): TrackState {
  const track = draft.tracks.find((t) => t.id === trackId);
  if (!track) throw new ApiError(404, 'track_not_found', `No track with id ${JSON.stringify(trackId)}`);
  return track;
}

function multipartTrack(state: RecordingState, trackId: string): TrackState {
  const track = findTrack(state, trackId);
  if (track.status !== 'recording') throw trackNotActive(track);
  if (track.upload.type !== 'multipart') {
    throw new ApiError(
      409,
      'upload_not_multipart',
      'This track uploads to a resumable session URL, not parts',
    );
  }
  return track;
}

export function trackNotActive(track: TrackState): ApiError {
  return new ApiError(409, 'track_not_active', `Track ${track.id} is already ${track.status}`);
}

export function bytesMismatch(expected: number, stored: number): ApiError {
  return new ApiError(
    409,
    'bytes_mismatch',
    `Storage holds ${stored} bytes, the recorder produced ${expected}`,
    {
      expected,
      stored,
    },
  );
}
