import { execFileSync } from 'node:child_process';
import { existsSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import {
  BEEP_SECONDS,
  FLASH_FRAMES,
  FLASH_LENGTH_FRAMES,
  FPS,
  HEIGHT,
  LOOP_SECONDS,
  PATTERN_SECONDS,
  SAMPLE_RATE,
  WIDTH,
} from './pattern.js';

/** The beep of the fake microphone, Hz. Pages that synthesise their own beeps use others. */
export const FIXTURE_BEEP_HZ = 1000;

export interface SyncFixtures {
  /** 640x360 y4m, 30 fps, dark grey with white flash frames (pattern.ts), one loop long. */
  video: string;
  /** 48 kHz mono wav, silent but for a beep at every flash, one loop long. */
  audio: string;
}

/** Where global setup writes them; the name carries the pattern, so a changed pattern makes new files. */
export function syncFixturePaths(dir: string): SyncFixtures {
  const tag = `${FLASH_FRAMES.join('-')}x${FLASH_LENGTH_FRAMES}`;
  return { video: join(dir, `flashes-${tag}.y4m`), audio: join(dir, `beeps-${tag}-${FIXTURE_BEEP_HZ}.wav`) };
}

/** Writes the flash video and the beep audio with ffmpeg unless they exist; returns their paths. */
export function makeSyncFixtures(dir: string): SyncFixtures {
  const paths = syncFixturePaths(dir);
  const flashing = FLASH_FRAMES.map((f) => `between(n,${f},${f + FLASH_LENGTH_FRAMES - 1})`).join('+');
  make(paths.video, [
    '-f',
    'lavfi',
    '-i',
    `color=c=0x202020:s=${WIDTH}x${HEIGHT}:r=${FPS}:d=${LOOP_SECONDS}`,
    '-vf',
    `drawbox=x=0:y=0:w=iw:h=ih:color=white:t=fill:enable='${flashing}'`,
    '-pix_fmt',
    'yuv420p',
  ]);
  const beeping = PATTERN_SECONDS.map((at) => `between(t,${at},${at + BEEP_SECONDS})`).join('+');
  make(paths.audio, [
    '-f',
    'lavfi',
    '-i',
    `aevalsrc='0.5*sin(2*PI*${FIXTURE_BEEP_HZ}*t)*(${beeping})':s=${SAMPLE_RATE}:d=${LOOP_SECONDS}`,
    '-ac',
    '1',
    '-c:a',
    'pcm_s16le',
  ]);
  return paths;
}

function make(target: string, args: string[]): void {
  if (existsSync(target)) return;
  // Beside the target, then renamed: an interrupted run never leaves a truncated file behind.
  const partial = target.replace(/(\.\w+)$/, '.partial$1');
  execFileSync('ffmpeg', ['-v', 'error', '-y', ...args, partial], { stdio: 'inherit' });
  renameSync(partial, target);
}
