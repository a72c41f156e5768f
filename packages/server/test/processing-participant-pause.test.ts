import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ProcessingResult } from '../src/processing/job.js';
import { processRecording } from '../src/processing/pipeline.js';
import { ffprobe, grayFrame, meanLuma } from './fixtures/inspect-media.js';
import { makeAudioTrack, makeVideoTrack } from './fixtures/make-fixtures.js';

const T0 = 1_700_000_000_000;
const FRAME = { x: 0, y: 0, width: 640, height: 360 };

let root: string;
let result: ProcessingResult;

/**
 * Recorded 0–2 s, paused 2–4 s, recorded again from 4 s. Alice's microphone runs throughout
 * (5 s of media: MediaRecorder leaves the pause out); Bob's camera starts at 5 s wall clock,
 * 3 s into the output, for 2 s. The recording is 7 s of wall clock minus 2 s of pause: 5 s.
 */
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'callrec-pause-'));
  await mkdir(join(root, 'raw'));
  await makeAudioTrack(join(root, 'raw', 'aa.webm'), { seconds: 5 });
  await makeVideoTrack(join(root, 'raw', 'bv.webm'), { seconds: 2 });
  const track = (trackId: string, participantId: string, kind: 'audio' | 'video', offsetMs: number) => ({
    trackId,
    participantId,
    displayName: participantId,
    kind,
    path: join(root, 'raw', `${trackId}.webm`),
    startedAt: T0 + offsetMs,
  });
  result = await processRecording({
    recordingId: 'paused',
    workDir: join(root, 'work'),
    format: 'webm',
    videoCodec: 'vp8',
    audioCodec: 'opus',
    width: 640,
    height: 360,
    fps: 15,
    pauses: [{ from: T0 + 2000, to: T0 + 4000 }],
    tracks: [track('aa', 'alice', 'audio', 0), track('bv', 'bob', 'video', 5000)],
  });
}, 300_000);

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('a paused recording', () => {
  it('leaves the pause out of every output', async () => {
    expect(Math.abs(result.timeline.duration - 5)).toBeLessThan(0.1);
    for (const file of [...result.participants, result.composite]) {
      const probed = await ffprobe(file.path);
      expect(Math.abs(Number(probed.format.duration) - 5), file.path).toBeLessThan(0.5);
    }
  });

  it("places a track that started after the pause at its output time in the participant's file", async () => {
    const bob = result.participants.find((p) => p.participantId === 'bob')?.path ?? '';
    expect(meanLuma(await grayFrame(bob, 2.5), 640, FRAME)).toBeLessThan(25);
    expect(meanLuma(await grayFrame(bob, 3.5), 640, FRAME)).toBeGreaterThan(40);
    expect(meanLuma(await grayFrame(bob, 4.7), 640, FRAME)).toBeGreaterThan(40);
  });
});
