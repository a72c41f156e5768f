import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, renameSync } from 'node:fs';
import { setupBucket } from '../packages/server/src/storage/s3-bucket-setup.js';
import { createS3Client } from '../packages/server/src/storage/s3-client.js';
import { FAKE_AUDIO, FAKE_VIDEO, FAKE_VIDEO_GRAINY, MEDIA_DIR, PAGE_URL, s3Env } from './env.js';
import { makeSyncFixtures } from './media-sync/fixtures.js';

/**
 * Writes the fake cameras (640x360 at 30 fps, moving test pattern, clean and grainy) and microphone (440 Hz tone),
 * and makes this run's bucket the way a deployment would: the project's own bucket setup, with
 * CORS for the page's origin (exposing ETag, which the browser reads from every part PUT).
 */
export default async function globalSetup(): Promise<void> {
  mkdirSync(MEDIA_DIR, { recursive: true });
  make(FAKE_VIDEO, ['-f', 'lavfi', '-i', 'testsrc2=size=640x360:rate=30', '-t', '4', '-pix_fmt', 'yuv420p']);
  make(FAKE_VIDEO_GRAINY, [
    '-f',
    'lavfi',
    '-i',
    'testsrc2=size=640x360:rate=30,noise=alls=6:allf=t',
    '-t',
    '4',
    '-pix_fmt',
    'yuv420p',
  ]);
  make(FAKE_AUDIO, ['-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000', '-t', '4', '-ac', '1']);
  // The media-sync specs' camera and microphone: flashes and beeps at the same instants.
  makeSyncFixtures(MEDIA_DIR);
  const s3 = s3Env();
  if (s3) {
    await setupBucket(createS3Client(s3), s3.bucket, {
      corsOrigins: [PAGE_URL],
      abortIncompleteAfterDays: 1,
      create: true,
    });
  }
}

function make(target: string, args: string[]): void {
  if (existsSync(target)) return;
  // Write beside the target and rename, so an interrupted run never leaves a truncated file behind.
  const partial = target.replace(/(\.\w+)$/, '.partial$1');
  execFileSync('ffmpeg', ['-v', 'error', '-y', ...args, partial], { stdio: 'inherit' });
  renameSync(partial, target);
}
