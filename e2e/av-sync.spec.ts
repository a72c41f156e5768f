import { writeFile } from 'node:fs/promises';
import { loadavg } from 'node:os';
import { expect, test } from '@playwright/test';
import { fakeMediaChromium } from './chromium.js';
import { MEDIA_DIR, SERVER_URL } from './env.js';
import { LEFT_CELL, outputEvents, type Region, RIGHT_CELL, WHOLE_FRAME } from './media-sync/detect.js';
import { FIXTURE_BEEP_HZ, syncFixturePaths } from './media-sync/fixtures.js';
import { fitStream, formatStats, offsetStats, offsetsFrom } from './media-sync/match.js';
import type { CameraCall, Reference } from './media-sync/page/scenarios.js';
import { type PageServer, startPageServer } from './media-sync/page-server.js';
import { FPS, LOOP_SECONDS, PATTERN_SECONDS } from './media-sync/pattern.js';
import {
  completed,
  compositeFile,
  newSession,
  openSyncPage,
  participantFile,
  type SyncWindow,
  timelineStart,
} from './media-sync/session.js';

/**
 * A/V sync (issue 5): the fake camera flashes and the fake microphone beeps at the same instants
 * of a looping pattern (media-sync/fixtures.ts). A second participant gets the camera through a
 * loopback peer connection, with its own beeps at another pitch, and is recorded as the receiving
 * page gets it. Every output must show each flash where its reference puts it against its beeps:
 * a frame on average, never more than two.
 *
 * The local reference is not the pattern: Chromium's fake camera and microphone start apart and
 * run on separate clocks, and the camera slips behind whenever the machine is busy (measured:
 * flashes 120 ms after their beeps 1 s in, 400 ms 5 s in, on this 2-core machine). What the
 * browser captured together is what one plain MediaRecorder makes of the same two tracks
 * (Chromium muxes them by capture time; its audio is PCM, see startReference), so the local
 * participant is also recorded that way in the page, and each output must keep the A/V relation
 * of that reference, flash by flash.
 *
 * The remote reference is what the receiving page was shown and played: each flash when its
 * frame arrived, each beep at its playout. The received video goes through a 150 ms jitter
 * buffer (`jitterBufferTarget`), as on a real network. Chromium stamps received frames with their
 * render time until the sender's RTCP reports arrive, 2-3 s in, and with the sender's capture
 * time after: 150 ms earlier than they were shown. Without the SDK's timing steps
 * (ReceivedVideoTiming) every remote flash after that came out 146-160 ms (4.5 frames) early.
 *
 * Measured on 2026-12-03, 3 runs: the remote video track as remuxed with its step (one, of
 * 151-155 ms, 1.9-2.2 s in) lay 0-2 ms from the reference on average, its audio within 2 ms. The
 * remote participant joins 300 ms late, so its file and its composite cell are drawn on the 30 fps
 * grid, which moves every flash of a track by the same part of a frame (up to half): means of
 * -8 to 13 ms, worst flash 26 ms. A plain recorder of the received tracks is no reference: it
 * writes the capture times for video and holds video frames back to its audio's 10 ms steps.
 *
 * One CI run (load average 2.9) had every remote beep 40-71 ms from its flash, with the remote
 * audio 59 ms off where it usually lies and the video where it should be. Two things found since
 * would each do that, and neither could be made to happen here again: processing dropped any gap
 * in a track's audio timestamps under 0.1 s (`AUDIO_ON_TIMESTAMPS` now keeps them, and logs a
 * track that strays), and the beep reference read through Chromium's 100 ms queue, so a page too
 * busy to read for longer lost the first buffers of beeps (it now keeps 5 s, and the log says
 * how much sound it missed).
 */
const SYNC = syncFixturePaths(MEDIA_DIR);
const RECORD_MS = 15_000;
const FRAME_MS = 1000 / FPS;
/** Issue 5's target: 1 frame mean, 2 frames worst. */
const LIMITS_MS = { mean: FRAME_MS, worst: 2 * FRAME_MS };
const REMOTE_BEEP_HZ = 2000;
/** The received video's jitter buffer, ms: what Chromium's received-video timestamps leave out. */
const REMOTE_VIDEO_DELAY_MS = 150;
/** Events each side must show for the figures to mean anything. */
const MIN_EVENTS = 6;
/** Output time 0 is this close to the reference's start: within half a loop, so the loop cannot alias. */
const SEARCH_MS = (LOOP_SECONDS * 1000) / 2 - 100;

test.use({ launchOptions: fakeMediaChromium(SYNC.video, SYNC.audio) });

let server: PageServer;
test.beforeAll(async () => {
  server = await startPageServer();
});
test.afterAll(async () => {
  await server?.close();
});

/** Flash and beep times of a reference file, as epoch ms (its start + file time). */
async function referenceEvents(reference: Reference, path: string, hz: number) {
  await writeFile(path, Buffer.from(reference.webm, 'base64'));
  const detected = await outputEvents(path, [WHOLE_FRAME], [hz]);
  const epoch = (times: number[]) => times.map((t) => reference.startedAt + t * 1000);
  return { flashes: epoch(detected.flashes[0] ?? []), beeps: epoch(detected.beeps[hz] ?? []) };
}

test('every output keeps audio and video in sync, local and remote', async ({ page }) => {
  const session = await newSession();
  page.on('console', (msg) => msg.type() === 'debug' && console.log(`[page] ${msg.text()}`));
  await openSyncPage(page, server.origin);
  const load = loadavg()[0]?.toFixed(1);
  await page.evaluate(
    async ({ session, serverUrl, remote }) => {
      const w = window as unknown as SyncWindow;
      w.held.call = await w.sync.startCameraCall({ serverUrl, ...session, remote });
    },
    {
      session,
      serverUrl: SERVER_URL,
      remote: {
        beepHz: REMOTE_BEEP_HZ,
        patternMs: PATTERN_SECONDS.map((s) => s * 1000),
        loopMs: LOOP_SECONDS * 1000,
        videoDelayMs: REMOTE_VIDEO_DELAY_MS,
      },
    },
  );
  await page.waitForTimeout(RECORD_MS);
  const references = await page.evaluate(() =>
    ((window as unknown as SyncWindow).held.call as CameraCall).finish(),
  );
  if (!references.local || !references.remote) throw new Error('no reference recordings');
  const stopped = Date.now();
  const info = await completed(session.recordingId);
  console.log(
    `[av-sync] processed in ${((Date.now() - stopped) / 1000).toFixed(1)} s; load average ${load} at the start`,
  );
  await writeFile(test.info().outputPath('info.json'), JSON.stringify(info, null, 1));

  const reference = {
    local: await referenceEvents(
      references.local,
      test.info().outputPath('local-reference.webm'),
      FIXTURE_BEEP_HZ,
    ),
    remote: { flashes: references.remote.flashes, beeps: references.remote.beeps },
  };
  await writeFile(test.info().outputPath('references.json'), JSON.stringify(reference));
  const remoteVideo = info.tracks.find((t) => t.participantId === 'remote' && t.kind === 'video');
  console.log(`[av-sync] remote video timing steps: ${JSON.stringify(remoteVideo?.timing ?? [])}`);
  console.log(
    `[av-sync] remote reference: ${references.remote.audioMissingMs.toFixed(0)} ms of sound missing`,
  );
  for (const [who, events] of Object.entries(reference)) {
    console.log(`[av-sync] ${who} reference: ${events.flashes.length} flashes, ${events.beeps.length} beeps`);
    expect(events.flashes.length, `${who} reference flashes`).toBeGreaterThanOrEqual(MIN_EVENTS);
    expect(events.beeps.length, `${who} reference beeps`).toBeGreaterThanOrEqual(MIN_EVENTS);
  }

  const origin = timelineStart(info);
  const composite = compositeFile(info);
  const outputs: { name: string; path: string; region: Region; hz: number; who: 'local' | 'remote' }[] = [
    {
      name: 'local file',
      path: participantFile(info, 'local'),
      region: WHOLE_FRAME,
      hz: FIXTURE_BEEP_HZ,
      who: 'local',
    },
    {
      name: 'remote file',
      path: participantFile(info, 'remote'),
      region: WHOLE_FRAME,
      hz: REMOTE_BEEP_HZ,
      who: 'remote',
    },
    // Join order puts the local participant (first track to start) in the left cell.
    { name: 'composite, local', path: composite, region: LEFT_CELL, hz: FIXTURE_BEEP_HZ, who: 'local' },
    { name: 'composite, remote', path: composite, region: RIGHT_CELL, hz: REMOTE_BEEP_HZ, who: 'remote' },
  ];
  for (const output of outputs) {
    const detected = await outputEvents(output.path, [output.region], [output.hz]);
    const flashes = detected.flashes[0] ?? [];
    const beeps = detected.beeps[output.hz] ?? [];
    const ref = reference[output.who];
    const fit = { expectedOrigin: origin, searchMs: SEARCH_MS };
    const audio = fitStream(ref.beeps, beeps, fit);
    const video = fitStream(ref.flashes, flashes, fit);
    const offsets = offsetsFrom(audio.origin, video.events);
    const stats = offsetStats(offsets);
    console.log(
      `[av-sync] ${output.name}: ${flashes.length} flashes, ${beeps.length} beeps; unmatched ` +
        `${video.unmatched.length} flashes, ${audio.unmatched.length} beeps; video − audio ${formatStats(stats)}; ` +
        `output 0 at ${(audio.origin - origin).toFixed(0)} ms (audio) ${(video.origin - origin).toFixed(0)} ms (video); ` +
        `per flash ${offsets.map((o) => o.toFixed(0)).join(' ')}`,
    );
    expect.soft(audio.events.length, `${output.name}: beeps matched`).toBeGreaterThanOrEqual(MIN_EVENTS);
    expect.soft(video.events.length, `${output.name}: flashes matched`).toBeGreaterThanOrEqual(MIN_EVENTS);
    expect
      .soft(stats.meanAbs, `${output.name}: mean |video − audio|, ms`)
      .toBeLessThanOrEqual(LIMITS_MS.mean);
    expect.soft(stats.max, `${output.name}: worst flash, ms`).toBeLessThanOrEqual(LIMITS_MS.worst);
  }
});
