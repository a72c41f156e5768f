import { spawn } from 'node:child_process';
import { GLOBAL_ARGS } from './args/common.js';
import { ProcessingError } from './job.js';
import { StderrTail } from './stderr-tail.js';

/** Low-rate mono is plenty to tell who is speaking, and cheap to decode and scan. */
export const LEVEL_SAMPLE_RATE = 8000;
export const LEVEL_WINDOW_SECONDS = 0.1;

/** ffmpeg arguments that decode the first audio stream of `path` to raw mono s16le on stdout. */
export function levelDecodeArgs(path: string, sampleRate = LEVEL_SAMPLE_RATE): string[] {
  return [
    ...GLOBAL_ARGS,
    '-i',
    path,
    '-map',
    '0:a:0',
    '-ac',
    '1',
    '-ar',
    String(sampleRate),
    '-f',
    's16le',
    'pipe:1',
  ];
}

/**
 * Folds a stream of s16le mono samples into RMS levels (dBFS) per window. Keeps one window's
 * running sum and the levels, never the samples; chunks may split a sample.
 */
export class LevelMeter {
  readonly #samplesPerWindow: number;
  readonly #levels: number[] = [];
  #sum = 0;
  #count = 0;
  #carry: number | undefined;

  constructor(samplesPerWindow: number) {
    this.#samplesPerWindow = samplesPerWindow;
  }

  push(chunk: Buffer): void {
    let offset = 0;
    if (this.#carry !== undefined && chunk.length > 0) {
      this.#add(Buffer.from([this.#carry, chunk[0] as number]).readInt16LE(0));
      this.#carry = undefined;
      offset = 1;
    }
    for (; offset + 1 < chunk.length; offset += 2) this.#add(chunk.readInt16LE(offset));
    if (offset < chunk.length) this.#carry = chunk[offset];
  }

  /** Levels so far, the last partial window included. */
  finish(): Float32Array {
    if (this.#count > 0) this.#close();
    return Float32Array.from(this.#levels);
  }

  #add(sample: number): void {
    this.#sum += sample * sample;
    if (++this.#count === this.#samplesPerWindow) this.#close();
  }

  #close(): void {
    const rms = Math.sqrt(this.#sum / this.#count) / 32768;
    this.#levels.push(rms > 0 ? 20 * Math.log10(rms) : Number.NEGATIVE_INFINITY);
    this.#sum = 0;
    this.#count = 0;
  }
}

/** RMS level (dBFS) of an audio file per `LEVEL_WINDOW_SECONDS`, from its start, streamed from ffmpeg. */
export function measureAudioLevels(path: string, signal?: AbortSignal): Promise<Float32Array> {
  const args = levelDecodeArgs(path);
  const meter = new LevelMeter(Math.round(LEVEL_SAMPLE_RATE * LEVEL_WINDOW_SECONDS));
  return new Promise((resolve, reject) => {
    const stderr = new StderrTail();
    let failure: string | undefined;
    const child = spawn('ffmpeg', args, { stdio: ['ignore', 'pipe', 'pipe'], signal });
    child.stdout.on('data', (chunk: Buffer) => meter.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
    // 'error' covers a missing binary and an abort; 'close' follows with the exit status.
    child.on('error', (error) => {
      failure ??= `ffmpeg ${error.name === 'AbortError' ? 'aborted' : `failed: ${error.message}`}`;
    });
    child.on('close', (code, killedBy) => {
      if (failure === undefined && code === 0) return resolve(meter.finish());
      const why = failure ?? `ffmpeg ${killedBy ? `killed by ${killedBy}` : `exited with code ${code}`}`;
      reject(
        new ProcessingError(`audio-levels: ${why}`, {
          step: 'audio-levels',
          exitCode: code,
          stderrTail: stderr.toString(),
          inputs: [path],
          args,
        }),
      );
    });
  });
}
