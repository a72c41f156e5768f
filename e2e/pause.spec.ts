import { writeFile } from 'node:fs/promises';
import { expect, test } from '@playwright/test';
import { fakeMediaChromium } from './chromium.js';
import { MEDIA_DIR, SERVER_URL } from './env.js';
import { outputEvents, WHOLE_FRAME } from './media-sync/detect.js';
import { FIXTURE_BEEP_HZ, syncFixturePaths } from './media-sync/fixtures.js';
import { fitStream } from './media-sync/match.js';
import type { CameraCall } from './media-sync/page/scenarios.js';
import { type PageServer, startPageServer } from './media-sync/page-server.js';
import { LOOP_SECONDS, onsetsUntil } from './media-sync/pattern.js';
import { completed, newSession, openSyncPage, type SyncWindow, timelineStart } from './media-sync/session.js';
import { probe } from './probe.js';

/**
 * Duration and pause (issue 5): the fake camera and microphone record 6 s, pause 3 s, resume and
 * record 6 s more. Every output lasts the recording's wall-clock span less the pause (within 0.5 s),
 * and the beeps run on across the cut: the audio after the cut sits exactly one pause earlier than
 * the pattern would put it, and every beep the pattern puts in the recorded time is there (the gap
 * across the cut is whatever the pattern leaves around the pause, up to twice its longest gap).
 */
const SYNC = syncFixturePaths(MEDIA_DIR);
const BEFORE_MS = 6_000;
const PAUSE_MS = 3_000;
const AFTER_MS = 6_000;
/** A beep this close to the cut or to the end may be cut in half; it is not required. */
const EDGE_MS = 100;

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
    // Every onset the two fits put inside the recorded time, clear of the cut and of the end.
    const end = media.duration * 1000;
    const inside = (origin: number, from: number, to: number) =>
      pattern.map((p) => p - origin).filter((t) => t > from + EDGE_MS && t < to - EDGE_MS);
    const onsets = [...inside(before.origin, 0, cut * 1000), ...inside(after.origin, cut * 1000, end)];
    const missing = onsets.filter((t) => !beeps.some((b) => Math.abs(b * 1000 - t) <= EDGE_MS));
    console.log(
      `[pause] ${name}: ${beeps.length} beeps, ${onsets.length} expected clear of the edges, ` +
        `missing at ${JSON.stringify(missing.map((t) => Math.round(t)))} ms; ` +
        `pattern after the cut ${shift.toFixed(0)} ms later than before it (pause ${pausedMs} ms)`,
    );
    expect.soft(before.events.length, `${name}: beeps before the cut`).toBeGreaterThanOrEqual(4);
    expect.soft(after.events.length, `${name}: beeps after the cut`).toBeGreaterThanOrEqual(4);
    expect.soft(missing, `${name}: beeps the pattern puts in the recorded time, missing (ms)`).toEqual([]);
    expect.soft([...before.unmatched, ...after.unmatched], `${name}: beeps off the pattern`).toEqual([]);
    expect.soft(Math.abs(shift - pausedMs), `${name}: cut vs pause, ms`).toBeLessThanOrEqual(100);
  }
});
