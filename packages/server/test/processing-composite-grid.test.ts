import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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

let root: string;
let composite: ProducedFile;

/**
 * Red: microphone 0–10 s, camera from 0.5 s. Green: 2.5–6 s, then rejoins 8–10 s with new tracks.
 * Blue: 4.5–10 s. Yellow: a 0.3 s microphone blip at 1 s, too short to change the layout.
 */
const SCHEDULE: {
  id: string;
  participantId: string;
  kind: 'audio' | 'video';
  from: number;
  to: number;
  color?: string;
}[] = [
  { id: 'ra', participantId: 'red', kind: 'audio', from: 0, to: 10 },
  { id: 'rv', participantId: 'red', kind: 'video', from: 0.5, to: 10, color: 'red' },
  { id: 'ga1', participantId: 'green', kind: 'audio', from: 2.5, to: 6 },
  { id: 'gv1', participantId: 'green', kind: 'video', from: 2.5, to: 6, color: 'lime' },
  { id: 'ya', participantId: 'yellow', kind: 'audio', from: 1, to: 1.3 },
  { id: 'ba', participantId: 'blue', kind: 'audio', from: 4.5, to: 10 },
  { id: 'bv', participantId: 'blue', kind: 'video', from: 4.5, to: 10, color: 'blue' },
  { id: 'ga2', participantId: 'green', kind: 'audio', from: 8, to: 10 },
  { id: 'gv2', participantId: 'green', kind: 'video', from: 8, to: 10, color: 'lime' },
];

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'callrec-grid-'));
  await mkdir(join(root, 'tracks'));
  const tracks: ProcessingTrack[] = SCHEDULE.map((s) => ({
    trackId: s.id,
    participantId: s.participantId,
    displayName: s.participantId,
    kind: s.kind,
    path: join(root, `${s.id}.webm`),
    startedAt: T0 + s.from * 1000,
  }));
  await Promise.all(
    SCHEDULE.map((s, i) =>
      s.color
        ? makeColorTrack(tracks[i]?.path ?? '', { color: s.color, seconds: s.to - s.from })
        : makeToneTrack(tracks[i]?.path ?? '', { seconds: s.to - s.from }),
    ),
  );
  const probed = await Promise.all(
    tracks.map((t) => probedTrack(t, join(root, 'tracks', `${t.trackId}.mkv`))),
  );
  const timeline = computeTimeline(probed);
  const job: ProcessingJob = {
    recordingId: 'grid',
    workDir: root,
    format: 'webm',
    videoCodec: 'vp8',
    audioCodec: 'opus',
    width: 640,
    height: 360,
    fps: 15,
    tracks,
  };
  composite = await buildComposite(
    planParticipants(probed),
    probed,
    timeline,
    job,
    join(root, 'composite.webm'),
  );
}, 300_000);

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

const at = async (time: number, points: [number, number][]): Promise<Colour[]> => {
  const frame = await rgbFrame(composite.path, time, W, H);
  return points.map(([x, y]) => colourAt(frame, W, H, x, y));
};

/** Centres of the cells of each grid at 640x360 (the 16:9 video fills each cell's middle). */
const ONE: [number, number][] = [
  [0.1, 0.1],
  [0.5, 0.5],
  [0.9, 0.9],
];
const TWO: [number, number][] = [
  [0.25, 0.5],
  [0.75, 0.5],
];
/** 2x2 with three: top left, top right, bottom centred; the bottom corners stay black. */
const THREE: [number, number][] = [
  [0.25, 0.25],
  [0.75, 0.25],
  [0.5, 0.75],
  [0.1, 0.75],
  [0.9, 0.75],
];

describe('composite: adaptive grid', () => {
  it('is as long as the timeline', () => {
    expect(Math.abs(composite.duration - 10)).toBeLessThan(0.3);
  });

  it('shows a present participant without video as a black full frame', async () => {
    expect(await at(0.2, ONE)).toEqual(['black', 'black', 'black']);
  });

  it('gives the only participant the full frame, ignoring a 0.3 s blip', async () => {
    expect(await at(0.8, ONE)).toEqual(['red', 'red', 'red']);
    expect(await at(1.15, ONE)).toEqual(['red', 'red', 'red']);
    expect(await at(2.2, ONE)).toEqual(['red', 'red', 'red']);
  });

  it('puts two side by side in join order', async () => {
    expect(await at(2.8, TWO)).toEqual(['red', 'green']);
    expect(await at(4.2, TWO)).toEqual(['red', 'green']);
  });

  it('uses a 2x2 grid for three, the last row centred', async () => {
    expect(await at(5.0, THREE)).toEqual(['red', 'green', 'blue', 'black', 'black']);
  });

  it('closes the gap when someone leaves', async () => {
    expect(await at(6.5, TWO)).toEqual(['red', 'blue']);
    expect(await at(7.7, TWO)).toEqual(['red', 'blue']);
  });

  it('shows a rejoining participant again, in join order', async () => {
    expect(await at(8.5, THREE)).toEqual(['red', 'green', 'blue', 'black', 'black']);
    expect(await at(9.7, THREE)).toEqual(['red', 'green', 'blue', 'black', 'black']);
  });
});
