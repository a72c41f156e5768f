import { describe, expect, it } from 'vitest';
import { byInstant, fitStream, pairOffsets, steadyBeeps } from './match.js';

describe('steadyBeeps', () => {
  const instants = [1_000, 1_700, 2_600, 3_300, 4_500];

  it('puts every heard beep at its instant plus the median latency', () => {
    const live = [1_031, 1_712, 2_644, 3_319, 4_522]; // latencies 31 12 44 19 22 → median 22
    expect(steadyBeeps(live, instants)).toEqual([1_022, 1_722, 2_622, 3_322, 4_522]);
  });

  it('leaves out an instant the page never played, and readings far from every instant', () => {
    expect(steadyBeeps([1_020, 2_620, 3_900], instants)).toEqual([1_020, 2_620]);
    expect(steadyBeeps([], instants)).toEqual([]);
  });
});

describe('pairOffsets', () => {
  it('is zero when two streams keep the live distance, and shows a placement error when not', () => {
    const instants = [1_000, 2_000, 3_500];
    const a = fitStream([1_010, 2_010, 3_510], [0.01, 1.01, 2.51]);
    const right = fitStream([1_030, 2_030, 3_530], [0.03, 1.03, 2.53]);
    const late = fitStream([1_030, 2_030, 3_530], [0.03, 1.03, 2.6]);
    const offsets = (fit: typeof a) =>
      pairOffsets(byInstant(a, instants), byInstant(fit, instants)).map((p) => Math.round(p.offset) || 0);
    expect(offsets(right)).toEqual([0, 0, 0]);
    expect(offsets(late)).toEqual([0, 0, 70]);
  });
});
