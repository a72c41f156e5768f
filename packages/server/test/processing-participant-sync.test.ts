import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ProcessingJob, ProcessingResult } from '../src/processing/job.js';
import { processRecording } from '../src/processing/pipeline.js';
import { firstBeep, firstFlash } from './fixtures/inspect-media.js';
import { makeBeepTrack, makeVideoTrack } from './fixtures/make-fixtures.js';
import { patTracks } from './fixtures/one-participant.js';

const T0 = 1_700_000_000_000;
const FPS = 30;
/** The same real-world instant, 1.5 s in: a beep 1.5 s into the audio, a flash 1.0 s into the video. */
const INSTANT = 1.5;
const VIDEO_START = 0.5;

let root: string;
const results: Record<string, ProcessingResult> = {};

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'callrec-sync-'));
  await mkdir(join(root, 'raw'));
  await makeBeepTrack(join(root, 'raw', 'a.webm'), { seconds: 3, beepAt: INSTANT });
  await makeVideoTrack(join(root, 'raw', 'v.webm'), {
    seconds: 3 - VIDEO_START,
    pattern: 'flash',
    flashAt: INSTANT - VIDEO_START,
  });
  const job = (format: 'webm' | 'mp4'): ProcessingJob => ({
    recordingId: `sync-${format}`,
    workDir: join(root, format),
    format,
    videoCodec: format === 'mp4' ? 'h264' : 'vp8',
    audioCodec: format === 'mp4' ? 'aac' : 'opus',
    width: 640,
    height: 360,
    fps: FPS,
    tracks: patTracks(join(root, 'raw'), T0, T0 + VIDEO_START * 1000),
  });
  // WebM copies the audio (it covers the timeline) and transcodes the late video; MP4 transcodes both.
  results.webm = await processRecording(job('webm'));
  results.mp4 = await processRecording(job('mp4'));
}, 300_000);

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('A/V sync: a flash and a beep at the same instant, recorders started 0.5 s apart', () => {
  it.each(['webm', 'mp4'])(
    '%s: the participant file and the composite show them together',
    async (format) => {
      const result = results[format];
      for (const path of [result?.participants[0]?.path ?? '', result?.composite.path ?? '']) {
        const flash = await firstFlash(path);
        const beep = await firstBeep(path);
        expect(Math.abs(flash - INSTANT), `flash in ${path}`).toBeLessThan(1.5 / FPS);
        expect(Math.abs(beep - INSTANT), `beep in ${path}`).toBeLessThan(0.03);
        console.log(
          `[sync] ${format} ${path.split('/').pop()}: flash − beep ${((flash - beep) * 1000).toFixed(1)} ms`,
        );
        // Frame-exact: the fixtures' flash and beep share an instant to the millisecond (WebM's
        // Opus priming once put the picture 6.5 ms behind the sound; see audioEncoderDelaySamples).
        expect(Math.abs(flash - beep), `sync in ${path}`).toBeLessThan(0.003);
      }
    },
  );
});
