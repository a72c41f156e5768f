import { describe, expect, it } from 'vitest';
import { PresentationSteps } from '../src/presentation-steps.js';
import { MAX_TIMING_STEPS } from '../src/protocol.js';

const FRAME_MS = 1000 / 30;

/** A seeded generator, so a failure can be replayed. */
function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
    return state / 2 ** 31;
  };
}

/**
 * Frames of a received track as ReceivedVideoTiming feeds them: `delayAt(i)` is the delay level
 * at frame i (arrival less timestamp), `jitter(i)` what a busy page adds to it. A rise in the
 * delay is a timestamp jumping back; the file time holds at the largest timestamp seen, as the
 * recorder's muxer holds it.
 */
function feed(
  frames: number,
  delayAt: (i: number) => number,
  jitter: (i: number) => number = () => 0,
): PresentationSteps {
  const steps = new PresentationSteps();
  let fileMs = 0;
  for (let i = 0; i < frames; i++) {
    const arrival = i * FRAME_MS;
    const stamp = arrival - delayAt(i);
    fileMs = Math.max(fileMs, stamp - (0 - delayAt(0)));
    steps.add(fileMs, arrival + jitter(i) - stamp);
  }
  return steps;
}

describe('PresentationSteps', () => {
  it('finds no step in a steady delay with delivery jitter', () => {
    const noise = random(1);
    const steps = feed(
      30 * 60,
      () => -12,
      () => noise() * 8,
    );
    expect(steps.steps()).toEqual([]);
  });

  it('shifts by a rise from the frame where the timestamps jumped back, as RTCP sender reports make them', () => {
    // Render time (12 ms after arrival) until frame 77, then capture time (140 ms before arrival).
    const noise = random(2);
    const steps = feed(
      30 * 15,
      (i) => (i < 77 ? -12 : 140),
      () => noise() * 6,
    ).steps();
    expect(steps).toHaveLength(1);
    const [step] = steps;
    // The jump holds the file time at frame 76's, 76 frames in.
    expect(step?.atMs).toBeCloseTo(76 * FRAME_MS, 0);
    expect(step?.shiftMs).toBeGreaterThanOrEqual(150);
    expect(step?.shiftMs).toBeLessThanOrEqual(152);
  });

  it('shifts back by a fall from its first frame', () => {
    const steps = feed(30 * 15, (i) => (i < 200 ? 60 : 20)).steps();
    expect(steps).toEqual([{ atMs: Math.round(200 * FRAME_MS + 40), shiftMs: -40 }]);
  });

  it('does not take a busy second for a step', () => {
    const steps = feed(
      30 * 15,
      () => 5,
      (i) => (i >= 100 && i < 130 ? 60 : 0),
    );
    expect(steps.steps()).toEqual([]);
  });

  it('follows a slow drift to within a step', () => {
    // WebRTC's lip sync moving the video delay by 4 ms a second for 40 s.
    const delayAt = (i: number) => (i * FRAME_MS * 4) / 1000;
    const steps = feed(30 * 40, delayAt).steps();
    expect(steps.length).toBeGreaterThan(5);
    for (const step of steps) {
      const frame = Math.round(step.atMs / FRAME_MS);
      expect(Math.abs(delayAt(frame) - step.shiftMs)).toBeLessThan(20);
    }
    expect(steps.map((s) => s.atMs)).toEqual([...steps.map((s) => s.atMs)].sort((a, b) => a - b));
  });

  it(`keeps at most ${MAX_TIMING_STEPS} steps and counts the rest`, () => {
    // The delay alternates every 3 s between two levels 30 ms apart.
    const steps = feed(30 * 3 * (MAX_TIMING_STEPS + 20), (i) => (Math.floor(i / 90) % 2 === 0 ? 0 : 30));
    expect(steps.steps()).toHaveLength(MAX_TIMING_STEPS);
    expect(steps.dropped).toBeGreaterThanOrEqual(15);
  });
});
