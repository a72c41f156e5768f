import { describe, expect, it } from 'vitest';
import { FAKE_MEDIA_ARGS, PAGE_LOOPBACK, sdkPageForFile } from './support/sdk-in-chromium.js';

// ReceivedVideoTiming in real Chromium: the fake camera sent over a loopback RTCPeerConnection
// whose receiver holds video frames 150 ms (`jitterBufferTarget`), as a jittery network makes it.

/**
 * In the page: `follow(ms)` connects, opens a ReceivedVideoTiming on the received track as a
 * recorder would at its start, and after `ms` returns its steps, with the median delay (arrival
 * less stamp) of the frames a raw reader saw in the first and in the last second.
 */
const RUNNER = `
  import { ReceivedVideoTiming } from '/sdk/received-video-timing.js';
  ${PAGE_LOOPBACK}
  globalThis.follow = async (ms) => {
    const camera = (await navigator.mediaDevices.getUserMedia({ video: { width: 640, height: 360, frameRate: 30 } }))
      .getVideoTracks()[0];
    const link = await loopback(camera, { jitterBufferTarget: 150 });
    const received = link.track;
    const raw = new MediaStreamTrackProcessor({ track: received.clone() }).readable.getReader();
    const timing = ReceivedVideoTiming.open(received);
    const delays = [];
    const started = performance.now();
    while (performance.now() - started < ms) {
      const { value } = await raw.read();
      delays.push([performance.now() - started, performance.now() - value.timestamp / 1000]);
      value.close();
    }
    const steps = timing.finish();
    await raw.cancel();
    link.close();
    camera.stop();
    const median = (from, to) => {
      const span = delays.filter(([t]) => t >= from && t < to).map(([, d]) => d).sort((x, y) => x - y);
      return span[Math.floor(span.length / 2)];
    };
    return { steps, first: median(0, 1000), last: median(ms - 1000, ms) };
  };
  globalThis.sdkReady = true;
`;

const sdkPage = sdkPageForFile(RUNNER, { args: FAKE_MEDIA_ARGS });

type Followed = { steps: { atMs: number; shiftMs: number }[]; first: number; last: number };

describe('ReceivedVideoTiming, in Chromium', () => {
  it('finds the jump back of received timestamps when the RTCP sender reports arrive', async () => {
    const followed = await sdkPage().page.evaluate(
      (ms) => (globalThis as unknown as { follow(ms: number): Promise<Followed> }).follow(ms),
      8_000,
    );
    console.log(`[received timing] ${JSON.stringify(followed)}`);
    // The timestamps move from render time (after arrival) to the sender's capture time (150 ms
    // before it) when the RTCP sender reports come, a few seconds in: one step, by that much.
    const jump = followed.last - followed.first;
    expect(jump).toBeGreaterThan(130);
    expect(followed.steps).toHaveLength(1);
    const [step] = followed.steps;
    expect(step?.atMs).toBeGreaterThan(1_000);
    expect(step?.atMs).toBeLessThan(6_000);
    expect(Math.abs((step?.shiftMs ?? 0) - jump)).toBeLessThanOrEqual(5);
  }, 60_000);
});
