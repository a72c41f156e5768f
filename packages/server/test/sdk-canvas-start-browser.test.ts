import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { sdkPageForFile } from './support/sdk-in-chromium.js';
import { tempDirForFile } from './support/temp-dir.js';

const exec = promisify(execFile);

// The SDK's TrackRecorder on a canvas in real Chromium. A canvas sends a new recorder its current
// frame again at `start()`, with that frame's old capture stamp, and the recorder counts its file
// from the call. The start the SDK reports must be the file's time 0 all the same.

/**
 * In the page: `record(stillMs)` draws frame 0 (a grey square at x = 0), leaves the canvas still
 * for `stillMs`, starts a TrackRecorder, and 100 ms later draws frame k (square at x = 6k) on
 * each animation frame. Returns the file, the reported start and each frame's draw time (epoch ms).
 */
const RUNNER = `
  import { TrackRecorder } from '/sdk/track-recorder.js';
  globalThis.record = async (stillMs) => {
    const canvas = document.createElement('canvas');
    canvas.width = 640;
    canvas.height = 180;
    const paint = canvas.getContext('2d');
    const track = canvas.captureStream(30).getVideoTracks()[0];
    const epoch = () => Date.now() - performance.now();
    const drawn = [];
    let frame = 0;
    const draw = () => {
      paint.fillStyle = '#202020';
      paint.fillRect(0, 0, 640, 180);
      paint.fillStyle = '#808080';
      paint.fillRect(frame * 6, 40, 16, 16);
      drawn.push(epoch() + performance.now());
      frame++;
    };
    draw();
    await new Promise((resolve) => setTimeout(resolve, stillMs));
    const chunks = [];
    let startedAt;
    const stopped = new Promise((resolve, reject) => {
      const recorder = new TrackRecorder(track, {
        mimeType: 'video/webm;codecs=vp8',
        bitsPerSecond: 1_000_000,
        timesliceMs: 1000,
        onStart: (at) => (startedAt = at),
        onChunk: (chunk) => chunks.push(chunk),
        onStop: resolve,
        onError: reject,
      });
      recorder.start();
      setTimeout(() => {
        const animate = () => {
          if (frame > 90) return void recorder.stop();
          draw();
          requestAnimationFrame(animate);
        };
        requestAnimationFrame(animate);
      }, 100);
    });
    await stopped;
    track.stop();
    const bytes = Array.from(new Uint8Array(await new Blob(chunks).arrayBuffer()));
    return { bytes, startedAt, drawn };
  };
  globalThis.sdkReady = true;
`;

const sdkPage = sdkPageForFile(RUNNER);
const workDir = tempDirForFile('callrec-canvas-');

type Recorded = { bytes: number[]; startedAt: number; drawn: number[] };

/** Each decoded frame's time (ms) and the frame number its square says. */
async function framesOf(path: string): Promise<{ pts: number; frame: number }[]> {
  const { stdout: times } = await exec('ffprobe', [
    '-v',
    'error',
    '-show_entries',
    'frame=pts_time',
    '-of',
    'csv=p=0',
    path,
  ]);
  const { stdout } = await exec(
    'ffmpeg',
    ['-v', 'error', '-i', path, '-fps_mode', 'passthrough', '-vf', 'format=gray', '-f', 'rawvideo', 'pipe:1'],
    { encoding: 'buffer', maxBuffer: 64 * 1024 * 1024 },
  );
  const [width, height] = [640, 180];
  const pts = times
    .trim()
    .split('\n')
    .map((line) => Number(line.split(',')[0]) * 1000);
  return pts.map((at, i) => {
    const row = stdout.subarray(i * width * height + 48 * width, i * width * height + 49 * width);
    const x = row.findIndex((value) => value > 100 && value < 160);
    return { pts: at, frame: Math.round(x / 6) };
  });
}

describe('TrackRecorder on a canvas, in Chromium', () => {
  it('reports the file’s time 0 although the first frame is one drawn before start()', async () => {
    const recorded = await sdkPage().page.evaluate(
      (stillMs) => (globalThis as unknown as { record(ms: number): Promise<Recorded> }).record(stillMs),
      200,
    );
    const path = join(workDir(), 'canvas.webm');
    await writeFile(path, Buffer.from(recorded.bytes));
    const frames = await framesOf(path);
    expect(frames[0], 'the file begins with the still frame').toMatchObject({ pts: 0, frame: 0 });

    // Every later frame sits at its draw time less the file's true time 0.
    const zeros = frames
      .filter((f) => f.frame >= 1)
      .map((f) => (recorded.drawn[f.frame] as number) - f.pts)
      .sort((a, b) => a - b);
    expect(zeros.length, 'frames drawn after start() in the file').toBeGreaterThanOrEqual(20);
    const zero = zeros[Math.floor(zeros.length / 2)] as number;
    console.log(
      `[canvas] time 0 from the frames: ${(zero - (recorded.drawn[0] as number)).toFixed(1)} ms after the ` +
        `still frame was drawn; the SDK reported ${(recorded.startedAt - zero).toFixed(1)} ms from it`,
    );
    // Dated by the still frame's stamp instead, the start would be 200 ms early.
    expect(Math.abs(recorded.startedAt - zero), 'ms from the file’s time 0').toBeLessThanOrEqual(5);
  }, 60_000);
});
