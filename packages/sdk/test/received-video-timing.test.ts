import { afterEach, describe, expect, it, vi } from 'vitest';
import { ReceivedVideoTiming } from '../src/received-video-timing.js';

const FRAME_MS = 1000 / 30;

/**
 * A received track whose clone yields `frames` (stamp and page arrival, ms), calling `before(i)`
 * ahead of frame i, where a test pauses or resumes; `done` settles once the last frame was read.
 */
function receivedTrack(frames: { stamp: number; arrival: number }[], before: (i: number) => void) {
  let arrival = 0;
  let finished: () => void = () => {};
  const done = new Promise<void>((resolve) => (finished = resolve));
  class Processor {
    readonly #next = { i: 0 };
    readonly readable = new ReadableStream({
      pull: (controller) => {
        const i = this.#next.i++;
        const frame = frames[i];
        if (!frame) {
          finished();
          return new Promise(() => {});
        }
        before(i);
        arrival = frame.arrival;
        controller.enqueue({ timestamp: frame.stamp * 1000, close: () => {} });
      },
    });
  }
  vi.stubGlobal('MediaStreamTrackProcessor', Processor);
  vi.spyOn(performance, 'now').mockImplementation(() => arrival);
  const clone = { kind: 'video', label: 'remote video', stop: () => {} } as unknown as MediaStreamTrack;
  const track = { kind: 'video', label: 'remote video', clone: () => clone } as unknown as MediaStreamTrack;
  return { track, done };
}

afterEach(() => {
  vi.unstubAllGlobals();
  vi.restoreAllMocks();
});

describe('ReceivedVideoTiming', () => {
  it("places a step in the recorder's file time, paused span left out", async () => {
    // 10 s at 30 fps, paused from 3 s to 5 s. Stamps are render times (12 ms after arrival) until
    // frame 180 (6 s), then the sender's capture times, 140 ms before arrival: 152 ms back.
    const frames = Array.from({ length: 300 }, (_, i) => {
      const arrival = 1000 + i * FRAME_MS;
      return { arrival, stamp: arrival - (i < 180 ? -12 : 140) };
    });
    let timing: ReceivedVideoTiming | undefined;
    const { track, done } = receivedTrack(frames, (i) => {
      if (i === 90) timing?.pause();
      if (i === 150) timing?.resume();
    });
    timing = ReceivedVideoTiming.open(track);
    await done;
    const steps = timing?.finish() ?? [];
    expect(steps).toHaveLength(1);
    // The file holds at frame 179's time, 179 frames in less the 60 paused ones.
    expect(steps[0]?.atMs).toBeCloseTo(119 * FRAME_MS, -1);
    expect(steps[0]?.shiftMs).toBe(152);
  });

  it('follows only received video', () => {
    vi.stubGlobal('MediaStreamTrackProcessor', class {});
    const local = { kind: 'video', label: 'fake_device_0' } as unknown as MediaStreamTrack;
    const audio = { kind: 'audio', label: 'remote audio' } as unknown as MediaStreamTrack;
    expect(ReceivedVideoTiming.open(local)).toBeUndefined();
    expect(ReceivedVideoTiming.open(audio)).toBeUndefined();
  });
});
