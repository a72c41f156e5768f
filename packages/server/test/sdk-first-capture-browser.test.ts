import { describe, expect, it } from 'vitest';
import { FAKE_MEDIA_ARGS, PAGE_LOOPBACK, sdkPageForFile } from './support/sdk-in-chromium.js';

// FirstCapture in real Chromium, for a video track received over a loopback RTCPeerConnection
// from the page's fake camera. Until the first RTCP sender reports, Chromium stamps received frames
// with their render time and delivers them before it; after, with the sender's capture time.

/**
 * In the page: `dateReceived()` opens, in one task, a FirstCapture on the received track and a raw
 * reader that notes its first frame's stamp, which the camera's clock (its quickest delivery)
 * turns into epoch ms, and when that frame would have arrived by the median delivery of 30.
 */
const RUNNER = `
  import { FirstCapture } from '/sdk/first-capture.js';
  ${PAGE_LOOPBACK}
  const camera = (await navigator.mediaDevices.getUserMedia({ video: { width: 640, height: 360, frameRate: 30 } }))
    .getVideoTracks()[0];
  let cameraOffset = -Infinity;
  async function calibrateCamera() {
    const reader = new MediaStreamTrackProcessor({ track: camera.clone() }).readable.getReader();
    for (let i = 0; i < 60; i++) {
      const { value } = await reader.read();
      cameraOffset = Math.max(cameraOffset, value.timestamp / 1000 - performance.now());
      value.close();
    }
    await reader.cancel();
  }
  let received;
  globalThis.connect = async () => {
    // Before connecting: the received track must be dated in its first seconds.
    await calibrateCamera();
    received = (await loopback(camera)).track;
    return received.label;
  };
  globalThis.dateReceived = async () => {
    const raw = new MediaStreamTrackProcessor({ track: received.clone() }).readable.getReader();
    const first = FirstCapture.open(received);
    const delays = [];
    let firstStamp;
    for (let i = 0; i < 30; i++) {
      const { value } = await raw.read();
      firstStamp ??= value.timestamp / 1000;
      delays.push(performance.now() - value.timestamp / 1000);
      value.close();
    }
    await raw.cancel();
    delays.sort((x, y) => x - y);
    const origin = Date.now() - performance.now();
    const arrived = origin + firstStamp + delays[15];
    const stamp = origin + (firstStamp - cameraOffset);
    return { dated: await first.result(), stamp, arrived };
  };
  globalThis.sdkReady = true;
`;

const sdkPage = sdkPageForFile(RUNNER, { args: FAKE_MEDIA_ARGS });

type Dated = { dated: number; stamp: number; arrived: number };
const dateReceived = () =>
  sdkPage().page.evaluate(() => (globalThis as unknown as { dateReceived(): Promise<Dated> }).dateReceived());

describe('FirstCapture on a received video track, in Chromium', () => {
  it('dates it by its median delivery, before its stamp early in a connection, after it later', async () => {
    const label = await sdkPage().page.evaluate(() =>
      (globalThis as unknown as { connect(): Promise<string> }).connect(),
    );
    expect(label).toBe('remote video');

    // Within the first seconds, frames come before their render-time stamps.
    const early = await dateReceived();
    expect(early.stamp - early.dated, 'ms before its stamp').toBeGreaterThan(5);
    expect(Math.abs(early.arrived - early.dated), 'ms from when it arrived').toBeLessThanOrEqual(4);

    // Once the sender reports came, stamps are the sender's capture, before delivery.
    await sdkPage().page.waitForTimeout(6_000);
    const later = await dateReceived();
    expect(later.dated - later.stamp, 'ms after its stamp').toBeGreaterThan(0);
    expect(Math.abs(later.arrived - later.dated), 'ms from when it arrived').toBeLessThanOrEqual(4);
  }, 60_000);
});
