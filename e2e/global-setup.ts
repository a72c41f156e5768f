import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, renameSync } from 'node:fs';
import { FAKE_AUDIO, FAKE_VIDEO, MEDIA_DIR } from './env.js';

/** Writes the fake camera (640x360 at 30 fps, moving test pattern) and microphone (440 Hz tone). */
export default function globalSetup(): void {
  mkdirSync(MEDIA_DIR, { recursive: true });
  make(FAKE_VIDEO, ['-f', 'lavfi', '-i', 'testsrc2=size=640x360:rate=30', '-t', '4', '-pix_fmt', 'yuv420p']);
  make(FAKE_AUDIO, ['-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000', '-t', '4', '-ac', '1']);
}

function make(target: string, args: string[]): void {
  if (existsSync(target)) return;
  // Write beside the target and rename, so an interrupted run never leaves a truncated file behind.
  const partial = target.replace(/(\.\w+)$/, '.partial$1');
  execFileSync('ffmpeg', ['-v', 'error', '-y', ...args, partial], { stdio: 'inherit' });
  renameSync(partial, target);
}
