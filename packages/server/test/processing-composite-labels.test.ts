import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { escapeFilterText } from '../src/processing/args/composite.js';
import type { ProcessingJob, ProcessingTrack, ProducedFile } from '../src/processing/job.js';
import { computeTimeline, planParticipants } from '../src/processing/plan.js';
import { buildComposite } from '../src/processing/steps/composite.js';
import { makeColorTrack, probedTrack, rgbFrame } from './processing-composite-media.js';

const exec = promisify(execFile);
const T0 = 1_700_000_000_000;
const W = 640;
const H = 360;
const NASTY = 'O\'Brien: "a,b" [x]; 100% \\ back=1';

let root: string;
const composites: Record<'on' | 'off', ProducedFile | undefined> = { on: undefined, off: undefined };

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'callrec-labels-'));
  await mkdir(join(root, 'tracks'));
  const track = (trackId: string, participantId: string, displayName: string): ProcessingTrack => ({
    trackId,
    participantId,
    displayName,
    kind: 'video',
    path: join(root, `${trackId}.webm`),
    startedAt: T0,
  });
  const tracks = [track('av', 'alice', 'Alice'), track('bv', 'bob', NASTY)];
  await Promise.all([
    makeColorTrack(tracks[0]?.path ?? '', { color: 'red', seconds: 3 }),
    makeColorTrack(tracks[1]?.path ?? '', { color: 'blue', seconds: 3 }),
  ]);
  const probed = await Promise.all(
    tracks.map((t) => probedTrack(t, join(root, 'tracks', `${t.trackId}.mkv`))),
  );
  for (const labels of [true, false]) {
    const job: ProcessingJob = {
      recordingId: 'labels',
      workDir: root,
      format: 'webm',
      videoCodec: 'vp8',
      audioCodec: 'opus',
      width: W,
      height: H,
      fps: 10,
      labels,
      tracks,
    };
    composites[labels ? 'on' : 'off'] = await buildComposite(
      planParticipants(probed),
      probed,
      computeTimeline(probed),
      job,
      join(root, `composite-${labels}.webm`),
    );
  }
}, 300_000);

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

/** Mean absolute difference of two RGB frames over a region. */
function difference(
  a: Buffer,
  b: Buffer,
  region: { x: number; y: number; width: number; height: number },
): number {
  let sum = 0;
  for (let y = region.y; y < region.y + region.height; y++) {
    for (let x = region.x; x < region.x + region.width; x++) {
      for (let c = 0; c < 3; c++) {
        const i = (y * W + x) * 3 + c;
        sum += Math.abs((a[i] ?? 0) - (b[i] ?? 0));
      }
    }
  }
  return sum / (region.width * region.height * 3);
}

describe('composite labels', () => {
  it('draws each name at the bottom left of its cell and nothing elsewhere', async () => {
    const on = await rgbFrame(composites.on?.path ?? '', 1.5, W, H);
    const off = await rgbFrame(composites.off?.path ?? '', 1.5, W, H);
    // Two 320x360 cells; a 30 px font sits 15 px above each cell's bottom edge.
    expect(difference(on, off, { x: 10, y: 305, width: 100, height: 45 })).toBeGreaterThan(20);
    expect(difference(on, off, { x: 330, y: 305, width: 100, height: 45 })).toBeGreaterThan(20);
    expect(difference(on, off, { x: 0, y: 0, width: 640, height: 280 })).toBeLessThan(3);
  });

  it('escapes names so drawtext draws exactly the text (same pixels as from a text file)', async () => {
    const textFile = join(root, 'name.txt');
    await writeFile(textFile, NASTY);
    const render = async (text: string) => {
      const { stdout } = await exec(
        'ffmpeg',
        [
          '-v',
          'error',
          '-f',
          'lavfi',
          '-i',
          'color=c=black:s=480x40:d=0.1',
          '-vf',
          `drawtext=${text}:expansion=none:fontsize=20:fontcolor=white:x=4:y=8`,
          '-frames:v',
          '1',
          '-f',
          'rawvideo',
          '-pix_fmt',
          'gray',
          'pipe:1',
        ],
        { encoding: 'buffer' },
      );
      return stdout;
    };
    const escaped = await render(`text=${escapeFilterText(NASTY)}`);
    const fromFile = await render(`textfile=${textFile}`);
    expect(escaped.length).toBe(480 * 40);
    expect(escaped.some((v) => v > 128)).toBe(true);
    expect(escaped.equals(fromFile)).toBe(true);
  });
});
