import type { MediaKind } from '@callrec/sdk/protocol';
import type { RecordingState, TrackState } from '../state/recording-state.js';
import { settleCompletion } from './complete-track.js';
import { change, type RecordingContext } from './context.js';
import { emitProgress } from './tracks.js';

/** What the sweeper reports for each upload it aborts. */
export interface AbandonedUpload {
  recordingId: string;
  trackId: string;
  participantId: string;
  kind: MediaKind;
  /** The last register, sign or complete request for the track (epoch ms). */
  lastActivityAt: number;
}

export interface AbandonedUploadOptions {
  /** Uploads with no activity for this long are aborted. */
  timeoutMs: number;
  /** When this server started: no client could reach it before, so idle time counts from here at the earliest. */
  since: number;
  /**
   * Stops a recording left with no live track (queues what completed, or fails it with
   * `no_media`) if `when` still holds under the recording's lock.
   */
  stop: (id: string, when: (state: RecordingState) => boolean) => Promise<unknown>;
  onAbandoned?: (upload: AbandonedUpload) => void;
}

export const ABANDONED_ERROR_CODE = 'upload_abandoned';

/**
 * Periodically aborts multipart uploads whose browser went away (tab closed for good, device
 * lost): tracks still `recording` with no activity for `timeoutMs` become `failed` with
 * `upload_abandoned`, their stored parts are freed, and each is logged and passed to
 * `onAbandoned`. A recording whose tracks are all finished and that itself saw no activity for
 * `timeoutMs` is stopped, so what did complete gets processed (and cleanup can reach it).
 */
export class AbandonedUploadSweeper {
  #ctx: RecordingContext;
  #options: AbandonedUploadOptions;
  #timer: NodeJS.Timeout | undefined;
  #current: Promise<unknown> | undefined;
  #closed = false;

  constructor(ctx: RecordingContext, options: AbandonedUploadOptions) {
    this.#ctx = ctx;
    this.#options = options;
  }

  start(): void {
    const every = Math.min(Math.max(this.#options.timeoutMs / 4, 20), 60_000);
    this.#timer = setInterval(() => this.#tick(), every);
    this.#timer.unref();
  }

  async close(): Promise<void> {
    this.#closed = true;
    clearInterval(this.#timer);
    await this.#current;
  }

  /** One pass over every recording; returns the uploads it aborted. */
  async sweep(): Promise<AbandonedUpload[]> {
    const cutoff = this.#ctx.now() - this.#options.timeoutMs;
    const aborted: AbandonedUpload[] = [];
    for (const state of this.#ctx.store.list()) {
      if (this.#closed) break;
      if (state.status !== 'recording') continue;
      try {
        if (state.tracks.some((t) => this.#stale(state, t, cutoff))) {
          aborted.push(...(await this.#abort(state.id, cutoff)));
        }
        const after = this.#ctx.store.get(state.id);
        if (after?.status === 'recording' && this.#idle(after, cutoff)) {
          // Checked again under the lock: a track may be registering right now.
          await this.#options.stop(state.id, (current) => {
            const idle = this.#idle(current, cutoff);
            if (idle)
              this.#ctx.logger.warn(`callrec: recording ${state.id} abandoned (no activity); stopping it`);
            return idle;
          });
        }
      } catch (err) {
        this.#ctx.logger.error(`callrec: sweeping abandoned uploads of recording ${state.id} failed`, err);
      }
    }
    for (const upload of aborted) this.#report(upload);
    return aborted;
  }

  #tick(): void {
    if (this.#current) return; // the previous pass is still running
    this.#current = this.sweep()
      .catch((err: unknown) => this.#ctx.logger.error('callrec: abandoned-upload sweep failed', err))
      .finally(() => {
        this.#current = undefined;
      });
  }

  #abort(id: string, cutoff: number): Promise<AbandonedUpload[]> {
    const message = `No upload activity for ${this.#options.timeoutMs} ms; the upload was aborted`;
    return change(this.#ctx, id, async (draft, emit) => {
      const found: AbandonedUpload[] = [];
      if (draft.status !== 'recording') return found;
      for (const track of draft.tracks.filter((t) => this.#stale(draft, t, cutoff))) {
        // Storage may have assembled it just before a crash; that track is complete, not abandoned.
        if (await settleCompletion(this.#ctx, track)) continue;
        await this.#ctx.storage.abortUpload(track.key, track.uploadId);
        delete track.completing;
        track.status = 'failed';
        track.error = { code: ABANDONED_ERROR_CODE, message };
        const { participantId, kind } = track;
        const lastActivityAt = track.lastActivityAt ?? draft.createdAt;
        found.push({ recordingId: id, trackId: track.id, participantId, kind, lastActivityAt });
      }
      emitProgress(draft, emit);
      return found;
    });
  }

  #stale(state: RecordingState, track: TrackState, cutoff: number): boolean {
    const last = track.lastActivityAt ?? state.createdAt;
    return track.status === 'recording' && Math.max(last, this.#options.since) < cutoff;
  }

  #idle(state: RecordingState, cutoff: number): boolean {
    if (state.tracks.some((t) => t.status === 'recording')) return false;
    const last = Math.max(
      state.createdAt,
      this.#options.since,
      ...state.tracks.map((t) => t.lastActivityAt ?? 0),
    );
    return last < cutoff;
  }

  #report(upload: AbandonedUpload): void {
    const { recordingId, trackId, lastActivityAt } = upload;
    this.#ctx.logger.warn(
      `callrec: upload of recording ${recordingId} track ${trackId} abandoned ` +
        `(last activity ${new Date(lastActivityAt).toISOString()}); aborted, track failed with ${ABANDONED_ERROR_CODE}`,
    );
    try {
      this.#options.onAbandoned?.(upload);
    } catch (err) {
      this.#ctx.logger.error('callrec: an onUploadAbandoned listener threw', err);
    }
  }
}
