import type {
  AddPauseRequest,
  CompleteTrackRequest,
  CreateRecordingRequest,
  FailTrackRequest,
  RecordingInfo,
  RegisterTrackRequest,
  StopRecordingRequest,
} from '@callrec/sdk/protocol';
import { ApiError } from '../errors.js';
import { outputCodecsProblem } from '../processing/codecs.js';
import { mergePauses } from '../processing/plan.js';
import type { RecordingState, StoredEvent } from '../state/recording-state.js';
import { recordingNotFound } from '../state/recording-store.js';
import { completeTrack, settleCompletion } from './complete-track.js';
import { change, type RecordingContext } from './context.js';
import { appendEvent } from './events.js';
import { compositeSettings, toRecordingInfo } from './info.js';
import type { ProcessingQueue } from './processing-queue.js';
import * as tracks from './tracks.js';
import { assertActive } from './tracks.js';

const BUSY: readonly string[] = ['recording', 'queued', 'processing'];

/** The recording operations behind the HTTP API, usable directly by embedders. */
export class RecordingService {
  #ctx: RecordingContext;
  #queue: ProcessingQueue;

  constructor(ctx: RecordingContext, queue: ProcessingQueue) {
    this.#ctx = ctx;
    this.#queue = queue;
  }

  /** The server's clock (epoch ms): the one every recording's times are on. */
  now(): number {
    return this.#ctx.now();
  }

  /**
   * Idempotent while recording: the same id and room again returns the existing recording (so
   * several browsers can record into one); the first creation's settings hold.
   */
  async create(id: string, body: CreateRecordingRequest): Promise<{ info: RecordingInfo; created: boolean }> {
    const { config, store } = this.#ctx;
    const format = body.format ?? config.format;
    const videoCodec = body.videoCodec ?? config.videoCodec;
    const audioCodec = body.audioCodec ?? config.audioCodec;
    const problem = outputCodecsProblem(format, videoCodec, audioCodec);
    if (problem) throw new ApiError(400, 'unsupported_codecs', problem);
    const pending = await store.withLock(id, async () => {
      const existing = store.get(id);
      if (existing) {
        if (existing.status === 'recording' && existing.roomId === body.roomId) return undefined;
        throw new ApiError(409, 'recording_exists', `Recording ${id} already exists (${existing.status})`);
      }
      const now = this.#ctx.now();
      const { provider, bucket } = this.#ctx.storage;
      const state: RecordingState = {
        version: 1,
        id,
        roomId: body.roomId,
        status: 'recording',
        createdAt: now,
        format,
        videoCodec,
        audioCodec,
        ...compositeSettings(body, config.composite),
        pauses: [],
        storage: bucket ? { provider, bucket } : { provider },
        tracks: [],
        outputs: [],
        thumbnails: [],
        nextEventId: 1,
        events: [],
      };
      const started = { recordingId: id, roomId: body.roomId, startedAt: now };
      const event = appendEvent(state, 'recordingStarted', started, now);
      await store.save(state);
      return event;
    });
    if (pending) this.#ctx.events.emit(pending);
    return { info: await this.get(id), created: pending !== undefined };
  }

  async get(id: string): Promise<RecordingInfo> {
    const state = this.#ctx.store.get(id);
    if (!state) throw recordingNotFound(id);
    return toRecordingInfo(state, this.#ctx.storage, this.#ctx.config.composite);
  }

  exists(id: string): boolean {
    return this.#ctx.store.get(id) !== undefined;
  }

  /** The recording's persisted events, oldest first (what SSE replays). */
  eventLog(id: string): readonly StoredEvent[] {
    const state = this.#ctx.store.get(id);
    if (!state) throw recordingNotFound(id);
    return state.events;
  }

  /** Newest first. */
  async list(): Promise<RecordingInfo[]> {
    const states = this.#ctx.store.list().sort((a, b) => b.createdAt - a.createdAt);
    return Promise.all(states.map((s) => toRecordingInfo(s, this.#ctx.storage, this.#ctx.config.composite)));
  }

  registerTrack(id: string, trackId: string, body: RegisterTrackRequest, origin?: string) {
    return tracks.registerTrack(this.#ctx, id, trackId, body, origin);
  }

  signParts(id: string, trackId: string, partNumbers: number[]) {
    return tracks.signParts(this.#ctx, id, trackId, partNumbers);
  }

  completeTrack(id: string, trackId: string, body: CompleteTrackRequest) {
    return completeTrack(this.#ctx, id, trackId, body);
  }

  /** The parts storage holds for a track still uploading (multipart only). */
  listParts(id: string, trackId: string) {
    return tracks.listParts(this.#ctx, id, trackId);
  }

  failTrack(id: string, trackId: string, body: FailTrackRequest) {
    return tracks.failTrack(this.#ctx, id, trackId, body);
  }

  /**
   * Adds a span the recording was paused, merged with those already known (so sending it again
   * changes nothing). 409 `recording_not_active` once the recording stopped.
   */
  async addPause(id: string, span: AddPauseRequest): Promise<RecordingInfo> {
    await change(this.#ctx, id, (draft) => {
      assertActive(draft);
      draft.pauses = mergePauses([...(draft.pauses ?? []), { from: span.from, to: span.to }]);
    });
    return this.get(id);
  }

  /**
   * Ends the recording (idempotent). Tracks still uploading are aborted and marked failed; with
   * at least one complete track the recording is queued for processing, otherwise it fails.
   */
  async stop(
    id: string,
    body: StopRecordingRequest = {},
    /** Checked under the recording's lock: stop only if it still holds (the sweeper's idle test). */
    when?: (state: RecordingState) => boolean,
  ): Promise<RecordingInfo> {
    const queued = await change(this.#ctx, id, async (draft, emit) => {
      if (draft.status !== 'recording' || (when && !when(draft))) return false;
      for (const track of draft.tracks.filter((t) => t.status === 'recording')) {
        if (await settleCompletion(this.#ctx, track)) continue;
        await this.#ctx.storage.abortUpload(track.key, track.uploadId);
        delete track.completing;
        track.status = 'failed';
        track.error = { code: 'not_completed', message: 'The recording stopped before this track completed' };
      }
      draft.stoppedAt = body.stoppedAt ?? this.#ctx.now();
      if (draft.tracks.some((t) => t.status === 'complete')) {
        draft.status = 'queued';
        return true;
      }
      draft.status = 'failed';
      draft.error = { code: 'no_media', message: 'No track was completed, so there is nothing to process' };
      emit('recordingFailed', { recordingId: id, error: draft.error });
      return false;
    });
    if (queued) this.#queue.enqueue(id);
    return this.get(id);
  }

  /** Removes every stored object, unfinished upload and the state of the recording. */
  async delete(id: string): Promise<void> {
    await this.#ctx.store.withLock(id, async () => {
      const state = this.#ctx.store.get(id);
      if (!state) throw recordingNotFound(id);
      this.#queue.remove(id);
      // GCS cannot list open resumable sessions, so deletePrefix cannot find them: abort each
      // unfinished upload by its id first, or a late chunk could recreate an object after delete.
      for (const track of state.tracks.filter((t) => t.status === 'recording')) {
        await this.#ctx.storage.abortUpload(track.key, track.uploadId);
      }
      await this.#ctx.storage.deletePrefix(`${id}/`);
      await this.#ctx.store.delete(id);
    });
  }

  /** Deletes recordings created more than `olderThanMs` ago that are not recording or processing. */
  async cleanup(olderThanMs: number): Promise<string[]> {
    const cutoff = this.#ctx.now() - olderThanMs;
    const old = this.#ctx.store.list().filter((s) => s.createdAt < cutoff && !BUSY.includes(s.status));
    const deleted: string[] = [];
    for (const { id } of old) {
      try {
        await this.delete(id);
        deleted.push(id);
      } catch (err) {
        // Deleted concurrently by someone else: not ours to report as deleted, and not an error.
        if (!(err instanceof ApiError && err.code === 'recording_not_found')) throw err;
      }
    }
    return deleted;
  }

  /** Puts recordings a previous run left queued or processing back in the queue (oldest stop first). */
  async resumeProcessing(): Promise<string[]> {
    const unfinished = this.#ctx.store
      .list()
      .filter((s) => s.status === 'queued' || s.status === 'processing')
      .sort((a, b) => (a.stoppedAt ?? a.createdAt) - (b.stoppedAt ?? b.createdAt));
    for (const { id, status } of unfinished) {
      if (status === 'processing') {
        await change(this.#ctx, id, (draft) => {
          draft.status = 'queued';
        });
      }
      this.#queue.enqueue(id);
    }
    return unfinished.map((s) => s.id);
  }
}
