import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { extname, join } from 'node:path';
import type { OutputInfo, ThumbnailInfo } from '@callrec/sdk/protocol';
import { crashPoint } from '../crash-point.js';
import { ProcessingError, type ProcessingJob, type ProcessingResult } from '../processing/job.js';
import type { ProcessingOptions } from '../processing/pipeline.js';
import type { RecordingState } from '../state/recording-state.js';
import { storageKeys } from '../storage/keys.js';
import { change, type RecordingContext } from './context.js';
import { compositeSettings } from './info.js';

export type ProcessRecording = (
  job: ProcessingJob,
  options: Pick<ProcessingOptions, 'signal' | 'logger'>,
) => Promise<ProcessingResult>;

type StoredOutput = Omit<OutputInfo, 'url'>;

/**
 * Work directories live under `<outputDir>/.work/`, owned by this server: a server killed
 * mid-job leaves its directory there, and the next start removes them all (clearWorkDirs).
 */
export const WORK_DIR = '.work';

export async function clearWorkDirs(outputDir: string): Promise<void> {
  await rm(join(outputDir, WORK_DIR), { recursive: true, force: true });
}
type StoredThumbnail = Omit<ThumbnailInfo, 'url'>;

/**
 * Turns a stopped recording into outputs: download its complete tracks into a temp work dir,
 * run processing, upload the results under the recording's keys, record them, clean up.
 * Source tracks are kept either way, so a failed recording can be processed again.
 */
export class Processor {
  #ctx: RecordingContext;
  #process: ProcessRecording;
  #shutdown = new AbortController();

  constructor(ctx: RecordingContext, process: ProcessRecording) {
    this.#ctx = ctx;
    this.#process = process;
  }

  /** Interrupts running jobs; their recordings stay `processing` and are re-queued at the next start. */
  abort(): void {
    this.#shutdown.abort();
  }

  async run(id: string): Promise<void> {
    const state = await this.#begin(id);
    if (!state) return;
    let workDir: string | undefined;
    try {
      const workRoot = join(this.#ctx.config.outputDir, WORK_DIR);
      await mkdir(workRoot, { recursive: true });
      workDir = await mkdtemp(join(workRoot, `${id}-`));
      const { signal } = this.#shutdown;
      const result = await this.#process(await this.#prepare(state, workDir), {
        signal,
        logger: this.#ctx.logger,
      });
      await change(this.#ctx, id, (_draft, emit) =>
        emit('thumbnailsGenerated', { recordingId: id, count: result.thumbnails.length }),
      );
      const { outputs, thumbnails } = await this.#upload(id, result);
      // Before anyone is told: a completed recording has nothing left in the work directory.
      await this.#removeWorkDir(workDir);
      await change(this.#ctx, id, (draft, emit) => {
        const composite = outputs.find((o) => o.kind === 'composite') as StoredOutput;
        draft.outputs = outputs;
        draft.thumbnails = thumbnails;
        draft.duration = composite.duration;
        draft.status = 'completed';
        draft.completedAt = this.#ctx.now();
        const { provider, bucket } = this.#ctx.storage;
        emit('recordingUploaded', { recordingId: id, provider, ...(bucket ? { bucket } : {}) });
        emit('recordingCompleted', {
          recordingId: id,
          outputPath: composite.location,
          fileSize: composite.size,
          duration: composite.duration,
        });
      });
    } catch (err) {
      if (workDir) await this.#removeWorkDir(workDir);
      await this.#fail(id, err);
    }
  }

  /** A work directory left behind is only disk: it is logged, and the next start clears it. */
  async #removeWorkDir(workDir: string): Promise<void> {
    try {
      await rm(workDir, { recursive: true, force: true });
    } catch (err) {
      this.#ctx.logger.error(`callrec: could not remove the work directory ${workDir}`, err);
    }
  }

  /** queued → processing; returns undefined when the recording is gone or not queued. */
  async #begin(id: string): Promise<RecordingState | undefined> {
    if (this.#ctx.store.get(id)?.status !== 'queued') return undefined;
    return change(this.#ctx, id, (draft, emit) => {
      if (draft.status !== 'queued') return undefined;
      draft.status = 'processing';
      emit('recordingProcessing', { recordingId: id });
      return structuredClone(draft);
    });
  }

  async #prepare(state: RecordingState, workDir: string): Promise<ProcessingJob> {
    const { config, storage } = this.#ctx;
    await mkdir(join(workDir, 'inputs'));
    const complete = state.tracks
      .filter((t) => t.status === 'complete')
      .sort((a, b) => a.startedAt - b.startedAt);
    const tracks = [];
    for (const t of complete) {
      const path = join(workDir, 'inputs', `${t.id}${extname(t.key)}`);
      await storage.download(t.key, path);
      const { participantId, displayName, kind, startedAt, endedAt, timing } = t;
      tracks.push({ trackId: t.id, participantId, displayName, kind, path, startedAt, endedAt, timing });
    }
    const { format, videoCodec, audioCodec } = state;
    return {
      recordingId: state.id,
      workDir,
      format,
      videoCodec,
      audioCodec,
      ...compositeSettings(state, config.composite),
      pauses: structuredClone(state.pauses ?? []),
      hwaccel: config.hwaccel,
      tracks,
    };
  }

  async #upload(id: string, result: ProcessingResult) {
    const { storage } = this.#ctx;
    const outputs: StoredOutput[] = [];
    const files = [
      ...result.participants.map((file) => ({ kind: 'participant' as const, file })),
      { kind: 'composite' as const, file: result.composite },
    ];
    for (const { kind, file } of files) {
      const ext = extname(file.path);
      if (kind === 'participant' && !file.participantId)
        throw new Error(`Participant output ${file.path} has no id`);
      const key =
        kind === 'composite'
          ? storageKeys.composite(id, ext)
          : storageKeys.participant(id, file.participantId as string, ext);
      await storage.upload(file.path, key, file.mimeType);
      crashPoint('processing:after-output-upload');
      const { mimeType, size, duration, hasAudio, hasVideo, participantId } = file;
      const base = {
        kind,
        key,
        location: storage.location(key),
        mimeType,
        size,
        duration,
        hasAudio,
        hasVideo,
      };
      outputs.push(kind === 'participant' ? { ...base, participantId } : base);
    }
    const thumbnails: StoredThumbnail[] = [];
    for (const { position, path, width, height } of result.thumbnails) {
      const key = storageKeys.thumbnail(id, position);
      await storage.upload(path, key, 'image/jpeg');
      thumbnails.push({ position, key, width, height });
    }
    return { outputs, thumbnails };
  }

  async #fail(id: string, err: unknown): Promise<void> {
    if (this.#shutdown.signal.aborted) {
      this.#ctx.logger.info(
        `callrec: processing of ${id} interrupted by shutdown; it resumes at the next start`,
      );
      return;
    }
    if (!this.#ctx.store.get(id)) {
      // Deleted while processing: remove whatever this run uploaded after the delete.
      this.#ctx.logger.info(`callrec: recording ${id} was deleted during processing`);
      await this.#ctx.storage.deletePrefix(`${id}/`);
      return;
    }
    const error = describe(err);
    if (!(err instanceof ProcessingError)) this.#ctx.logger.error(`callrec: processing ${id} failed`, err);
    await change(this.#ctx, id, (draft, emit) => {
      draft.status = 'failed';
      draft.error = error;
      emit('recordingFailed', { recordingId: id, error });
    });
  }
}

function describe(err: unknown): { code: string; message: string; details?: unknown } {
  if (err instanceof ProcessingError) {
    return { code: 'processing_failed', message: err.message, details: err.details };
  }
  return { code: 'processing_failed', message: err instanceof Error ? err.message : String(err) };
}
