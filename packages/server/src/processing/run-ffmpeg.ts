import { spawn } from 'node:child_process';
import { ProcessingError } from './job.js';
import { StderrTail } from './stderr-tail.js';

export interface RunOptions {
  /** Pipeline step, reported in the error. */
  step: string;
  /** Files the step reads, reported in the error. */
  inputs: string[];
  signal?: AbortSignal;
  /** Collect stdout (ffprobe); ffmpeg writes files, so its stdout is ignored by default. */
  captureStdout?: boolean;
}

/** ffprobe JSON for hour-long files stays far below this; beyond it something is wrong. */
const MAX_STDOUT_BYTES = 32 * 1024 * 1024;

/** Runs `ffmpeg` (or `ffprobe`) with an argument array, no shell; resolves with stdout. */
export function runTool(bin: 'ffmpeg' | 'ffprobe', args: string[], options: RunOptions): Promise<string> {
  return new Promise((resolve, reject) => {
    const stderr = new StderrTail();
    const stdout: Buffer[] = [];
    let stdoutBytes = 0;
    let failure: string | undefined;
    const fail = (message: string, exitCode: number | null) =>
      reject(
        new ProcessingError(`${options.step}: ${message}`, {
          step: options.step,
          exitCode,
          stderrTail: stderr.toString(),
          inputs: options.inputs,
          args,
        }),
      );

    const child = spawn(bin, args, {
      stdio: ['ignore', options.captureStdout ? 'pipe' : 'ignore', 'pipe'],
      signal: options.signal,
    });
    child.stderr?.on('data', (chunk: Buffer) => stderr.push(chunk));
    child.stdout?.on('data', (chunk: Buffer) => {
      stdoutBytes += chunk.length;
      if (stdoutBytes > MAX_STDOUT_BYTES) {
        failure = `${bin} wrote more than ${MAX_STDOUT_BYTES} bytes to stdout`;
        child.kill('SIGKILL');
        return;
      }
      stdout.push(chunk);
    });
    // 'error' covers a missing binary (ENOENT) and an abort; 'close' may not follow a failed spawn.
    child.on('error', (error) => {
      failure ??= `${bin} ${error.name === 'AbortError' ? 'aborted' : `failed: ${error.message}`}`;
    });
    child.on('close', (code, signal) => {
      if (failure !== undefined) return fail(failure, code);
      if (code !== 0) {
        const why = signal ? `killed by ${signal}` : `exited with code ${code}`;
        const lastLine = stderr.toString().trim().split('\n').at(-1) ?? '';
        return fail(`${bin} ${why}${lastLine ? `: ${lastLine}` : ''}`, code);
      }
      resolve(Buffer.concat(stdout).toString('utf8'));
    });
  });
}

/** Runs ffmpeg; rejects with a ProcessingError carrying the exit code and the stderr tail. */
export async function runFfmpeg(args: string[], options: RunOptions): Promise<void> {
  await runTool('ffmpeg', args, options);
}
