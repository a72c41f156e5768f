import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { videoEncoderArgs } from '../src/processing/codecs.js';
import {
  chooseVideoEncoder,
  detectCapabilities,
  type EncoderChoice,
  encodeWithFallback,
  type HwCapabilities,
  parseEncoders,
  parseHwaccels,
  softwareEncoder,
} from '../src/processing/hwaccel.js';
import { ProcessingError, type ProcessingJob } from '../src/processing/job.js';
import { processRecording, type StepTiming } from '../src/processing/pipeline.js';
import { ffprobe, grayFrame, meanLuma, streamsOf } from './fixtures/inspect-media.js';
import { makeAudioTrack, makeVideoTrack } from './fixtures/make-fixtures.js';
import { patTracks } from './fixtures/one-participant.js';

const TARGET = { width: 640, height: 360, fps: 30 };
const ALL_ENCODERS = [
  ...['libx264', 'libvpx', 'libvpx-vp9', 'h264_nvenc', 'h264_vaapi', 'vp8_vaapi', 'vp9_vaapi'],
  ...['h264_qsv', 'vp9_qsv'],
];
const caps = (overrides: Partial<HwCapabilities> = {}): HwCapabilities => ({
  encoders: new Set(ALL_ENCODERS),
  hwaccels: new Set(['vdpau', 'cuda', 'vaapi', 'qsv', 'drm']),
  nvidia: false,
  ...overrides,
});

describe('parsing ffmpeg capability lists', () => {
  it('reads encoder names from `ffmpeg -encoders`', () => {
    const stdout = [
      'Encoders:',
      ' V..... = Video',
      ' A..... = Audio',
      ' ------',
      ' V....D libx264              libx264 H.264 / AVC / MPEG-4 AVC / MPEG-4 part 10 (codec h264)',
      ' V....D h264_vaapi           H.264/AVC (VAAPI) (codec h264)',
      ' V..... vp9_qsv              VP9 video (Intel Quick Sync Video acceleration) (codec vp9)',
      ' A....D libopus              libopus Opus (codec opus)',
    ].join('\n');
    expect([...parseEncoders(stdout)]).toEqual(['libx264', 'h264_vaapi', 'vp9_qsv', 'libopus']);
  });

  it('reads methods from `ffmpeg -hwaccels`', () => {
    const stdout = 'Hardware acceleration methods:\nvdpau\ncuda\nvaapi\nqsv\n\n';
    expect([...parseHwaccels(stdout)]).toEqual(['vdpau', 'cuda', 'vaapi', 'qsv']);
  });
});

describe('chooseVideoEncoder', () => {
  it('reproduces the software arguments for `none`, whatever the machine has', () => {
    for (const codec of ['vp8', 'vp9', 'h264'] as const) {
      const choice = chooseVideoEncoder('none', codec, TARGET, caps({ renderDevice: '/dev/dri/renderD128' }));
      expect(choice).toEqual({
        name: { vp8: 'libvpx', vp9: 'libvpx-vp9', h264: 'libx264' }[codec],
        hardware: false,
        inputArgs: [],
        filterSuffix: '',
        outputArgs: videoEncoderArgs(codec, TARGET),
      });
    }
  });

  it('uses VAAPI with its device and an upload at the end of the filter chain', () => {
    const choice = chooseVideoEncoder('vaapi', 'h264', TARGET, caps({ renderDevice: '/dev/dri/renderD128' }));
    expect(choice).toEqual({
      name: 'h264_vaapi',
      hardware: true,
      inputArgs: ['-vaapi_device', '/dev/dri/renderD128'],
      filterSuffix: 'format=nv12,hwupload',
      outputArgs: ['-c:v', 'h264_vaapi', '-b:v', '410k', '-g', '60'],
    });
    expect(
      chooseVideoEncoder('vaapi', 'vp8', TARGET, caps({ renderDevice: '/dev/dri/renderD128' })).name,
    ).toBe('vp8_vaapi');
  });

  it('falls back to software with the reason when the mode cannot work here', () => {
    const noDevice = chooseVideoEncoder('vaapi', 'vp8', TARGET, caps());
    expect(noDevice).toMatchObject({
      name: 'libvpx',
      hardware: false,
      outputArgs: videoEncoderArgs('vp8', TARGET),
    });
    expect(noDevice.fallbackReason).toBe('hwaccel vaapi: vaapi: no render device (/dev/dri/renderD128)');
    const noVp8 = chooseVideoEncoder('nvenc', 'vp8', TARGET, caps({ nvidia: true }));
    expect(noVp8.fallbackReason).toBe('hwaccel nvenc: nvenc: nvenc has no vp8 encoder');
    const notBuilt = chooseVideoEncoder(
      'vaapi',
      'h264',
      TARGET,
      caps({ renderDevice: '/dev/dri/renderD128', encoders: new Set(['libx264']) }),
    );
    expect(notBuilt.fallbackReason).toBe('hwaccel vaapi: vaapi: ffmpeg has no h264_vaapi encoder');
    const noDriver = chooseVideoEncoder('nvenc', 'h264', TARGET, caps());
    expect(noDriver.fallbackReason).toMatch(/no NVIDIA driver/);
  });

  it('lets `auto` take NVENC, then VAAPI, then QSV, by what the codec and machine allow', () => {
    const everything = caps({ nvidia: true, renderDevice: '/dev/dri/renderD128' });
    expect(chooseVideoEncoder('auto', 'h264', TARGET, everything).name).toBe('h264_nvenc');
    expect(chooseVideoEncoder('auto', 'vp8', TARGET, everything).name).toBe('vp8_vaapi');
    const qsvOnly = caps({
      renderDevice: '/dev/dri/renderD128',
      encoders: new Set(['libvpx-vp9', 'vp9_qsv']),
    });
    const qsv = chooseVideoEncoder('auto', 'vp9', TARGET, qsvOnly);
    expect(qsv).toMatchObject({
      name: 'vp9_qsv',
      hardware: true,
      filterSuffix: 'format=nv12,hwupload=extra_hw_frames=64',
    });
    expect(qsv.inputArgs).toEqual([
      ...['-init_hw_device', 'vaapi=va:/dev/dri/renderD128'],
      ...['-init_hw_device', 'qsv=qs@va', '-filter_hw_device', 'qs'],
    ]);
    const nothing = chooseVideoEncoder('auto', 'vp8', TARGET, caps());
    expect(nothing).toMatchObject({ name: 'libvpx', hardware: false });
    expect(nothing.fallbackReason).toBe(
      'hwaccel auto: nvenc: nvenc has no vp8 encoder; vaapi: no render device (/dev/dri/renderD128); ' +
        'qsv: qsv has no vp8 encoder',
    );
  });
});

describe('encodeWithFallback', () => {
  const hardware: EncoderChoice = {
    name: 'h264_vaapi',
    hardware: true,
    inputArgs: ['-vaapi_device', '/dev/dri/renderD128'],
    filterSuffix: 'format=nv12,hwupload',
    outputArgs: ['-c:v', 'h264_vaapi'],
  };
  const software = softwareEncoder('h264', TARGET);
  const ffmpegFailure = () =>
    new ProcessingError('participant: ffmpeg exited with code 1', {
      step: 'participant',
      exitCode: 1,
      stderrTail: 'Device creation failed: -2.\nFailed to set value for option vaapi_device\n',
      inputs: [],
    });
  const logger = () => {
    const lines: string[] = [];
    return { lines, warn: (line: string) => lines.push(line) };
  };

  it('runs the step again in software when the hardware run fails, and says why', async () => {
    const log = logger();
    const runs: string[] = [];
    const { result, encoder } = await encodeWithFallback({
      choice: hardware,
      software,
      run: async (e) => {
        runs.push(e.outputArgs[1] ?? '');
        if (e === hardware) throw ffmpegFailure();
        return 'written';
      },
      log,
      label: 'participant alice',
    });
    expect(runs).toEqual(['h264_vaapi', 'libx264']);
    expect(result).toBe('written');
    expect(encoder).toEqual({
      name: 'libx264',
      hardware: false,
      fallbackReason: 'h264_vaapi failed (exit 1: Failed to set value for option vaapi_device)',
    });
    expect(log.lines).toEqual([
      'callrec: participant alice: h264_vaapi failed (exit 1: Failed to set value for option vaapi_device); ' +
        'encoding again in software with libx264',
    ]);
  });

  it('reports a hardware run that worked, and logs a choice that was software from the start', async () => {
    const log = logger();
    const ok = await encodeWithFallback({ choice: hardware, software, run: async () => 1, log, label: 'x' });
    expect(ok.encoder).toEqual({ name: 'h264_vaapi', hardware: true });
    const chosen = softwareEncoder(
      'h264',
      TARGET,
      'hwaccel vaapi: vaapi: no render device (/dev/dri/renderD128)',
    );
    const soft = await encodeWithFallback({ choice: chosen, software, run: async () => 2, log, label: 'x' });
    expect(soft.encoder.fallbackReason).toMatch(/no render device/);
    expect(log.lines).toEqual([
      'callrec: x: encoding in software (hwaccel vaapi: vaapi: no render device (/dev/dri/renderD128))',
    ]);
  });

  it('does not retry software failures, aborts or errors that are not ffmpeg failures', async () => {
    const log = logger();
    let runs = 0;
    const failing = async () => {
      runs++;
      throw ffmpegFailure();
    };
    await expect(
      encodeWithFallback({ choice: software, software, run: failing, log, label: 'x' }),
    ).rejects.toThrow(ProcessingError);
    expect(runs).toBe(1);
    const aborted = new AbortController();
    aborted.abort();
    await expect(
      encodeWithFallback({
        choice: hardware,
        software,
        run: failing,
        log,
        label: 'x',
        signal: aborted.signal,
      }),
    ).rejects.toThrow(ProcessingError);
    expect(runs).toBe(2);
    const bug = async () => {
      runs++;
      throw new TypeError('not ffmpeg');
    };
    await expect(
      encodeWithFallback({ choice: hardware, software, run: bug, log, label: 'x' }),
    ).rejects.toThrow(TypeError);
    expect(runs).toBe(3);
    expect(log.lines).toEqual([]);
  });
});

describe('hardware modes on this machine (real ffmpeg)', () => {
  const T0 = 1_700_000_000_000;
  let root: string;

  /** One participant whose camera starts 1 s late, so their file is transcoded. */
  const job = (name: string, overrides: Partial<ProcessingJob>): ProcessingJob => ({
    recordingId: name,
    workDir: join(root, name),
    format: 'mp4',
    videoCodec: 'h264',
    audioCodec: 'aac',
    width: 640,
    height: 360,
    fps: 15,
    tracks: patTracks(join(root, 'raw'), T0, T0 + 1000),
    ...overrides,
  });

  const run = async (name: string, overrides: Partial<ProcessingJob>, capabilities?: HwCapabilities) => {
    const steps: StepTiming[] = [];
    const log: string[] = [];
    const result = await processRecording(job(name, overrides), {
      onStep: (s) => steps.push(s),
      logger: { warn: (line) => log.push(line) },
      hwCapabilities: capabilities,
    });
    const participant = steps.find((s) => s.step === 'participant');
    return { result, participant, log };
  };

  const expectCorrectOutput = async (path: string) => {
    const probed = await ffprobe(path);
    expect(streamsOf(probed, 'video').map((s) => s.codec_name)).toEqual(['h264']);
    expect(streamsOf(probed, 'audio').map((s) => s.codec_name)).toEqual(['aac']);
    expect(Math.abs(Number(probed.format.duration) - 3)).toBeLessThan(0.5);
    const frame = await grayFrame(path, 0.5);
    expect(meanLuma(frame, 640, { x: 0, y: 0, width: 640, height: 360 })).toBeLessThan(25);
    expect(meanLuma(await grayFrame(path, 2), 640, { x: 0, y: 0, width: 640, height: 360 })).toBeGreaterThan(
      40,
    );
  };

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'callrec-hwaccel-'));
    await mkdir(join(root, 'raw'));
    await makeAudioTrack(join(root, 'raw', 'a.webm'), { seconds: 3 });
    await makeVideoTrack(join(root, 'raw', 'v.webm'), { seconds: 2 });
  }, 120_000);

  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('detects the encoders and devices once', async () => {
    const first = detectCapabilities();
    expect(detectCapabilities()).toBe(first);
    const detected = await first;
    expect(detected.encoders.has('libx264')).toBe(true);
    expect(detected.encoders.has('libvpx')).toBe(true);
    expect(detected.renderDevice !== undefined).toBe(existsSync('/dev/dri/renderD128'));
  });

  it.skipIf(existsSync('/dev/dri/renderD128'))(
    'encodes `vaapi` and `auto` in software without a GPU, reporting why',
    async () => {
      for (const mode of ['vaapi', 'auto'] as const) {
        const { result, participant, log } = await run(`no-gpu-${mode}`, { hwaccel: mode });
        expect(participant?.encoder).toMatchObject({ name: 'libx264', hardware: false });
        expect(participant?.encoder?.fallbackReason).toMatch(/vaapi: no render device/);
        expect(log.some((line) => line.includes('participant pat: encoding in software'))).toBe(true);
        await expectCorrectOutput(result.participants[0]?.path ?? '');
      }
    },
    300_000,
  );

  it('runs the step again in software when the hardware encoder fails in ffmpeg', async () => {
    // A machine that claims a VAAPI device that is not there: ffmpeg fails to create it.
    const detected = await detectCapabilities();
    const claimed = { ...detected, renderDevice: join(root, 'renderD128') };
    const { result, participant, log } = await run('broken-device', { hwaccel: 'vaapi' }, claimed);
    expect(participant?.encoder).toMatchObject({ name: 'libx264', hardware: false });
    expect(participant?.encoder?.fallbackReason).toMatch(/^h264_vaapi failed \(exit \d+/);
    expect(
      log.some((line) => /participant pat: h264_vaapi failed.*again in software with libx264/.test(line)),
    ).toBe(true);
    await expectCorrectOutput(result.participants[0]?.path ?? '');
  }, 300_000);
});
