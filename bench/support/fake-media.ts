import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, renameSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Chromium's fake camera and microphone: the e2e's media (640x360 at 30 fps, 440 Hz), cached across runs. */
const MEDIA_DIR = join(tmpdir(), 'callrec-bench-media-v1');
export const FAKE_VIDEO = join(MEDIA_DIR, 'camera.y4m');
export const FAKE_AUDIO = join(MEDIA_DIR, 'microphone.wav');

export function makeFakeMedia(): void {
  mkdirSync(MEDIA_DIR, { recursive: true });
  make(FAKE_VIDEO, ['-f', 'lavfi', '-i', 'testsrc2=size=640x360:rate=30', '-t', '4', '-pix_fmt', 'yuv420p']);
  make(FAKE_AUDIO, ['-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000', '-t', '4', '-ac', '1']);
}

function make(target: string, args: string[]): void {
  if (existsSync(target)) return;
  // Written beside the target and renamed: an interrupted run never leaves a truncated file.
  const partial = target.replace(/(\.\w+)$/, '.partial$1');
  execFileSync('ffmpeg', ['-v', 'error', '-y', ...args, partial], { stdio: 'inherit' });
  renameSync(partial, target);
}
