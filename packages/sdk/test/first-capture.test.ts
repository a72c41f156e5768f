import { afterEach, describe, expect, it, vi } from 'vitest';
import { FirstCapture } from '../src/first-capture.js';

type Chunk = { timestamp: number; duration?: number };

/**
 * A track whose clone yields `chunks` (capture timestamps in µs), each read at `arrivals` (page ms);
 * a clone opened after the recorder's start yields `afterStart` (by default the same chunks).
 */
function fakeTrack(
  kind: 'audio' | 'video',
  chunks: Chunk[],
  label = kind === 'video' ? 'fake_device_0' : 'Default',
  afterStart: Chunk[] = chunks,
) {
  const closed: number[] = [];
  let stopped = false;
  const clone = { kind, stop: () => (stopped = true) } as unknown as MediaStreamTrack;
  (clone as { clone: () => MediaStreamTrack }).clone = () => clone;
  let opened = 0;
  class Processor {
    readonly readable = new ReadableStream({
      start(controller) {
        const yields = opened++ === 0 ? chunks : afterStart;
        for (const [i, chunk] of yields.entries()) {
          controller.enqueue({ ...chunk, close: () => closed.push(i) });
        }
        controller.close();
      },
    });
  }
  vi.stubGlobal('MediaStreamTrackProcessor', Processor);
  const track = { kind, label, clone: () => clone } as unknown as MediaStreamTrack;
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

  it("puts the first chunk between the two clones' when the recorder may have missed one", async () => {
    // The clone opened before start() got the buffer at 0, the one opened after it the one at 10:
    // the recorder began with one of the two, so the start goes halfway, 5 ms after the first.
    const buffers = [0, 10, 20].map((ms) => ({ timestamp: (ms - 3000) * 1000, duration: 10_000 }));
    const { track } = fakeTrack('audio', buffers, 'Default', buffers.slice(1));
    pageClock([11, 21, 31, 50]);
    const first = FirstCapture.open(track);
    first?.recorderStarted(0);
    expect(await first?.result()).toBe(1_000_000 - 50 + 1 + 5);

    // Both clones got the same first buffer: that one is the recorder's.
    const same = fakeTrack('audio', buffers);
    pageClock([11, 21, 31, 50]);
    const agreed = FirstCapture.open(same.track);
    agreed?.recorderStarted(0);
    expect(await agreed?.result()).toBe(1_000_000 - 50 + 1);
  });

  it('dates a local frame captured before the start() call at the call: the recorder got a repeat', async () => {
    // A canvas drawn at page time 100 (capture clock = page clock + 5000 ms, delivered 1 ms
    // after) and not since: a new sink gets that frame again, but the file counts from the call.
    const frames = [100, 160, 193].map((ms) => ({ timestamp: (ms + 5000) * 1000 }));
    const canvas = fakeTrack('video', frames);
    pageClock([125, 161, 194, 200]);
    const first = FirstCapture.open(canvas.track);
    first?.recorderStarted(124);
    expect(await first?.result()).toBe(1_000_000 - 200 + 124);

    // A camera's first frame after the call was captured after it: its capture time stays.
    const camera = fakeTrack('video', frames);
    pageClock([101, 161, 194, 200]);
    const fresh = FirstCapture.open(camera.track);
    fresh?.recorderStarted(99);
    expect(await fresh?.result()).toBe(1_000_000 - 200 + 101);
  });

  describe('a received video track', () => {
    const received = (frames: number[]) =>
      fakeTrack(
        'video',
        frames.map((ms) => ({ timestamp: (ms + 5000) * 1000 })),
        'remote video',
      );

    it('dates frames stamped with their render time by their median delivery, before the stamp', async () => {
      // Before the first RTCP sender reports: frames come 14 (the median), 16, 12 ms before their
      // stamps; the quickest would date it 2 ms earlier.
      const { track } = received([300, 333, 366]);
      pageClock([286, 317, 354, 400]);
      expect(await FirstCapture.open(track)?.result()).toBe(1_000_000 - 400 + 286);
    });

    it("dates frames stamped with the sender's capture time by their median delivery, after it", async () => {
      // After the reports: stamps are the sender's capture, 30, 25, 28 (the median) ms before delivery.
      const { track } = received([300, 333, 366]);
      pageClock([330, 358, 394, 400]);
      expect(await FirstCapture.open(track)?.result()).toBe(1_000_000 - 400 + 328);
    });

    it('keeps a stamp from before the start() call: its file counts from that stamp', async () => {
      const { track } = received([300, 333, 366]);
      pageClock([286, 317, 354, 400]);
      const first = FirstCapture.open(track);
      first?.recorderStarted(350);
      expect(await first?.result()).toBe(1_000_000 - 400 + 286);
    });
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
