import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openSdkPage, type SdkPage } from './support/sdk-in-chromium.js';

// FirstCapture in real Chromium, for a video track received over a loopback RTCPeerConnection
// from the page's fake camera. Until the first RTCP sender reports, Chromium stamps received frames
// with their render time and delivers them before it; after, with the sender's capture time.

/**
 * In the page: `dateReceived()` opens, in one task, a FirstCapture on the received track with the
 * page's camera clock, one without it (its own deliveries only), and a raw reader for the first
 * frame's stamp, which the camera's clock (its quickest delivery) turns into epoch ms.
 */
const RUNNER = `
  import { FirstCapture } from '/sdk/first-capture.js';
  import { LocalVideoClock } from '/sdk/local-video-clock.js';
  const camera = (await navigator.mediaDevices.getUserMedia({ video: { width: 640, height: 360, frameRate: 30 } }))
    .getVideoTracks()[0];
  const cameraClock = new LocalVideoClock();
  let cameraOffset = -Infinity;
  async function calibrateCamera() {
    await FirstCapture.open(camera, cameraClock).result();
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
    const a = new RTCPeerConnection();
    const b = new RTCPeerConnection();
    a.onicecandidate = (e) => e.candidate && b.addIceCandidate(e.candidate);
    b.onicecandidate = (e) => e.candidate && a.addIceCandidate(e.candidate);
    a.addTrack(camera);
    const track = new Promise((resolve) => (b.ontrack = (e) => resolve(e.track)));
    await a.setLocalDescription(await a.createOffer());
    await b.setRemoteDescription(a.localDescription);
    await b.setLocalDescription(await b.createAnswer());
    await a.setRemoteDescription(b.localDescription);
    received = await track;
    return received.label;
  };
  globalThis.dateReceived = async () => {
    const raw = new MediaStreamTrackProcessor({ track: received.clone() }).readable.getReader();
    const withCamera = FirstCapture.open(received, cameraClock);
    const ownOnly = FirstCapture.open(received, new LocalVideoClock());
    const { value } = await raw.read();
    const stamp = Date.now() - performance.now() + (value.timestamp / 1000 - cameraOffset);
    value.close();
    await raw.cancel();
    return { withCamera: await withCamera.result(), ownOnly: await ownOnly.result(), stamp };
  };
  globalThis.sdkReady = true;
`;

let page: SdkPage;
beforeAll(async () => {
  page = await openSdkPage(RUNNER, {
    args: ['--use-fake-ui-for-media-stream', '--use-fake-device-for-media-stream=fps=30'],
  });
}, 30_000);
afterAll(async () => {
  await page?.close();
});

type Dated = { withCamera: number; ownOnly: number; stamp: number };
const dateReceived = () =>
  page.page.evaluate(() => (globalThis as unknown as { dateReceived(): Promise<Dated> }).dateReceived());

describe('FirstCapture on a received video track, in Chromium', () => {
  it('dates it by its stamp on the camera clock early in a connection, by its deliveries later', async () => {
    const label = await page.page.evaluate(() =>
      (globalThis as unknown as { connect(): Promise<string> }).connect(),
    );
    expect(label).toBe('remote video');

    // Within the first seconds, frames come before their render-time stamps: their own deliveries
    // date the track earlier than its stamp, the camera's clock dates it at the stamp.
    const early = await dateReceived();
    expect(early.withCamera - early.ownOnly, 'ms the camera clock moves it later').toBeGreaterThan(5);
    expect(Math.abs(early.withCamera - early.stamp), 'ms from its stamp').toBeLessThanOrEqual(3);

    // Once the sender reports came, stamps are the sender's capture, before delivery: the track
    // keeps the date its own deliveries give, later than its stamp.
    await page.page.waitForTimeout(6_000);
    const later = await dateReceived();
    // (Each result reads Date.now() − performance.now() on its own: they differ by a fraction of a ms.)
    expect(Math.abs(later.withCamera - later.ownOnly), 'ms between the two').toBeLessThanOrEqual(1);
    expect(later.withCamera - later.stamp, 'ms after its stamp').toBeGreaterThan(0);
  }, 60_000);
});
