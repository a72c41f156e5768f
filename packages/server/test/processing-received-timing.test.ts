import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TimingStep } from '@callrec/sdk/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ProcessingJob, ProcessingResult, ProcessingTrack } from '../src/processing/job.js';
import { processRecording } from '../src/processing/pipeline.js';
import { remuxTrack } from '../src/processing/steps/remux-track.js';
import { firstBeep, firstFlash, frameTimes } from './fixtures/inspect-media.js';
import { makeBeepTrack, makeVideoTrack } from './fixtures/make-fixtures.js';
import { patTracks, SMALL_WEBM } from './fixtures/one-participant.js';

/**
 * A received video track whose timestamps jumped 150 ms back 1 s in (RTCP sender reports), so the
 * flash the page showed together with the beep at 2.15 s sits at 2.0 s in the file. The timing
 * step the SDK reports for it must put the flash back with the beep in every output, and leave the
 * frames before the step where they were.
 */
const T0 = 1_700_000_000_000;
const FPS = 30;
const SHOWN_AT = 2.15;
const RISE: TimingStep[] = [{ atMs: 1000, shiftMs: 150 }];

let root: string;
let raw: string;
const results: Record<string, ProcessingResult> = {};

const videoTrack = (timing?: TimingStep[]): ProcessingTrack => ({
  trackId: `v${timing ? '-timed' : ''}`,
  participantId: 'pat',
  displayName: 'Pat',
  kind: 'video',
  path: join(raw, 'v.webm'),
  startedAt: T0,
  ...(timing ? { timing } : {}),
});

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'callrec-timing-'));
  raw = join(root, 'raw');
  await mkdir(raw);
  await makeBeepTrack(join(raw, 'a.webm'), { seconds: 4, beepAt: SHOWN_AT });
  await makeVideoTrack(join(raw, 'v.webm'), { seconds: 4, pattern: 'flash', flashAt: SHOWN_AT - 0.15 });
  const job = (name: string, timing?: TimingStep[]): ProcessingJob => {
    const [audio] = patTracks(raw, T0, T0);
    return {
      recordingId: `timing-${name}`,
      workDir: join(root, name),
      ...SMALL_WEBM,
      tracks: [audio as ProcessingTrack, videoTrack(timing)],
    };
  };
  results.untimed = await processRecording(job('untimed'));
  results.timed = await processRecording(job('timed', RISE));
}, 300_000);

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('timing steps of a received video track', () => {
  it('move the frames from the step on, and only those', async () => {
    const dir = join(root, 'remux');
    await mkdir(dir);
    const plain = await frameTimes((await remuxTrack(videoTrack(), dir)).path, 'v');
    const timed = await frameTimes((await remuxTrack(videoTrack(RISE), dir)).path, 'v');
    expect(timed).toHaveLength(plain.length);
    plain.forEach((t, i) => {
      const expected = t >= 1 ? t + 0.15 : t;
      expect(timed[i], `frame ${i} at ${t}`).toBeCloseTo(expected, 3);
    });
  });

  it('keep the file in order where the delay fell', async () => {
    const dir = join(root, 'fall');
    await mkdir(dir);
    const fall = [{ atMs: 1000, shiftMs: -100 }];
    const times = await frameTimes((await remuxTrack(videoTrack(fall), dir)).path, 'v');
    const plain = await frameTimes((await remuxTrack(videoTrack(), dir)).path, 'v');
    times.forEach((t, i) => {
      if (i > 0) expect(t, `frame ${i}`).toBeGreaterThanOrEqual(times[i - 1] as number);
    });
    // Frames 100 ms or more past the step are moved in full; those before it not at all.
    plain.forEach((t, i) => {
      if (t < 1) expect(times[i]).toBeCloseTo(t, 3);
      if (t >= 1.1) expect(times[i]).toBeCloseTo(t - 0.1, 3);
    });
  });

  it.each(['participant', 'composite'])('put the flash back with its beep in the %s file', async (kind) => {
    const file = (name: string) =>
      kind === 'participant' ? results[name]?.participants[0]?.path : results[name]?.composite.path;
    const untimed = file('untimed') ?? '';
    const timed = file('timed') ?? '';
    const beep = await firstBeep(timed);
    expect(Math.abs(beep - SHOWN_AT)).toBeLessThan(0.03);
    // Without the step the file shows the flash 150 ms (4.5 frames) before its beep.
    expect((await firstFlash(untimed)) - (await firstBeep(untimed))).toBeLessThan(-0.1);
    expect(Math.abs((await firstFlash(timed)) - beep), `flash − beep in ${timed}`).toBeLessThan(1.5 / FPS);
  });
});
