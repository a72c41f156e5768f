import { describe, expect, it } from 'vitest';
import { type Cell, gridLayout, speakerLayout } from '../src/processing/layout.js';
import { gridScenes, placementsOf, speakerScenes } from '../src/processing/scenes.js';
import { selectSpeakers } from '../src/processing/speaker.js';

const W = 0.1;
const SILENT = Number.NEGATIVE_INFINITY;

/** Levels at 0.1 s windows from `[seconds, dB]` runs. */
const levels = (...runs: [number, number][]) =>
  runs.flatMap(([seconds, db]) => Array.from({ length: Math.round(seconds / W) }, () => db));
const speakers = (a: number[], b: number[], c: number[] = []) =>
  selectSpeakers(
    [
      { participantId: 'a', levels: a },
      { participantId: 'b', levels: b },
      { participantId: 'c', levels: c },
    ],
    { windowSeconds: W },
  ).map((s) => ({ ...s, from: Math.round(s.from * 10) / 10, to: Math.round(s.to * 10) / 10 }));

describe('selectSpeakers', () => {
  it('finds nobody when everyone is silent', () => {
    expect(speakers(levels([5, SILENT]), levels([5, -70]))).toEqual([]);
  });

  it('shows the first speaker from the start, and follows turns at their onset', () => {
    expect(
      speakers(
        levels([1, SILENT], [3, -20], [3, SILENT], [3, -20]),
        levels([4, SILENT], [3, -20], [3, SILENT]),
      ),
    ).toEqual([
      { from: 0, to: 4, participantId: 'a' },
      { from: 4, to: 7, participantId: 'b' },
      { from: 7, to: 10, participantId: 'a' },
    ]);
  });

  it('keeps the last speaker through silence', () => {
    expect(speakers(levels([2, -20], [5, SILENT]), levels([7, SILENT]))).toEqual([
      { from: 0, to: 7, participantId: 'a' },
    ]);
  });

  it('ignores an interjection shorter than 0.5 s', () => {
    expect(speakers(levels([6, -20]), levels([2, SILENT], [0.3, -10], [3.7, SILENT]))).toEqual([
      { from: 0, to: 6, participantId: 'a' },
    ]);
  });

  it('does not switch to someone only slightly louder (within 6 dB)', () => {
    expect(speakers(levels([6, -20]), levels([1, SILENT], [5, -16]))).toEqual([
      { from: 0, to: 6, participantId: 'a' },
    ]);
  });

  it('switches to someone clearly louder while the speaker goes on', () => {
    expect(speakers(levels([6, -30]), levels([3, SILENT], [3, -15]))).toEqual([
      { from: 0, to: 3, participantId: 'a' },
      { from: 3, to: 6, participantId: 'b' },
    ]);
  });

  it('holds a new speaker at least 1.5 s', () => {
    // b takes over at 2 s; a is back at 2.6 s but may only take over at 3.5 s.
    expect(
      speakers(levels([2, -20], [0.6, SILENT], [3.4, -20]), levels([2, SILENT], [0.6, -20], [3.4, SILENT])),
    ).toEqual([
      { from: 0, to: 2, participantId: 'a' },
      { from: 2, to: 3.5, participantId: 'b' },
      { from: 3.5, to: 6, participantId: 'a' },
    ]);
  });

  it('breaks ties in join order', () => {
    expect(speakers(levels([3, -20]), levels([3, -20]))).toEqual([{ from: 0, to: 3, participantId: 'a' }]);
  });

  it('goes to the loudest of several', () => {
    expect(speakers(levels([4, -40]), levels([4, -30]), levels([4, -10]))).toEqual([
      { from: 0, to: 4, participantId: 'c' },
    ]);
  });
});

const overlaps = (a: Cell, b: Cell) =>
  a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;

describe('speakerLayout', () => {
  it('gives someone alone the full frame', () => {
    expect(speakerLayout(1, 1280, 720)).toEqual([{ x: 0, y: 0, width: 1280, height: 720 }]);
  });

  it('puts the speaker on top and the others in a centred filmstrip', () => {
    expect(speakerLayout(3, 1280, 720)).toEqual([
      { x: 0, y: 0, width: 1280, height: 576 },
      { x: 384, y: 576, width: 256, height: 144 },
      { x: 640, y: 576, width: 256, height: 144 },
    ]);
  });

  it.each([2, 3, 4, 5, 6, 7, 8, 9, 10, 12, 16])(
    '%i participants: even cells inside the frame, disjoint',
    (n) => {
      const cells = speakerLayout(n, 1280, 720);
      expect(cells).toHaveLength(n);
      for (const [i, cell] of cells.entries()) {
        for (const value of Object.values(cell)) expect(value % 2).toBe(0);
        expect(cell.x + cell.width).toBeLessThanOrEqual(1280);
        expect(cell.y + cell.height).toBeLessThanOrEqual(720);
        for (const other of cells.slice(i + 1)) expect(overlaps(cell, other)).toBe(false);
      }
    },
  );
});

describe('grid sizes', () => {
  it.each([
    [1, 1, 1],
    [2, 2, 1],
    [3, 2, 2],
    [4, 2, 2],
    [5, 3, 2],
    [6, 3, 2],
    [7, 3, 3],
    [8, 3, 3],
    [9, 3, 3],
    [10, 4, 3],
    [11, 4, 3],
    [12, 4, 3],
  ])('%i present → %i columns x %i rows', (n, cols, rows) => {
    const grid = gridLayout(n, 1280, 720);
    expect([grid.cols, grid.rows]).toEqual([cols, rows]);
    expect(grid.cells).toHaveLength(n);
  });
});

describe('scenes and placements', () => {
  const segments = [
    { from: 0, to: 2, present: ['a'] },
    { from: 2, to: 4, present: ['a', 'b'] },
    { from: 4, to: 6, present: ['a'] },
    { from: 6, to: 8, present: ['a', 'b'] },
  ];

  it('places a track once per distinct cell, with every range it is there', () => {
    const scenes = gridScenes(segments, 1280, 720);
    expect(placementsOf(scenes, 'a', { from: 0, to: 8 })).toEqual([
      {
        cell: { x: 0, y: 0, width: 1280, height: 720 },
        ranges: [
          { from: 0, to: 2 },
          { from: 4, to: 6 },
        ],
      },
      {
        cell: { x: 0, y: 0, width: 640, height: 720 },
        ranges: [
          { from: 2, to: 4 },
          { from: 6, to: 8 },
        ],
      },
    ]);
    expect(placementsOf(scenes, 'b', { from: 2.5, to: 7 })).toEqual([
      {
        cell: { x: 640, y: 0, width: 640, height: 720 },
        ranges: [
          { from: 2.5, to: 4 },
          { from: 6, to: 7 },
        ],
      },
    ]);
  });

  it('joins touching ranges of the same cell', () => {
    const scenes = gridScenes(
      [
        { from: 0, to: 2, present: ['a', 'b'] },
        { from: 2, to: 4, present: ['a', 'c'] },
      ],
      1280,
      720,
    );
    expect(placementsOf(scenes, 'a', { from: 0, to: 4 })).toEqual([
      { cell: { x: 0, y: 0, width: 640, height: 720 }, ranges: [{ from: 0, to: 4 }] },
    ]);
  });

  it('puts the speaker large and the others in the filmstrip, splitting at speaker changes', () => {
    const scenes = speakerScenes(
      [{ from: 0, to: 6, present: ['a', 'b'] }],
      [
        { from: 0, to: 3, participantId: 'b' },
        { from: 3, to: 6, participantId: 'a' },
      ],
      1280,
      720,
    );
    expect(
      scenes.map((s) => [s.from, s.to, s.cells.map((c) => `${c.participantId}:${c.cell.height}`)]),
    ).toEqual([
      [0, 3, ['b:576', 'a:144']],
      [3, 6, ['a:576', 'b:144']],
    ]);
  });

  it('gives the large cell to the first present participant before anyone speaks or when the speaker left', () => {
    const scenes = speakerScenes(
      [
        { from: 0, to: 4, present: ['a', 'b'] },
        { from: 4, to: 8, present: ['a'] },
      ],
      [{ from: 0, to: 8, participantId: 'b' }],
      1280,
      720,
    );
    expect(scenes.map((s) => [s.from, s.to, s.cells.map((c) => c.participantId)])).toEqual([
      [0, 4, ['b', 'a']],
      [4, 8, ['a']],
    ]);
    expect(
      speakerScenes([{ from: 0, to: 4, present: ['a', 'b'] }], [], 1280, 720)[0]?.cells[0]?.participantId,
    ).toBe('a');
  });
});
