import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { median } from '../../sdk/src/median.js';
import { beepOnsets } from './fixtures/inspect-media.js';
import { PAGE_BEEPER, PAGE_LOOPBACK, sdkPageForFile } from './support/sdk-in-chromium.js';
import { tempDirForFile } from './support/temp-dir.js';

// FirstCapture in real Chromium, for an audio track received over a loopback RTCPeerConnection
// from a Web Audio oscillator that beeps at irregular instants: a page busy right after a
// recorder's start() must not make the file's beeps land late.

/**
 * In the page, a reader that keeps every chunk notes each beep onset on the chunks' clock (the
 * one MediaRecorder writes by), and maps it to epoch ms by its quickest delivery. `record(ms,
 * busyMs)` starts a FirstCapture and a MediaRecorder on the received track as TrackRecorder does,
 * keeps the main thread busy for `busyMs`, and returns the FirstCapture's date, the file and the
 * reference onsets.
 */
const RUNNER = `
  import { FirstCapture } from '/sdk/first-capture.js';
  ${PAGE_LOOPBACK}
  ${PAGE_BEEPER}
  const { context, track: tone, beep } = beeper();
  for (let t = context.currentTime + 0.5; t < context.currentTime + 120; t += 0.25 + 0.1 * Math.random()) beep(t);
  const { track } = await loopback(tone);
  // Chromium delivers a received audio track only while a media element plays it.
  const element = new Audio();
  element.muted = true;
  element.srcObject = new MediaStream([track]);
  await element.play();

  const onsets = [];
  let clockOffset = -Infinity;
  let loudUntil = -Infinity;
  (async () => {
    const reader = new MediaStreamTrackProcessor({ track: track.clone(), maxBufferSize: 1000 }).readable.getReader();
    for (;;) {
      const { value } = await reader.read();
      const readAt = performance.now();
      const start = value.timestamp / 1000;
      const samples = new Float32Array(value.numberOfFrames);
      value.copyTo(samples, { planeIndex: 0, format: 'f32-planar' });
      clockOffset = Math.max(clockOffset, start + value.numberOfFrames / 48 - readAt);
      samples.forEach((sample, i) => {
        if (Math.abs(sample) <= 0.1) return;
        const t = start + i / 48;
        if (t - loudUntil >= 100) onsets.push(t);
        loudUntil = t;
      });
      value.close();
    }
  })();

  globalThis.record = async (ms, busyMs) => {
    const first = FirstCapture.open(track);
    const recorder = new MediaRecorder(new MediaStream([track]), { mimeType: 'audio/webm;codecs=opus' });
    const chunks = [];
    recorder.ondataavailable = (e) => chunks.push(e.data);
    const startCalledAt = performance.now();
    recorder.start(1000);
    first.recorderStarted(startCalledAt);
    const busyUntil = performance.now() + busyMs;
    while (performance.now() < busyUntil);
    await new Promise((resolve) => setTimeout(resolve, ms));
    const stopped = new Promise((resolve) => (recorder.onstop = resolve));
    recorder.stop();
    await stopped;
    const dated = await first.result();
    first.close();
    const bytes = new Uint8Array(await new Blob(chunks).arrayBuffer());
    let binary = '';
    for (const byte of bytes) binary += String.fromCharCode(byte);
    const origin = Date.now() - performance.now();
    return { dated, webm: btoa(binary), reference: onsets.map((t) => t - clockOffset + origin) };
  };
  globalThis.sdkReady = true;
`;

const sdkPage = sdkPageForFile(RUNNER, { args: ['--autoplay-policy=no-user-gesture-required'] });
const dir = tempDirForFile('callrec-first-audio-');

type Recorded = { dated: number; webm: string; reference: number[] };
/** Chromium's Opus declares no pre-skip: its decoded sound runs this much behind (codecs.ts). */
const OPUS_PRIMING_MS = 6.5;

describe('FirstCapture on a received audio track, in Chromium', () => {
  it('dates the file right when the page is busy for 150 ms just after start()', async () => {
    const errors: number[] = [];
    for (let trial = 0; trial < 3; trial++) {
      const recorded = await sdkPage().page.evaluate(
        ({ ms, busyMs }) =>
          (globalThis as unknown as { record(ms: number, busy: number): Promise<Recorded> }).record(
            ms,
            busyMs,
          ),
        { ms: 2_000, busyMs: 150 },
      );
      const path = join(dir(), `trial-${trial}.webm`);
      await writeFile(path, Buffer.from(recorded.webm, 'base64'));
      const beeps = await beepOnsets(path);
      expect(beeps.length, `beeps in trial ${trial}`).toBeGreaterThanOrEqual(4);
      // Each beep of the file, placed by the date, less the nearest beep the page heard.
      const offsets = beeps.map((t) => {
        const at = recorded.dated + t * 1000 - OPUS_PRIMING_MS;
        return recorded.reference.reduce(
          (best, r) => (Math.abs(at - r) < Math.abs(best) ? at - r : best),
          Infinity,
        );
      });
      errors.push(median(offsets));
    }
    // Measured without the larger buffer: 50-60 ms late every time.
    for (const error of errors)
      expect(Math.abs(error), `file − page, ms: ${errors.join(', ')}`).toBeLessThan(10);
  }, 60_000);
});
