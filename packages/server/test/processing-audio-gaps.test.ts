import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { audioTimestampSpreadMs } from '../src/processing/ffprobe.js';
import type { ProcessingJob, ProcessingResult } from '../src/processing/job.js';
import { processRecording } from '../src/processing/pipeline.js';
import { firstBeep } from './fixtures/inspect-media.js';
import { makeBeepTrack, makeVideoTrack, retimeTrack } from './fixtures/make-fixtures.js';
import { patTracks, SMALL_WEBM } from './fixtures/one-participant.js';

/**
 * A recorder's audio timestamps jump where the browser skipped audio callbacks under load, and
 * drift where the microphone's clock runs apart from the capture clock. The sound after a jump
 * was heard that much later, so every output must keep it on its timestamps: a gap of any size
 * becomes silence, drift is followed. ffmpeg's `aresample=async=1` on its own dropped gaps under
 * 0.1 s, pulling the sound after them early.
 */
const T0 = 1_700_000_000_000;
const BEEP_AT = 2.5;
/** 10 ms missing 0.5 s in, 60 ms more 1 s in. */
const GAPS = '(TS+(0.01*gte(TS*TB\\,0.5)+0.06*gte(TS*TB\\,1))/TB)';
const GAPS_SECONDS = 0.07;
/** 0.4 %: a clock far worse than a real microphone's, so that it shows within seconds. */
const DRIFT = 1.004;
/** s: the output's beep from its timestamp; the Opus frames' own timestamps are whole ms. */
const TOLERANCE = 0.004;

let root: string;
let raw: string;
const results: Record<string, ProcessingResult> = {};
const warnings: string[] = [];

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'callrec-gaps-'));
  raw = join(root, 'raw');
  await mkdir(raw);
  await makeBeepTrack(join(raw, 'plain.webm'), { seconds: 4, beepAt: BEEP_AT });
  await makeVideoTrack(join(raw, 'v.webm'), { seconds: 5, pattern: 'flash', flashAt: 1 });
  await makeVideoTrack(join(raw, 'v4.webm'), { seconds: 4, pattern: 'flash', flashAt: 1 });
  await retimeTrack(join(raw, 'plain.webm'), join(raw, 'gaps.webm'), GAPS);
  await retimeTrack(join(raw, 'plain.webm'), join(raw, 'drift.webm'), `TS*${DRIFT}`);
  // The microphone joins 0.5 s after the camera: its sound is rebuilt on the timeline (transcoded).
  const job = (name: string, audio: string, audioAt = T0 + 500, video = 'v.webm'): ProcessingJob => {
    const [mic, camera] = patTracks(raw, audioAt, T0);
    if (!mic || !camera) throw new Error('no fixture tracks');
    return {
      recordingId: `gaps-${name}`,
      workDir: join(root, name),
      ...SMALL_WEBM,
      tracks: [
        { ...mic, path: join(raw, audio) },
        { ...camera, path: join(raw, video) },
      ],
    };
  };
  results.plain = await processRecording(job('plain', 'plain.webm'));
  results.gaps = await processRecording(job('gaps', 'gaps.webm'), {
    logger: { warn: (m) => warnings.push(m) },
  });
  results.drift = await processRecording(job('drift', 'drift.webm'));
  // As long as the camera: one track covering the timeline, which a participant file copies if it can.
  results.plainCovering = await processRecording(job('plain-covering', 'plain.webm', T0, 'v4.webm'));
  results.gapsCovering = await processRecording(job('gaps-covering', 'gaps.webm', T0, 'v4.webm'));
}, 300_000);

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

const output = (name: string, kind: string) => {
  const result = results[name];
  const path = kind === 'participant file' ? result?.participants[0]?.path : result?.composite.path;
  if (!path) throw new Error(`no ${kind} for ${name}`);
  return path;
};

describe('audioTimestampSpreadMs', () => {
  it('is reported for a track past the slack', () => {
    expect(warnings).toEqual([
      expect.stringMatching(/gaps-gaps, audio track a: its timestamps stray 7[01] ms/),
    ]);
  });

  it('measures how far the timestamps stray from the sound', async () => {
    // Whole-millisecond timestamps: 1 ms of rounding either way.
    const spread = (name: string) => audioTimestampSpreadMs(join(raw, `${name}.webm`));
    expect(await spread('plain')).toBeLessThanOrEqual(1.01);
    expect(Math.abs((await spread('gaps')) - GAPS_SECONDS * 1000)).toBeLessThanOrEqual(2);
    expect(Math.abs((await spread('drift')) - 4000 * (DRIFT - 1))).toBeLessThanOrEqual(2);
  });
});

describe.each(['participant file', 'composite'])('audio timestamps in the %s', (kind) => {
  // Against the same sound without the jumps, so the codecs' own delays cancel out.
  it('keep a gap of 10 ms and one of 60 ms as silence', async () => {
    const plain = await firstBeep(output('plain', kind));
    expect(Math.abs(plain - (0.5 + BEEP_AT)), `beep without gaps at ${plain} s`).toBeLessThan(0.01);
    const beep = await firstBeep(output('gaps', kind));
    expect(Math.abs(beep - (plain + GAPS_SECONDS)), `beep at ${beep} s`).toBeLessThan(TOLERANCE);
  });

  it('are followed where they drift from the samples', async () => {
    const plain = await firstBeep(output('plain', kind));
    const beep = await firstBeep(output('drift', kind));
    expect(Math.abs(beep - (plain + BEEP_AT * (DRIFT - 1))), `beep at ${beep} s`).toBeLessThan(TOLERANCE);
  });
});

describe('a participant file whose one microphone track covers the timeline', () => {
  // Copied, the sound keeps its timestamps; rebuilt, sound and picture both start 6.5 ms later
  // (the Opus encoder's priming, codecs.ts): within 10 ms either way, against a 70 ms gap.
  it('copies it without gaps, and rebuilds it with its gaps as silence', async () => {
    const covering = (name: string) => results[name]?.participants[0]?.path ?? '';
    const plain = await firstBeep(covering('plainCovering'));
    expect(Math.abs(plain - BEEP_AT), `beep without gaps at ${plain} s`).toBeLessThan(0.002);
    const beep = await firstBeep(covering('gapsCovering'));
    expect(Math.abs(beep - (BEEP_AT + GAPS_SECONDS)), `beep at ${beep} s`).toBeLessThan(0.01);
  });
});
