import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { largestKeyframeSize, lastVideoFrameTime, probe } from '../src/processing/ffprobe.js';
import { ProcessingError } from '../src/processing/job.js';
import { runFfmpeg, runTool } from '../src/processing/run-ffmpeg.js';
import { StderrTail } from '../src/processing/stderr-tail.js';
import { makeResizingVideoTrack } from './fixtures/make-fixtures.js';

describe('StderrTail', () => {
  it('keeps only the last bytes, from a line boundary', () => {
    const tail = new StderrTail(64);
    for (let i = 0; i < 100; i++) tail.push(Buffer.from(`line ${i}\n`));
    const text = tail.toString();
    expect(text.length).toBeLessThanOrEqual(64);
    expect(text.endsWith('line 99\n')).toBe(true);
    expect(text.startsWith('line ')).toBe(true);
  });

  it('keeps everything while under the limit', () => {
    const tail = new StderrTail(64);
    tail.push(Buffer.from('a\n'));
    tail.push(Buffer.from('b\n'));
    expect(tail.toString()).toBe('a\nb\n');
  });
});

describe('runFfmpeg', () => {
  it('resolves when ffmpeg succeeds', async () => {
    await runFfmpeg(['-v', 'error', '-f', 'lavfi', '-i', 'color=d=0.1', '-f', 'null', '-'], {
      step: 'test',
      inputs: [],
    });
  });

  it('rejects with the step, exit code, stderr tail, inputs and args', async () => {
    const args = ['-hide_banner', '-i', '/nonexistent/input.webm', '-f', 'null', '-'];
    const error = await runFfmpeg(args, { step: 'remux', inputs: ['/nonexistent/input.webm'] }).catch(
      (e) => e,
    );
    expect(error).toBeInstanceOf(ProcessingError);
    expect(error.details.step).toBe('remux');
    expect(error.details.exitCode).toBe(1);
    expect(error.details.stderrTail).toContain('No such file or directory');
    expect(error.details.inputs).toEqual(['/nonexistent/input.webm']);
    expect(error.details.args).toEqual(args);
    expect(error.message).toMatch(/^remux: ffmpeg exited with code 1: .*No such file/);
  });

  it('keeps a bounded stderr tail and reports an abort', async () => {
    const controller = new AbortController();
    // showinfo logs a line per frame; -re paces the input so the abort lands mid-run.
    const args = [
      '-v',
      'info',
      '-re',
      '-f',
      'lavfi',
      '-i',
      'testsrc=s=64x64:r=100:d=30',
      '-vf',
      'showinfo',
      '-f',
      'null',
      '-',
    ];
    const run = runFfmpeg(args, { step: 'composite', inputs: [], signal: controller.signal });
    setTimeout(() => controller.abort(), 1500);
    const error = await run.catch((e) => e);
    expect(error).toBeInstanceOf(ProcessingError);
    expect(error.message).toMatch(/ffmpeg aborted/);
    // ffmpeg traps SIGTERM and exits 255 after flushing.
    expect(error.details.exitCode).not.toBe(0);
    expect(error.details.stderrTail.length).toBeGreaterThan(1000);
    expect(error.details.stderrTail.length).toBeLessThanOrEqual(4096);
  });

  it('captures stdout for ffprobe', async () => {
    const out = await runTool('ffprobe', ['-v', 'error', '-version'], {
      step: 'probe',
      inputs: [],
      captureStdout: true,
    });
    expect(out).toMatch(/ffprobe version/);
  });
});

describe('probe', () => {
  it('rejects random bytes with a ProcessingError', async () => {
    const error = await probe('/dev/urandom').catch((e) => e);
    expect(error).toBeInstanceOf(ProcessingError);
    expect(error.details.step).toBe('probe');
  });

  it('reads durations, streams and the last video frame time', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'callrec-probe-'));
    const file = `${dir}/clip.webm`;
    await runFfmpeg(
      [
        '-v',
        'error',
        '-f',
        'lavfi',
        '-i',
        'testsrc=s=160x90:r=10:d=2',
        '-f',
        'lavfi',
        '-i',
        'sine=d=2',
        '-c:v',
        'libvpx',
        '-b:v',
        '200k',
        '-c:a',
        'libopus',
        file,
      ],
      { step: 'test', inputs: [] },
    );
    const probed = await probe(file);
    expect(probed.hasAudio && probed.hasVideo).toBe(true);
    expect(probed.duration).toBeCloseTo(2, 0);
    expect(probed.streams.find((s) => s.kind === 'video')).toMatchObject({
      codec: 'vp8',
      width: 160,
      height: 90,
    });
    expect(probed.streams.find((s) => s.kind === 'audio')).toMatchObject({ codec: 'opus', channels: 1 });
    expect(await lastVideoFrameTime(file, probed.duration)).toBeCloseTo(1.9, 1);
    await rm(dir, { recursive: true, force: true });
  });
});

describe('largestKeyframeSize', () => {
  it('finds the size video grows to, which the header does not show', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'callrec-size-'));
    const file = join(dir, 'remote.webm');
    await makeResizingVideoTrack(file, [
      { seconds: 1, width: 320, height: 180 },
      { seconds: 1, width: 640, height: 360 },
    ]);
    const probed = await probe(file);
    expect(probed.streams[0]).toMatchObject({ width: 320, height: 180 });
    expect(await largestKeyframeSize(file)).toEqual({ width: 640, height: 360 });
    await rm(dir, { recursive: true, force: true });
  });
});
