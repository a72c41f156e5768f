import { mkdir, mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ProcessingError, type ProcessingJob, type ProcessingResult } from '../src/processing/job.js';
import { processRecording, type StepTiming } from '../src/processing/pipeline.js';
import { ffprobe, grayFrame, meanLuma, meanVolume, streamsOf } from './fixtures/inspect-media.js';
import {
  makeAudioTrack,
  makeCorruptTrack,
  makeResizingVideoTrack,
  makeVideoTrack,
} from './fixtures/make-fixtures.js';

const T0 = 1_700_000_000_000;
const W = 640;
const H = 360;
/** Two side-by-side cells of 320x360; the 16:9 video fills 320x180 in the middle. */
const LEFT = { x: 0, y: 90, width: 320, height: 180 };
const RIGHT = { x: 320, y: 90, width: 320, height: 180 };
/** The middle of the frame: a participant alone fills it. */
const CENTRE = { x: 160, y: 90, width: 320, height: 180 };
/** Black is 16 in limited-range video; testsrc2 averages around 70. */
const BLACK = 25;
/** A whole pipeline run; several minutes when the 2 cores are shared with browsers. */
const HEAVY_HOOK_MS = 300_000;

let root: string;
const raw = (name: string) => join(root, 'raw', name);

/**
 * Alice: audio 0–5 s, video 0.8–5.8 s (video recorders start late).
 * Bob joins 2 s late and leaves about 1 s early: audio 2.0–5.0 s, video 2.6–4.8 s.
 */
function twoParticipantJob(workDir: string, overrides: Partial<ProcessingJob> = {}): ProcessingJob {
  const track = (trackId: string, participantId: string, kind: 'audio' | 'video', offsetMs: number) => ({
    trackId,
    participantId,
    displayName: participantId,
    kind,
    path: raw(`${trackId}.webm`),
    startedAt: T0 + offsetMs,
  });
  return {
    recordingId: 'rec1',
    workDir,
    format: 'webm',
    videoCodec: 'vp8',
    audioCodec: 'opus',
    width: W,
    height: H,
    fps: 30,
    tracks: [
      track('aa', 'alice', 'audio', 0),
      track('av', 'alice', 'video', 800),
      track('ba', 'bob', 'audio', 2000),
      track('bv', 'bob', 'video', 2600),
    ],
    ...overrides,
  };
}

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'callrec-processing-'));
  await mkdir(join(root, 'raw'));
  await Promise.all([
    makeAudioTrack(raw('aa.webm'), { seconds: 5, frequency: 440 }),
    makeVideoTrack(raw('av.webm'), { seconds: 5 }),
    makeAudioTrack(raw('ba.webm'), { seconds: 3, frequency: 660 }),
    makeVideoTrack(raw('bv.webm'), { seconds: 2.2 }),
  ]);
}, HEAVY_HOOK_MS);

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('processRecording: two participants, WebM VP8/Opus', () => {
  let result: ProcessingResult;
  const steps: StepTiming[] = [];

  beforeAll(async () => {
    const fixture = await ffprobe(raw('av.webm'));
    // The trap the pipeline must survive: no duration and a 1000/1 frame rate, like Chromium.
    expect(fixture.format.duration).toBeUndefined();
    expect(streamsOf(fixture, 'video')[0]?.r_frame_rate).toBe('1000/1');
    result = await processRecording(twoParticipantJob(join(root, 'webm')), { onStep: (s) => steps.push(s) });
  }, HEAVY_HOOK_MS);

  it('covers the earliest start to the latest end', () => {
    expect(result.timeline.startedAt).toBe(T0);
    expect(result.timeline.duration).toBeGreaterThan(5.6);
    expect(result.timeline.duration).toBeLessThan(5.9);
  });

  it('reports each step', () => {
    expect(steps.map((s) => s.step)).toEqual([
      'remux',
      'remux',
      'remux',
      'remux',
      'participant',
      'participant',
      'composite',
      'thumbnails',
    ]);
  });

  it('reports the video encoder of each encoding step', () => {
    const encoders = steps.map((s) => s.encoder?.name);
    expect(encoders).toEqual([
      undefined,
      undefined,
      undefined,
      undefined,
      'libvpx',
      'libvpx',
      'libvpx',
      undefined,
    ]);
    expect(steps.every((s) => s.encoder === undefined || s.encoder.hardware === false)).toBe(true);
  });

  it('writes one file per participant, each as long as the recording, with one audio and one video stream', async () => {
    expect(result.participants.map((p) => p.participantId)).toEqual(['alice', 'bob']);
    for (const file of result.participants) {
      const probed = await ffprobe(file.path);
      expect(streamsOf(probed, 'audio')).toHaveLength(1);
      expect(streamsOf(probed, 'video').map((s) => s.codec_name)).toEqual(['vp8']);
      expect(Math.abs(Number(probed.format.duration) - result.timeline.duration)).toBeLessThan(0.5);
      expect(file).toMatchObject({ mimeType: 'video/webm', hasAudio: true, hasVideo: true });
      expect(file.size).toBe((await stat(file.path)).size);
      expect(Math.abs(file.duration - result.timeline.duration)).toBeLessThan(0.5);
    }
  });

  it("places each participant's tracks at their start on the recording's timeline", async () => {
    const [alice, bob] = result.participants.map((p) => p.path);
    const luma = async (path: string | undefined, time: number) =>
      meanLuma(await grayFrame(path ?? '', time), W, { x: 0, y: 0, width: W, height: H });
    // Alice's camera starts at 0.8 s; Bob's video spans 2.6–4.8 s and his audio 2.0–5.0 s.
    expect(await luma(alice, 0.3)).toBeLessThan(BLACK);
    expect(await luma(alice, 1.5)).toBeGreaterThan(40);
    expect(await luma(bob, 1.5)).toBeLessThan(BLACK);
    expect(await luma(bob, 3.5)).toBeGreaterThan(40);
    expect(await luma(bob, 5.3)).toBeLessThan(BLACK);
    expect(await meanVolume(bob ?? '', 0.3, 1.4)).toBeLessThan(-60);
    expect(await meanVolume(bob ?? '', 2.3, 2.4)).toBeGreaterThan(-30);
  });

  it('writes a composite with one video and one audio stream, 640x360 at 30 fps, as long as the timeline', async () => {
    const probed = await ffprobe(result.composite.path, true);
    const video = streamsOf(probed, 'video');
    expect(video).toHaveLength(1);
    expect(streamsOf(probed, 'audio')).toHaveLength(1);
    expect(video[0]).toMatchObject({ codec_name: 'vp8', width: W, height: H, r_frame_rate: '30/1' });
    const duration = Number(probed.format.duration);
    expect(Math.abs(duration - result.timeline.duration)).toBeLessThan(0.5);
    // 1000/1 inputs without an fps policy would multiply this.
    expect(Math.abs(Number(video[0]?.nb_read_packets) - duration * 30)).toBeLessThanOrEqual(2);
    expect(result.composite).toMatchObject({ mimeType: 'video/webm', hasAudio: true, hasVideo: true });
  });

  it('shows Alice alone before Bob joins and after he leaves, both side by side in between', async () => {
    // The grid follows who is present (processing-composite-grid.test.ts has the layouts).
    const start = await grayFrame(result.composite.path, 0.3);
    expect(start.length).toBe(W * H);
    // Alice is present (audio) but her camera starts 0.8 s in: a black frame.
    expect(meanLuma(start, W, CENTRE)).toBeLessThan(BLACK);
    expect(meanLuma(await grayFrame(result.composite.path, 1.5), W, CENTRE)).toBeGreaterThan(40);
    const both = await grayFrame(result.composite.path, 3.5);
    expect(meanLuma(both, W, LEFT)).toBeGreaterThan(40);
    expect(meanLuma(both, W, RIGHT)).toBeGreaterThan(40);
    expect(meanLuma(await grayFrame(result.composite.path, 5.3), W, CENTRE)).toBeGreaterThan(40);
  });

  it('mixes audio without lowering the level', async () => {
    const alone = await meanVolume(join(root, 'webm', 'tracks', 'aa.mkv'), 0.3, 1.4);
    const mixed = await meanVolume(result.composite.path, 0.3, 1.4);
    expect(Math.abs(mixed - alone)).toBeLessThan(1.5);
    // Bob is audible from 2 s: two equal sines add about 3 dB.
    const together = await meanVolume(result.composite.path, 2.3, 2.4);
    expect(together - alone).toBeGreaterThan(2);
  });

  it('writes five 320-px-wide JPEG thumbnails, the last one showing the final frame', async () => {
    expect(result.thumbnails.map((t) => t.position)).toEqual([0, 25, 50, 75, 100]);
    for (const thumb of result.thumbnails) {
      const probed = await ffprobe(thumb.path);
      expect(probed.streams[0]).toMatchObject({ codec_name: 'mjpeg', width: 320, height: 180 });
      expect(thumb).toMatchObject({ width: 320, height: 180 });
    }
    const last = result.thumbnails.at(-1)?.path ?? '';
    const frame = await grayFrame(last);
    expect(frame.length).toBe(320 * 180);
    // Alice is still there at the very end, alone: Bob left.
    expect(meanLuma(frame, 320, { x: 80, y: 45, width: 160, height: 90 })).toBeGreaterThan(40);
  });
});

describe('processRecording: MP4 H.264/AAC', () => {
  let result: ProcessingResult;

  beforeAll(async () => {
    result = await processRecording(
      twoParticipantJob(join(root, 'mp4'), { format: 'mp4', videoCodec: 'h264', audioCodec: 'aac' }),
    );
  }, HEAVY_HOOK_MS);

  it('transcodes VP8/Opus participants to H.264/AAC, each as long as the recording', async () => {
    for (const file of result.participants) {
      const probed = await ffprobe(file.path);
      expect(streamsOf(probed, 'video').map((s) => s.codec_name)).toEqual(['h264']);
      expect(streamsOf(probed, 'audio').map((s) => s.codec_name)).toEqual(['aac']);
      expect(file.mimeType).toBe('video/mp4');
      expect(Math.abs(file.duration - result.timeline.duration)).toBeLessThan(0.5);
    }
  });

  it('writes an H.264/AAC composite with the index at the front (faststart)', async () => {
    const probed = await ffprobe(result.composite.path);
    expect(streamsOf(probed, 'video')[0]).toMatchObject({ codec_name: 'h264', width: W, height: H });
    expect(streamsOf(probed, 'audio')[0]?.codec_name).toBe('aac');
    expect(Math.abs(result.composite.duration - result.timeline.duration)).toBeLessThan(0.5);
    const bytes = await readFile(result.composite.path);
    const moov = bytes.indexOf('moov');
    const mdat = bytes.indexOf('mdat');
    expect(moov).toBeGreaterThan(0);
    expect(moov).toBeLessThan(mdat);
  });

  it('still takes the last thumbnail from the last frame', async () => {
    const last = result.thumbnails.at(-1)?.path ?? '';
    const frame = await grayFrame(last);
    expect(meanLuma(frame, 320, { x: 0, y: 45, width: 160, height: 90 })).toBeGreaterThan(40);
  });
});

describe('processRecording: audio-only, video-only, resizing video and a rejoin', () => {
  let result: ProcessingResult;

  /**
   * Carol: audio only, 0–5 s. Erin: camera 0–1.5 s, then again 3.0–5.0 s (rejoin).
   * Dave: video only, 0.5–5.5 s, 320x180 for 2 s then 640x360 (remote video ramping up).
   * Cells in join order among those with video: Erin left, Dave right.
   */
  beforeAll(async () => {
    await Promise.all([
      makeAudioTrack(raw('ca.webm'), { seconds: 5, frequency: 300 }),
      makeVideoTrack(raw('ev1.webm'), { seconds: 1.5 }),
      makeVideoTrack(raw('ev2.webm'), { seconds: 2 }),
      makeResizingVideoTrack(raw('dv.webm'), [{ seconds: 2, width: 320, height: 180 }, { seconds: 3 }]),
    ]);
    const track = (trackId: string, participantId: string, kind: 'audio' | 'video', offsetMs: number) => ({
      trackId,
      participantId,
      displayName: participantId,
      kind,
      path: raw(`${trackId}.webm`),
      startedAt: T0 + offsetMs,
    });
    result = await processRecording({
      ...twoParticipantJob(join(root, 'mixed')),
      tracks: [
        track('ca', 'carol', 'audio', 0),
        track('ev1', 'erin', 'video', 0),
        track('ev2', 'erin', 'video', 3000),
        track('dv', 'dave', 'video', 500),
      ],
    });
  }, HEAVY_HOOK_MS);

  it('writes audio-only and video-only participant files', async () => {
    const byId = Object.fromEntries(result.participants.map((p) => [p.participantId, p]));
    expect(byId.carol).toMatchObject({ hasAudio: true, hasVideo: false, mimeType: 'audio/webm' });
    expect(byId.dave).toMatchObject({ hasAudio: false, hasVideo: true, mimeType: 'video/webm' });
    for (const file of result.participants) {
      expect(Math.abs(file.duration - result.timeline.duration), file.participantId).toBeLessThan(0.5);
    }
  });

  it('shows both spans of a rejoining participant in their own file, black between', async () => {
    const erin = result.participants.find((p) => p.participantId === 'erin')?.path ?? '';
    const luma = async (time: number) =>
      meanLuma(await grayFrame(erin, time), W, { x: 0, y: 0, width: W, height: H });
    expect(await luma(1.0)).toBeGreaterThan(40);
    expect(await luma(2.2)).toBeLessThan(BLACK);
    expect(await luma(4.0)).toBeGreaterThan(40);
    expect(await luma(5.3)).toBeLessThan(BLACK);
  });

  it('keeps the composite at the timeline length with an audio stream', async () => {
    const probed = await ffprobe(result.composite.path);
    expect(streamsOf(probed, 'video')).toHaveLength(1);
    expect(streamsOf(probed, 'audio')).toHaveLength(1);
    expect(Math.abs(Number(probed.format.duration) - 5.5)).toBeLessThan(0.5);
  });
});

describe('processRecording: failures', () => {
  it('rejects a corrupt track with the exit code and the stderr tail', async () => {
    await makeCorruptTrack(raw('corrupt.webm'));
    const job = twoParticipantJob(join(root, 'corrupt'));
    const video = job.tracks[1];
    if (video) video.path = raw('corrupt.webm');
    const error = await processRecording(job).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ProcessingError);
    const { details } = error as ProcessingError;
    expect(details.step).toBe('remux');
    expect(details.exitCode).toBe(1);
    expect(details.stderrTail).toMatch(/Invalid data found when processing input/);
    expect(details.inputs).toEqual([raw('corrupt.webm')]);
    expect(details.args).toContain(raw('corrupt.webm'));
  });

  it('rejects a codec the container cannot carry before running ffmpeg', async () => {
    const job = twoParticipantJob(join(root, 'invalid'), {
      format: 'mp4',
      videoCodec: 'vp8',
      audioCodec: 'aac',
    });
    const error = await processRecording(job).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ProcessingError);
    expect((error as ProcessingError).details).toMatchObject({ step: 'validate', exitCode: null });
    expect((error as ProcessingError).message).toMatch(/mp4 cannot carry video codec vp8/);
  });

  it('rejects ids that are not safe file names and duplicate track ids', async () => {
    const job = twoParticipantJob(join(root, 'ids'));
    const [first, second] = job.tracks;
    if (first) first.participantId = '../escape';
    if (second && first) second.trackId = first.trackId;
    const error = await processRecording(job).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ProcessingError);
    expect((error as ProcessingError).message).toMatch(/track ids must be unique.*invalid participant id/);
  });
});
