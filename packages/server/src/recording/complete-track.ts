import type { CompleteTrackRequest, TrackInfo } from '@callrec/sdk/protocol';
import { crashPoint } from '../crash-point.js';
import { ApiError } from '../errors.js';
import type { PendingCompletion, TrackState } from '../state/recording-state.js';
import { checkParts, sameEtag } from '../storage/parts.js';
import { change, type RecordingContext } from './context.js';
import { toTrackInfo } from './info.js';
import { assertWithinRecording, bytesMismatch, emitProgress, findTrack, trackNotActive } from './tracks.js';

/**
 * Assembles a track's parts in storage and records it as complete. The completion is written to
 * the state before storage assembles anything, so a server killed between the two can finish it
 * from the state alone (see settleCompletion) instead of asking storage for parts it no longer has.
 */
export function completeTrack(
  ctx: RecordingContext,
  id: string,
  trackId: string,
  body: CompleteTrackRequest,
): Promise<TrackInfo> {
  return change(ctx, id, async (draft, emit) => {
    const track = findTrack(draft, trackId);
    if (track.status === 'complete') return toTrackInfo(track);
    if (track.status === 'failed') throw trackNotActive(track);
    assertWithinRecording(draft, ctx.now(), 'endedAt', body.endedAt, track.startedAt);
    if (body.timing && track.kind !== 'video') {
      throw new ApiError(
        400,
        'timing_not_video',
        `Track ${trackId} is ${track.kind}; timing steps are for video`,
      );
    }
    const request: PendingCompletion = {
      parts: [...body.parts].sort((a, b) => a.partNumber - b.partNumber),
      bytes: body.bytes,
      endedAt: body.endedAt,
      ...(body.timing?.length ? { timing: body.timing } : {}),
    };
    if (
      track.completing &&
      sameCompletion(track.completing, request) &&
      (await settleCompletion(ctx, track))
    ) {
      emitProgress(draft, emit);
      return toTrackInfo(track);
    }
    if (track.upload.type === 'multipart') {
      const stored = await ctx.storage.listParts(track.key, track.uploadId);
      const bytes = checkParts(request.parts, stored, track.upload.minPartSize);
      if (bytes !== body.bytes) throw bytesMismatch(body.bytes, bytes);
    }
    track.completing = request;
    track.lastActivityAt = ctx.now();
    // A copy: save() freezes what it stores, and this draft is changed again below.
    await ctx.store.save(structuredClone(draft));
    crashPoint('complete:after-intent');
    const { size } = await ctx.storage.completeUpload(track.key, track.uploadId, request.parts);
    crashPoint('complete:after-storage');
    if (size !== body.bytes) {
      // The object is assembled but is not what the recorder produced: keep it, fail the track.
      delete track.completing;
      track.status = 'failed';
      track.error = { code: 'bytes_mismatch', message: `Storage holds ${size} bytes, not ${body.bytes}` };
      await ctx.store.save(draft);
      throw bytesMismatch(body.bytes, size);
    }
    markComplete(track, request, size);
    emitProgress(draft, emit);
    return toTrackInfo(track);
  });
}

/**
 * Finishes a completion that storage carried out before the server died: when the track has a
 * pending completion and its object holds exactly the bytes that completion promised, the track
 * is complete. Leftover parts of a local upload are dropped. Returns whether it settled the track.
 */
export async function settleCompletion(ctx: RecordingContext, track: TrackState): Promise<boolean> {
  const pending = track.completing;
  if (track.status !== 'recording' || !pending) return false;
  const size = await ctx.storage.size(track.key);
  if (size !== pending.bytes) return false;
  // Multipart only: a resumable (GCS) session is finished by its last chunk, nothing to drop.
  if (track.upload.type === 'multipart') await ctx.storage.abortUpload(track.key, track.uploadId);
  markComplete(track, pending, size);
  ctx.logger.info(`callrec: storage had already assembled track ${track.key}; recorded it as complete`);
  return true;
}

function markComplete(track: TrackState, completion: PendingCompletion, size: number): void {
  delete track.completing;
  track.status = 'complete';
  track.bytes = size;
  track.endedAt = completion.endedAt;
  track.parts = completion.parts;
  if (completion.timing) track.timing = completion.timing;
}

function sameCompletion(a: PendingCompletion, b: PendingCompletion): boolean {
  return (
    a.bytes === b.bytes &&
    a.parts.length === b.parts.length &&
    a.parts.every(
      (p, i) => p.partNumber === b.parts[i]?.partNumber && sameEtag(p.etag, b.parts[i]?.etag ?? ''),
    )
  );
}

/**
 * At startup: settles every completion a killed server left between storage and state. Storage
 * being unreachable must not keep the server from starting: such a recording is reported and
 * settled later (by the SDK's retry of complete, by stop, or by the abandoned-upload sweeper).
 */
export async function settleInterruptedCompletions(ctx: RecordingContext): Promise<string[]> {
  const settled: string[] = [];
  for (const state of ctx.store.list()) {
    if (!state.tracks.some((t) => t.status === 'recording' && t.completing)) continue;
    try {
      await change(ctx, state.id, async (draft, emit) => {
        let any = false;
        for (const track of draft.tracks) {
          if (await settleCompletion(ctx, track)) {
            settled.push(`${state.id}/${track.id}`);
            any = true;
          }
        }
        if (any) emitProgress(draft, emit);
      });
    } catch (err) {
      ctx.logger.error(`callrec: could not settle interrupted completions of recording ${state.id}`, err);
    }
  }
  return settled;
}
