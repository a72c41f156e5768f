import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ProcessingResult } from '../src/processing/job.js';
import { processRecording } from '../src/processing/pipeline.js';
import { brightBox, ffprobe, grayFrame, streamsOf } from './fixtures/inspect-media.js';
import { makeAudioTrack, makeResizingVideoTrack } from './fixtures/make-fixtures.js';
import { SMALL_WEBM } from './fixtures/one-participant.js';

const T0 = 1_700_000_000_000;
/** Media times of frames before (4:3, 320x240) and after (16:9, 640x360) the size change at 2 s. */
const BEFORE = [0.5, 1.5];
const AFTER = [2.5, 3.5];
/** The video starts 0.5 s into the recording, so the participant file is transcoded, not copied. */
const VIDEO_OFFSET = 0.5;

let root: string;
let result: ProcessingResult;

/**
 * Remote video whose frames change size and shape mid-stream (the WebM header keeps 320x240),
 * each frame a white square half its height on black: a stretched output shows a non-square box.
 */
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'callrec-aspect-'));
  await mkdir(join(root, 'raw'));
  const video = join(root, 'raw', 'sv.webm');
  const audio = join(root, 'raw', 'sa.webm');
  await makeResizingVideoTrack(video, [
    { seconds: 2, width: 320, height: 240, pattern: 'square' },
    { seconds: 2, width: 640, height: 360, pattern: 'square' },
  ]);
  await makeAudioTrack(audio, { seconds: 4.5 });
  const header = streamsOf(await ffprobe(video), 'video')[0];
  expect(header).toMatchObject({ width: 320, height: 240 });
  const track = (trackId: string, kind: 'audio' | 'video', path: string, offsetMs: number) => ({
    trackId,
    participantId: 'sam',
    displayName: 'Sam',
    kind,
    path,
    startedAt: T0 + offsetMs,
  });
  result = await processRecording({
    recordingId: 'aspect',
    workDir: join(root, 'work'),
    ...SMALL_WEBM,
    tracks: [track('sa', 'audio', audio, 0), track('sv', 'video', video, VIDEO_OFFSET * 1000)],
  });
}, 300_000);

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

async function squareAt(path: string, time: number) {
  const video = streamsOf(await ffprobe(path), 'video')[0];
  const width = video?.width ?? 0;
  const height = video?.height ?? 0;
  const box = brightBox(await grayFrame(path, time), width);
  if (!box) throw new Error(`no square at ${time} s in ${path}`);
  return {
    ...box,
    aspect: box.width / box.height,
    centre: { x: box.x + box.width / 2 - width / 2, y: box.y + box.height / 2 - height / 2 },
  };
}

describe('mid-stream size and aspect change (320x240 → 640x360)', () => {
  it('keeps the square square, the same size and centred in the participant file', async () => {
    const file = result.participants[0]?.path ?? '';
    expect(streamsOf(await ffprobe(file), 'video')[0]).toMatchObject({ width: 640, height: 360 });
    for (const time of [...BEFORE, ...AFTER].map((t) => t + VIDEO_OFFSET)) {
      const square = await squareAt(file, time);
      expect(Math.abs(square.aspect - 1), `aspect at ${time} s: ${JSON.stringify(square)}`).toBeLessThan(
        0.05,
      );
      // Half the frame height whatever the source size: 180 px in a 360-px-high box.
      expect(Math.abs(square.height - 180), `size at ${time} s`).toBeLessThan(8);
      expect(Math.abs(square.centre.x), `centre at ${time} s`).toBeLessThan(4);
      expect(Math.abs(square.centre.y), `centre at ${time} s`).toBeLessThan(4);
    }
  });

  it('keeps the square square and centred in the composite', async () => {
    for (const time of [...BEFORE, ...AFTER].map((t) => t + VIDEO_OFFSET)) {
      const square = await squareAt(result.composite.path, time);
      expect(Math.abs(square.aspect - 1), `aspect at ${time} s: ${JSON.stringify(square)}`).toBeLessThan(
        0.05,
      );
      // One participant fills the frame, so its picture is centred in the whole composite.
      expect(Math.abs(square.centre.x), `centre at ${time} s: ${JSON.stringify(square)}`).toBeLessThan(4);
      expect(Math.abs(square.centre.y), `centre at ${time} s: ${JSON.stringify(square)}`).toBeLessThan(4);
    }
  });
});
