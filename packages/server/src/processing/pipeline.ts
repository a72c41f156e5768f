import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { ID_PATTERN, PARTICIPANT_ID_PATTERN } from '@callrec/sdk/protocol';
import { AUDIO_TIMESTAMP_SLACK_MS } from './args/common.js';
import { outputCodecsProblem } from './codecs.js';
import {
  chooseVideoEncoder,
  detectCapabilities,
  type EncoderChoice,
  type EncoderUsed,
  encodeWithFallback,
  type FallbackLogger,
  type HwCapabilities,
  softwareEncoder,
} from './hwaccel.js';
import { ProcessingError, type ProcessingJob, type ProcessingResult, type ProducedFile } from './job.js';
import { computeTimeline, type ProbedTrack, planParticipants } from './plan.js';
import { buildComposite } from './steps/composite.js';
import { buildParticipantFile } from './steps/participant-file.js';
import { remuxTrack } from './steps/remux-track.js';
import { buildThumbnails } from './steps/thumbnails.js';

export type ProcessingStep = 'remux' | 'participant' | 'composite' | 'thumbnails';

/** How long one step took on how much media; the bench and server logs use it. */
export interface StepTiming {
  step: ProcessingStep;
  /** Track or participant id for per-item steps. */
  id?: string;
  ms: number;
  /** Seconds of media the step produced or read. */
  mediaSeconds: number;
  /** The video encoder the step used (`copy` for a copied stream), with why it is not hardware when that was asked for. */
  encoder?: EncoderUsed;
}

export interface ProcessingOptions {
  signal?: AbortSignal;
  onStep?: (timing: StepTiming) => void;
  /** Where hardware fallbacks are reported; default the console. */
  logger?: FallbackLogger;
  /** What the machine offers for `job.hwaccel`; detected once per process when absent. */
  hwCapabilities?: HwCapabilities;
}

/**
 * Raw recorder tracks → remuxed tracks → one file per participant → grid composite → five
 * thumbnails, all under `job.workDir` (`tracks/`, `participants/`, `composite.<ext>`,
 * `thumbnails/`). Rejects with a ProcessingError naming the step that failed.
 */
export async function processRecording(
  job: ProcessingJob,
  options: ProcessingOptions = {},
): Promise<ProcessingResult> {
  validate(job);
  const { signal } = options;
  const workDir = resolve(job.workDir);
  const dirs = {
    tracks: join(workDir, 'tracks'),
    participants: join(workDir, 'participants'),
    thumbnails: join(workDir, 'thumbnails'),
  };
  await Promise.all(Object.values(dirs).map((dir) => mkdir(dir, { recursive: true })));
  const timed = async <T>(
    step: ProcessingStep,
    id: string | undefined,
    run: () => Promise<T>,
    media: (r: T) => number,
    encoder?: (r: T) => EncoderUsed | undefined,
  ) => {
    const started = performance.now();
    const result = await run();
    const used = encoder?.(result);
    options.onStep?.({
      step,
      id,
      ms: performance.now() - started,
      mediaSeconds: media(result),
      ...(used ? { encoder: used } : {}),
    });
    return result;
  };
  const log = options.logger ?? console;
  const chooseEncoder = async (target: {
    width: number;
    height: number;
    fps: number;
  }): Promise<EncoderChoice> => {
    const mode = job.hwaccel ?? 'none';
    if (mode === 'none') return softwareEncoder(job.videoCodec, target);
    const capabilities = options.hwCapabilities ?? (await detectCapabilities());
    return chooseVideoEncoder(mode, job.videoCodec, target, capabilities);
  };

  const tracks: ProbedTrack[] = [];
  for (const track of job.tracks) {
    tracks.push(
      await timed(
        'remux',
        track.trackId,
        () => remuxTrack(track, dirs.tracks, signal),
        (t) => t.duration,
      ),
    );
  }
  for (const { track, audioSpreadMs = 0 } of tracks) {
    if (audioSpreadMs <= AUDIO_TIMESTAMP_SLACK_MS) continue;
    log.warn(
      `callrec: recording ${job.recordingId}, audio track ${track.trackId}: its timestamps stray ` +
        `${Math.round(audioSpreadMs)} ms from its sound (audio the browser skipped, or a drifting ` +
        'microphone clock); the outputs follow the timestamps',
    );
  }
  const timeline = computeTimeline(tracks, job.pauses);
  const plans = planParticipants(tracks, job.pauses);

  const participants: ProducedFile[] = [];
  for (const plan of plans) {
    const { file } = await timed(
      'participant',
      plan.participantId,
      () => buildParticipantFile(plan, timeline, job, dirs.participants, { chooseEncoder, log, signal }),
      (p) => p.file.duration,
      (p) => p.encoder,
    );
    participants.push(file);
  }
  const compositePath = join(workDir, `composite.${job.format}`);
  const compositeTarget = { width: job.width, height: job.height, fps: job.fps };
  const { result: composite } = await timed(
    'composite',
    undefined,
    async () =>
      encodeWithFallback({
        choice: await chooseEncoder(compositeTarget),
        software: softwareEncoder(job.videoCodec, compositeTarget),
        run: (encoder) => buildComposite(plans, tracks, timeline, job, compositePath, signal, encoder),
        log,
        label: 'composite',
        signal,
      }),
    (c) => c.result.duration,
    (c) => c.encoder,
  );
  const thumbnails = await timed(
    'thumbnails',
    undefined,
    () => buildThumbnails(compositePath, job, dirs.thumbnails, signal),
    () => composite.duration,
  );
  return {
    participants,
    composite,
    thumbnails,
    timeline: { startedAt: timeline.startedAt, duration: timeline.duration },
  };
}

function validate(job: ProcessingJob): void {
  const problems: string[] = [];
  const codecs = outputCodecsProblem(job.format, job.videoCodec, job.audioCodec);
  if (codecs) problems.push(codecs);
  if (job.tracks.length === 0) problems.push('the recording has no tracks');
  for (const [name, value] of Object.entries({ width: job.width, height: job.height, fps: job.fps })) {
    if (!Number.isInteger(value) || value <= 0) problems.push(`${name} must be a positive integer`);
  }
  if (job.width % 2 !== 0 || job.height % 2 !== 0) problems.push('width and height must be even');
  const trackIds = new Set(job.tracks.map((t) => t.trackId));
  if (trackIds.size !== job.tracks.length) problems.push('track ids must be unique');
  for (const track of job.tracks) {
    // Ids become file names under workDir.
    if (!ID_PATTERN.test(track.trackId)) problems.push(`invalid track id ${JSON.stringify(track.trackId)}`);
    if (!PARTICIPANT_ID_PATTERN.test(track.participantId)) {
      problems.push(`invalid participant id ${JSON.stringify(track.participantId)}`);
    }
  }
  if (problems.length > 0) {
    throw new ProcessingError(`validate: ${problems.join('; ')}`, {
      step: 'validate',
      exitCode: null,
      stderrTail: '',
      inputs: job.tracks.map((t) => t.path),
    });
  }
}
