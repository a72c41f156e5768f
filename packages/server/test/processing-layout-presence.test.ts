import { describe, expect, it } from 'vitest';
import { presenceSegments } from '../src/processing/presence.js';

const p = (participantId: string, ...spans: [number, number][]) => ({
  participantId,
  spans: spans.map(([from, to]) => ({ from, to })),
});

describe('presenceSegments', () => {
  it('is empty for an empty timeline', () => {
    expect(presenceSegments([p('a', [0, 5])], 0)).toEqual([]);
  });

  it('splits where the present set changes, in join order', () => {
    expect(presenceSegments([p('a', [0, 10]), p('b', [2, 6]), p('c', [4, 10])], 10)).toEqual([
      { from: 0, to: 2, present: ['a'] },
      { from: 2, to: 4, present: ['a', 'b'] },
      { from: 4, to: 6, present: ['a', 'b', 'c'] },
      { from: 6, to: 10, present: ['a', 'c'] },
    ]);
  });

  it('keeps the given (join) order even when a later participant is present first', () => {
    expect(presenceSegments([p('a', [3, 10]), p('b', [0, 10])], 10).at(-1)).toEqual({
      from: 3,
      to: 10,
      present: ['a', 'b'],
    });
  });

  it('merges overlapping spans of one participant (audio and video)', () => {
    expect(presenceSegments([p('a', [0, 6], [1, 10])], 10)).toEqual([{ from: 0, to: 10, present: ['a'] }]);
  });

  it('shows a participant who leaves and rejoins in both spans', () => {
    expect(presenceSegments([p('a', [0, 10]), p('b', [2, 4], [7, 10])], 10)).toEqual([
      { from: 0, to: 2, present: ['a'] },
      { from: 2, to: 4, present: ['a', 'b'] },
      { from: 4, to: 7, present: ['a'] },
      { from: 7, to: 10, present: ['a', 'b'] },
    ]);
  });

  it('ignores blips shorter than 0.5 s: a short visit, a short gap', () => {
    expect(presenceSegments([p('a', [0, 10]), p('b', [3, 3.3]), p('c', [5, 6.8], [7.1, 10])], 10)).toEqual([
      { from: 0, to: 5, present: ['a'] },
      { from: 5, to: 10, present: ['a', 'c'] },
    ]);
  });

  it('moves a short first segment into the next one', () => {
    // b's video starts 0.3 s after a's audio: the call starts with both.
    expect(presenceSegments([p('a', [0.3, 10]), p('b', [0, 10])], 10)).toEqual([
      { from: 0, to: 10, present: ['a', 'b'] },
    ]);
  });

  it('keeps a stretch with nobody present (black)', () => {
    expect(presenceSegments([p('a', [0, 3], [6, 10])], 10)).toEqual([
      { from: 0, to: 3, present: ['a'] },
      { from: 3, to: 6, present: [] },
      { from: 6, to: 10, present: ['a'] },
    ]);
  });

  it('clips spans to the timeline', () => {
    expect(presenceSegments([p('a', [-1, 20])], 10)).toEqual([{ from: 0, to: 10, present: ['a'] }]);
  });

  it('honours a custom minimum', () => {
    expect(presenceSegments([p('a', [0, 10]), p('b', [3, 4])], 10, 2)).toEqual([
      { from: 0, to: 10, present: ['a'] },
    ]);
  });
});
