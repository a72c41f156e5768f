import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LEVEL_WINDOW_SECONDS, LevelMeter, measureAudioLevels } from '../src/processing/audio-levels.js';
import type { ProcessingJob, ProcessingTrack, ProducedFile } from '../src/processing/job.js';
import { computeTimeline, planParticipants } from '../src/processing/plan.js';
import { buildComposite } from '../src/processing/steps/composite.js';
import {
  type Colour,
  colourAt,
  makeColorTrack,
  makeToneTrack,
  probedTrack,
  rgbFrame,
} from './processing-composite-media.js';

const T0 = 1_700_000_000_000;
const W = 64;
const H = 36;

describe('LevelMeter', () => {
  it('computes RMS dBFS per window, with samples split across chunks', () => {
    const meter = new LevelMeter(4);
    const samples = Buffer.alloc(2 * 10);
    // Window 1: full-scale square wave (0 dBFS); window 2: half scale (-6 dB); then two silent samples.
    [32767, -32768, 32767, -32768, 16384, -16384, 16384, -16384, 0, 0].forEach((s, i) => {
      samples.writeInt16LE(s, 2 * i);
    });
    meter.push(samples.subarray(0, 3));
    meter.push(samples.subarray(3, 9));
    meter.push(samples.subarray(9));
    const levels = [...meter.finish()];
    expect(levels).toHaveLength(3);
    expect(levels[0]).toBeCloseTo(0, 1);
    expect(levels[1]).toBeCloseTo(-6.02, 1);
    expect(levels[2]).toBe(Number.NEGATIVE_INFINITY);
  });
});

let root: string;
let composite: ProducedFile;
let levels: Float32Array;

/** Red speaks 0–3 s and 6–9 s, green 3–6 s; both cameras run the whole 9 s. */
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'callrec-speaker-'));
  await mkdir(join(root, 'tracks'));
  const track = (trackId: string, participantId: string, kind: 'audio' | 'video'): ProcessingTrack => ({
    trackId,
    participantId,
    displayName: participantId,
    kind,
    path: join(root, `${trackId}.webm`),
    startedAt: T0,
  });
  const tracks = [
    track('ra', 'red', 'audio'),
    track('rv', 'red', 'video'),
    track('ga', 'green', 'audio'),
    track('gv', 'green', 'video'),
  ];
  await Promise.all([
    makeToneTrack(tracks[0]?.path ?? '', {
      seconds: 9,
      frequency: 440,
      on: [
        { from: 0, to: 3 },
        { from: 6, to: 9 },
      ],
    }),
    makeColorTrack(tracks[1]?.path ?? '', { color: 'red', seconds: 9 }),
    makeToneTrack(tracks[2]?.path ?? '', { seconds: 9, frequency: 660, on: [{ from: 3, to: 6 }] }),
    makeColorTrack(tracks[3]?.path ?? '', { color: 'lime', seconds: 9 }),
  ]);
  const probed = await Promise.all(
    tracks.map((t) => probedTrack(t, join(root, 'tracks', `${t.trackId}.mkv`))),
  );
  levels = await measureAudioLevels(probed[0]?.path ?? '');
  const job: ProcessingJob = {
    recordingId: 'speaker',
    workDir: root,
    format: 'webm',
    videoCodec: 'vp8',
    audioCodec: 'opus',
    width: 640,
    height: 360,
    fps: 15,
    layout: 'speaker',
    tracks,
  };
  composite = await buildComposite(
    planParticipants(probed),
    probed,
    computeTimeline(probed),
    job,
    join(root, 'composite.webm'),
  );
}, 300_000);

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('measureAudioLevels', () => {
  it('streams a track into one level per window: loud while the tone sounds, silent between', () => {
    expect(Math.abs(levels.length - 9 / LEVEL_WINDOW_SECONDS)).toBeLessThanOrEqual(2);
    const mean = (from: number, to: number) => {
      const picked = [
        ...levels.slice(Math.round(from / LEVEL_WINDOW_SECONDS), Math.round(to / LEVEL_WINDOW_SECONDS)),
      ];
      return picked.reduce((sum, v) => sum + Math.max(v, -120), 0) / picked.length;
    };
    // lavfi's sine has amplitude 1/8, halved by the fixture: 1/16 peak is -27 dBFS RMS.
    expect(Math.abs(mean(0.5, 2.5) - -27)).toBeLessThan(2);
    expect(mean(3.5, 5.5)).toBeLessThan(-60);
    expect(Math.abs(mean(6.5, 8.5) - -27)).toBeLessThan(2);
  });
});

describe('composite: active speaker', () => {
  /** The speaker's area (16:9 inside the top 640x288) and the filmstrip tile (128x72, bottom centre). */
  const at = async (time: number): Promise<Colour[]> => {
    const frame = await rgbFrame(composite.path, time, W, H);
    return [
      colourAt(frame, W, H, 0.5, 0.4),
      colourAt(frame, W, H, 0.5, 0.9),
      colourAt(frame, W, H, 0.05, 0.9),
    ];
  };

  it('shows whoever speaks large and the other in the filmstrip, switching within 0.5 s of each turn', async () => {
    expect(await at(1.5)).toEqual(['red', 'green', 'black']);
    expect(await at(2.5)).toEqual(['red', 'green', 'black']);
    expect(await at(3.5)).toEqual(['green', 'red', 'black']);
    expect(await at(5.5)).toEqual(['green', 'red', 'black']);
    expect(await at(6.5)).toEqual(['red', 'green', 'black']);
    expect(await at(8.5)).toEqual(['red', 'green', 'black']);
  });
});
