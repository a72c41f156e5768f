import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { undeclaredPrimingMs } from '../src/processing/codecs.js';
import { hexDumpBytes, opusPreSkip, probe } from '../src/processing/ffprobe.js';
import type { ProcessingTrack } from '../src/processing/job.js';
import { remuxTrack } from '../src/processing/steps/remux-track.js';
import { beepOnsets } from './fixtures/inspect-media.js';
import { PAGE_BEEPER, sdkPageForFile } from './support/sdk-in-chromium.js';
import { tempDirForFile } from './support/temp-dir.js';

/**
 * In the page: `recordBeeps()` records one Web Audio track, silent but for a 1 kHz beep every
 * 400 ms, with two MediaRecorders started in the same task, Opus and PCM, so both files start
 * with the same 10 ms buffer, or (rarely) one apart. PCM has no priming: its sound is where it was
 * captured.
 */
const RUNNER = `
  ${PAGE_BEEPER}
  const toBase64 = async (blob) => {
    const bytes = new Uint8Array(await blob.arrayBuffer());
    let text = '';
    for (const byte of bytes) text += String.fromCharCode(byte);
    return btoa(text);
  };
  globalThis.recordBeeps = async () => {
    const { context, track, beep } = beeper();
    const start = context.currentTime + 0.3;
    for (let i = 0; i < 6; i++) beep(start + i * 0.4);
    const recorders = ['audio/webm;codecs=opus', 'audio/webm;codecs=pcm'].map((mimeType) => {
      const recorder = new MediaRecorder(new MediaStream([track]), { mimeType });
      const chunks = [];
      recorder.ondataavailable = (event) => chunks.push(event.data);
      const stopped = new Promise((resolve) => (recorder.onstop = resolve));
      recorder.start(1000);
      return { recorder, finish: async () => { recorder.stop(); await stopped; return toBase64(new Blob(chunks)); } };
    });
    await new Promise((resolve) => setTimeout(resolve, 3000));
    const [opus, pcm] = await Promise.all(recorders.map((r) => r.finish()));
    await context.close();
    return { opus, pcm };
  };
  globalThis.sdkReady = true;
`;

const sdkPage = sdkPageForFile(RUNNER);
const workDir = tempDirForFile('callrec-chromium-opus-');

const track = (trackId: string, path: string): ProcessingTrack => ({
  trackId,
  participantId: 'p',
  displayName: 'P',
  kind: 'audio',
  startedAt: 1_700_000_000_000,
  path,
});

describe("Chromium's Opus priming", () => {
  it('is read from the OpusHead ffprobe dumps', () => {
    const dump =
      '\n00000000: 4f70 7573 4865 6164 0101 3801 80bb 0000  OpusHead..8.....\n00000010: 0000 00                                  ...\n';
    expect(opusPreSkip(hexDumpBytes(dump))).toBe(312);
    expect(opusPreSkip(hexDumpBytes('\n00000000: 0142 c01e ffe1 0019  .B......\n'))).toBeUndefined();
    expect(undeclaredPrimingMs({ codec: 'opus', opusPreSkip: 0 })).toBe(6.5);
    expect(undeclaredPrimingMs({ codec: 'opus', opusPreSkip: 312 })).toBe(0);
    expect(undeclaredPrimingMs({ codec: 'pcm_f32le' })).toBe(0);
  });

  it('places a recorded Opus track so its sounds land where the same PCM recording has them', async () => {
    const files = await sdkPage().page.evaluate(() =>
      (globalThis as unknown as { recordBeeps(): Promise<{ opus: string; pcm: string }> }).recordBeeps(),
    );
    const raw = { opus: join(workDir(), 'opus.webm'), pcm: join(workDir(), 'pcm.webm') };
    await writeFile(raw.opus, Buffer.from(files.opus, 'base64'));
    await writeFile(raw.pcm, Buffer.from(files.pcm, 'base64'));

    // What Chromium writes: Opus whose header declares no priming.
    const opusStream = (await probe(raw.opus)).streams.find((s) => s.kind === 'audio');
    expect(opusStream).toMatchObject({ codec: 'opus', opusPreSkip: 0 });

    const opus = await remuxTrack(track('opus', raw.opus), workDir());
    const pcm = await remuxTrack(track('pcm', raw.pcm), workDir());
    expect(pcm.track.startedAt, 'PCM stays where it was recorded').toBe(1_700_000_000_000);
    const epochOnsets = async (t: typeof opus) =>
      (await beepOnsets(t.path)).map((s) => t.track.startedAt + s * 1000);
    const [opusOnsets, pcmOnsets] = await Promise.all([epochOnsets(opus), epochOnsets(pcm)]);
    expect(pcmOnsets.length, 'beeps in the PCM recording').toBeGreaterThanOrEqual(5);
    expect(opusOnsets.length, 'beeps in the Opus recording').toBe(pcmOnsets.length);
    // Two recorders started in one task may begin a 10 ms audio buffer apart (1 run in 8): that
    // moves every beep by the same whole buffer. What is left over must be nothing; the priming
    // left in, it is 6.5 ms (or −3.5 ms from the next buffer).
    const apart = opusOnsets.map((at, i) => at - (pcmOnsets[i] as number));
    const buffers = Math.round((apart[0] as number) / 10);
    expect(Math.abs(buffers), 'buffers between the two starts').toBeLessThanOrEqual(1);
    apart.forEach((ms, i) => {
      expect(Math.abs(ms - buffers * 10), `beep ${i}: ms from PCM`).toBeLessThanOrEqual(1.5);
    });
  }, 60_000);
});
