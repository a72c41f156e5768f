import { afterEach, describe, expect, it, vi } from 'vitest';
import { FirstCapture } from '../src/first-capture.js';

/** A track whose clone yields `chunks` (capture timestamps in µs), each read at `arrivals` (page ms). */
function fakeTrack(kind: 'audio' | 'video', chunks: { timestamp: number; duration?: number }[]) {
  const closed: number[] = [];
  let stopped = false;
  const clone = { kind, stop: () => (stopped = true) } as unknown as MediaStreamTrack;
  class Processor {
    readonly readable = new ReadableStream({
      start(controller) {
        for (const [i, chunk] of chunks.entries()) {
          controller.enqueue({ ...chunk, close: () => closed.push(i) });
        }
        controller.close();
      },
    });
  }
  vi.stubGlobal('MediaStreamTrackProcessor', Processor);
  const track = { kind, clone: () => clone } as unknown as MediaStreamTrack;
  return { track, closed, stopped: () => stopped };
}

/** performance.now() reads `arrivals` in order (one per chunk read), then the last one. */
function pageClock(arrivals: number[]) {
  let i = 0;
  vi.spyOn(performance, 'now').mockImplementation(
    () => arrivals[Math.min(i++, arrivals.length - 1)] as number,
  );
  vi.spyOn(Date, 'now').mockReturnValue(1_000_000);
}

afterEach(() => {
  vi.unstubAllGlobals();
  vi.restoreAllMocks();
});

describe('FirstCapture', () => {
  it('dates the first frame by the quickest delivery and releases the clone', async () => {
    // Capture clock = page clock + 5000 ms; deliveries take 9, 2 (the quickest), 6 ms.
    const frames = [100, 133, 166].map((ms) => ({ timestamp: (ms + 5000) * 1000 }));
    const { track, closed, stopped } = fakeTrack('video', frames);
    pageClock([109, 135, 172, 200]);
    const first = FirstCapture.open(track);
    // Epoch = Date.now() − performance.now() + page time of the capture. The quickest delivery is
    // taken as instant, so the estimate is late by its 2 ms: 1_000_000 − 200 + (100 + 2).
    expect(await first?.result()).toBe(1_000_000 - 200 + 102);
    expect(closed).toEqual([0, 1, 2]);
    expect(stopped()).toBe(true);
  });

  it('takes an audio buffer as delivered once its last sample was captured', async () => {
    // 10 ms buffers, capture clock = page clock − 3000 ms; the second is delivered 1 ms after its
    // end (the quickest), so the first sample is put at page time 0 + 1.
    const buffers = [0, 10].map((ms) => ({ timestamp: (ms - 3000) * 1000, duration: 10_000 }));
    const { track } = fakeTrack('audio', buffers);
    pageClock([14, 21, 50]);
    expect(await FirstCapture.open(track)?.result()).toBe(1_000_000 - 50 + 1);
  });

  it('gives no time when the track sends nothing, and is absent without the API', async () => {
    const { track } = fakeTrack('video', []);
    pageClock([0]);
    const first = FirstCapture.open(track);
    first?.close();
    expect(await first?.result()).toBeUndefined();
    vi.unstubAllGlobals();
    expect(FirstCapture.open(track)).toBeUndefined();
  });
});
