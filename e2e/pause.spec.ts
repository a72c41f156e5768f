import { writeFile } from 'node:fs/promises';
import { expect, test } from '@playwright/test';
import { fakeMediaChromium } from './chromium.js';
import { MEDIA_DIR, SERVER_URL } from './env.js';
import { outputEvents, WHOLE_FRAME } from './media-sync/detect.js';
import { FIXTURE_BEEP_HZ, syncFixturePaths } from './media-sync/fixtures.js';
import { fitStream } from './media-sync/match.js';
import type { CameraCall } from './media-sync/page/scenarios.js';
import { type PageServer, startPageServer } from './media-sync/page-server.js';
import { LOOP_SECONDS, onsetsUntil, PATTERN_SECONDS } from './media-sync/pattern.js';
import { completed, newSession, openSyncPage, type SyncWindow, timelineStart } from './media-sync/session.js';
import { probe } from './probe.js';

/**
 * Duration and pause (issue 5): the fake camera and microphone record 6 s, pause 3 s, resume and
 * record 6 s more. Every output lasts the recording's wall-clock span less the pause (within 0.5 s),
 * and the beeps run on across the cut: no gap longer than the pattern's own longest one, and the
 * audio after the cut sits exactly one pause earlier than the pattern would put it.
 */
const SYNC = syncFixturePaths(MEDIA_DIR);
const BEFORE_MS = 6_000;
const PAUSE_MS = 3_000;
const AFTER_MS = 6_000;
const LONGEST_GAP_MS = Math.max(
  ...PATTERN_SECONDS.map(
    (at, i) => ((PATTERN_SECONDS[i + 1] ?? (PATTERN_SECONDS[0] as number) + LOOP_SECONDS) - at) * 1000,
  ),
);

test.use({ launchOptions: fakeMediaChromium(SYNC.video, SYNC.audio) });

let server: PageServer;
test.beforeAll(async () => {
  server = await startPageServer();
});
test.afterAll(async () => {
  await server?.close();
});

test('a 3 s pause is cut out of every output: durations match, the pattern runs on without a gap', async ({
  page,
}) => {
  const session = await newSession();
  await openSyncPage(page, server.origin);
  await page.evaluate(
    async ({ session, serverUrl }) => {
      const w = window as unknown as SyncWindow;
      w.held.call = await w.sync.startCameraCall({ serverUrl, ...session, references: false });
    },
    { session, serverUrl: SERVER_URL },
  );
  await page.waitForTimeout(BEFORE_MS);
  await page.evaluate(() => ((window as unknown as SyncWindow).held.call as CameraCall).recorder.pause());
  await page.waitForTimeout(PAUSE_MS);
  await page.evaluate(() => ((window as unknown as SyncWindow).held.call as CameraCall).recorder.resume());
  await page.waitForTimeout(AFTER_MS);
  await page.evaluate(() => ((window as unknown as SyncWindow).held.call as CameraCall).finish());
  const info = await completed(session.recordingId);
  await writeFile(test.info().outputPath('info.json'), JSON.stringify(info, null, 1));

  expect(info.pauses, 'the pause the server knows').toHaveLength(1);
  const pause = info.pauses[0] as { from: number; to: number };
  const pausedMs = pause.to - pause.from;
  expect(Math.abs(pausedMs - PAUSE_MS), `pause of ${pausedMs} ms`).toBeLessThanOrEqual(500);
  const start = timelineStart(info);
  const end = Math.max(...info.tracks.map((t) => t.endedAt ?? Number.NaN));
  const expected = (end - start - pausedMs) / 1000;
  console.log(
    `[pause] wall clock ${(end - start) / 1000} s, paused ${pausedMs / 1000} s: outputs should last ${expected} s`,
  );
  expect(
    Math.abs((info.duration ?? Number.NaN) - expected),
    `recording duration ${info.duration} s`,
  ).toBeLessThanOrEqual(0.5);

  const cut = (pause.from - start) / 1000;
  for (const output of info.outputs) {
    const name = output.participantId ?? output.kind;
    const media = await probe(output.location);
    console.log(`[pause] ${name}: ${media.duration} s (info says ${output.duration} s)`);
    expect.soft(Math.abs(media.duration - expected), `${name}: ${media.duration} s`).toBeLessThanOrEqual(0.5);
    expect
      .soft(Math.abs(output.duration - expected), `${name} per the info: ${output.duration} s`)
      .toBeLessThanOrEqual(0.5);

    const detected = await outputEvents(output.location, [WHOLE_FRAME], [FIXTURE_BEEP_HZ]);
    const beeps = detected.beeps[FIXTURE_BEEP_HZ] ?? [];
    const gaps = beeps.slice(1).map((t, i) => (t - (beeps[i] as number)) * 1000);
    const longest = Math.max(...gaps);
    // The microphone's pattern is exact: before the cut the beeps sit at the pattern's instants
    // from some origin, after it at the same instants one pause earlier.
    const pattern = onsetsUntil(120).map((s) => s * 1000);
    const before = fitStream(
      pattern,
      beeps.filter((t) => t < cut),
    );
    const after = fitStream(
      pattern,
      beeps.filter((t) => t > cut),
      { expectedOrigin: before.origin + pausedMs, searchMs: (LOOP_SECONDS * 1000) / 2 - 100 },
    );
    const shift = after.origin - before.origin;
    console.log(
      `[pause] ${name}: ${beeps.length} beeps, longest gap ${longest.toFixed(0)} ms (pattern ${LONGEST_GAP_MS.toFixed(0)}), ` +
        `pattern after the cut ${shift.toFixed(0)} ms later than before it (pause ${pausedMs} ms)`,
    );
    expect.soft(before.events.length, `${name}: beeps before the cut`).toBeGreaterThanOrEqual(4);
    expect.soft(after.events.length, `${name}: beeps after the cut`).toBeGreaterThanOrEqual(4);
    expect.soft(longest, `${name}: longest gap between beeps, ms`).toBeLessThanOrEqual(LONGEST_GAP_MS + 100);
    expect.soft(Math.abs(shift - pausedMs), `${name}: cut vs pause, ms`).toBeLessThanOrEqual(100);
  }
});
