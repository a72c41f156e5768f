import { writeFile } from 'node:fs/promises';
import { type Browser, chromium, expect, type Page, test } from '@playwright/test';
import { fakeMediaChromium } from './chromium.js';
import { FAKE_AUDIO, FAKE_VIDEO, SERVER_URL } from './env.js';
import { outputEvents, WHOLE_FRAME } from './media-sync/detect.js';
import {
  byInstant,
  fitStream,
  formatStats,
  type MatchedEvent,
  offsetStats,
  pairOffsets,
  type StreamFit,
  steadyBeeps,
} from './media-sync/match.js';
import type { LiveEvents, SyntheticParticipant } from './media-sync/page/scenarios.js';
import { type PageServer, startPageServer } from './media-sync/page-server.js';
import {
  completed,
  compositeFile,
  joinSession,
  newSession,
  openSyncPage,
  type Session,
  type SyncWindow,
  timelineStart,
} from './media-sync/session.js';

/**
 * Alignment (issue 5): two participants in two separate Chromium instances record into one
 * recording. The first one's clock runs 7 s fast (Date and performance.timeOrigin); the second joins
 * 5 s late and leaves early with `stop({ endRecording: false })`; the first stops the recording.
 *
 * Shared real-world instants: the test picks real epoch times; each page gets them on its own
 * (skewed) clock and flashes its picture (red in one, blue in the other) and beeps (1 kHz, 2 kHz)
 * at each. What each page really showed and played is measured live (media-sync/page/live.ts).
 * In the composite, red and blue flashes are told apart by chroma (any layout), beeps by pitch;
 * the same instant must land within 50 ms in both participants.
 */
const SKEW_MS = 7_000;
const LATE_MS = 5_000;
const LATE_STAYS_MS = 9_000;
const AFTER_LEAVE_MS = 4_000;
const TOLERANCE_MS = 50;
/**
 * An instant this close after a participant's first track start (or before it) is left out for
 * that participant: a flash (66 ms) or beep (60 ms) already under way when the recording began
 * shows up cut, with a false onset at the track's first frame or sample (seen 27-56 ms off).
 */
const START_EDGE_MS = 150;

interface Participant {
  id: string;
  skewMs: number;
  beepHz: number;
  background: string;
  flash: string;
  /** The chroma plane a flash of this colour raises. */
  plane: 'u' | 'v';
}
const SKEWED: Participant = {
  id: 'skewed',
  skewMs: SKEW_MS,
  beepHz: 1000,
  background: '#202020',
  flash: '#ff0000',
  plane: 'v',
};
const LATE: Participant = {
  id: 'late',
  skewMs: 0,
  beepHz: 2000,
  background: '#202020',
  flash: '#0000ff',
  plane: 'u',
};

/** Real instants from `from` until `until`, gaps 0.7–1.5 s that never repeat in order. */
function sharedInstants(from: number, until: number): number[] {
  const instants: number[] = [];
  for (let at = from, k = 0; at < until; k++) {
    instants.push(at);
    at += 700 + ((k * 7) % 9) * 100;
  }
  return instants;
}

/** Runs before any page script: this page's wall clock reads `skewMs` ahead of the real one. */
function skewClock(skewMs: number): void {
  const RealDate = Date;
  class SkewedDate extends RealDate {
    constructor(...args: unknown[]) {
      if (args.length === 0) super(RealDate.now() + skewMs);
      else super(...(args as [number]));
    }
    static override now(): number {
      return RealDate.now() + skewMs;
    }
  }
  globalThis.Date = SkewedDate as DateConstructor;
  const origin = performance.timeOrigin + skewMs;
  Object.defineProperty(Performance.prototype, 'timeOrigin', { get: () => origin, configurable: true });
}

let server: PageServer;
test.beforeAll(async () => {
  server = await startPageServer();
});
test.afterAll(async () => {
  await server?.close();
});

async function join(
  page: Page,
  who: Participant,
  session: Session,
  instants: readonly number[],
): Promise<void> {
  const skew = await page.evaluate(() => Date.now());
  console.log(`[alignment] ${who.id}: page clock − test clock ${skew - Date.now()} ms`);
  await page.evaluate(
    async ({ who, session, serverUrl, instants }) => {
      const w = window as unknown as SyncWindow;
      w.held.participant = await w.sync.startSyntheticParticipant({
        serverUrl,
        ...session,
        participantId: who.id,
        beepHz: who.beepHz,
        background: who.background,
        flash: who.flash,
        instants,
      });
    },
    { who, session, serverUrl: SERVER_URL, instants: instants.map((at) => at + who.skewMs) },
  );
}

async function leave(page: Page, who: Participant, endRecording: boolean): Promise<LiveEvents> {
  const { live, clock } = await page.evaluate(async (endRecording) => {
    const participant = (window as unknown as SyncWindow).held.participant as SyntheticParticipant;
    const clock = participant.recorder.clock.estimate;
    return { live: await participant.finish({ endRecording }), clock };
  }, endRecording);
  console.log(`[alignment] ${who.id}: the SDK's clock estimate ${JSON.stringify(clock)}`);
  // Back to the real clock: the test knows the skew it set.
  const real = (times: number[]) => times.map((t) => t - who.skewMs);
  return { ...live, flashes: real(live.flashes), beeps: real(live.beeps) };
}

test('two browsers, one clock 7 s fast, one joining 5 s late: the same instants line up in the composite', async () => {
  const session = await newSession();
  const browsers: Browser[] = [];
  try {
    const pages: Page[] = [];
    for (const who of [SKEWED, LATE]) {
      const browser = await chromium.launch(fakeMediaChromium(FAKE_VIDEO, FAKE_AUDIO));
      browsers.push(browser);
      const page = await browser.newPage();
      if (who.skewMs) await page.addInitScript(skewClock, who.skewMs);
      await openSyncPage(page, server.origin);
      pages.push(page);
    }
    const [skewedPage, latePage] = pages as [Page, Page];
    const start = Date.now();
    const instants = sharedInstants(start + 1_000, start + LATE_MS + LATE_STAYS_MS + AFTER_LEAVE_MS + 3_000);
    await join(skewedPage, SKEWED, session, instants);
    await skewedPage.waitForTimeout(LATE_MS);
    await join(latePage, LATE, await joinSession(session), instants);
    await latePage.waitForTimeout(LATE_STAYS_MS);
    const lateLive = await leave(latePage, LATE, false);
    await skewedPage.waitForTimeout(AFTER_LEAVE_MS);
    const skewedLive = await leave(skewedPage, SKEWED, true);

    await writeFile(
      test.info().outputPath('live.json'),
      JSON.stringify({ instants, skewedLive, lateLive }, null, 1),
    );
    const info = await completed(session.recordingId);
    await writeFile(test.info().outputPath('info.json'), JSON.stringify(info, null, 1));
    expect(info.tracks.map((t) => `${t.participantId}-${t.kind}:${t.status}`).sort()).toEqual([
      'late-audio:complete',
      'late-video:complete',
      'skewed-audio:complete',
      'skewed-video:complete',
    ]);
    const composite = compositeFile(info);
    const origin = timelineStart(info);
    const fits: Record<string, StreamFit> = {};
    for (const [who, live] of [
      [SKEWED, skewedLive],
      [LATE, lateLive],
    ] as const) {
      const detected = await outputEvents(composite, [WHOLE_FRAME], [who.beepHz], {
        plane: who.plane,
        minRise: 12,
      });
      fits[`${who.id} video`] = fitStream(live.flashes, detected.flashes[0] ?? []);
      fits[`${who.id} audio`] = fitStream(
        steadyBeeps(live.beeps, instants),
        detected.beeps[who.beepHz] ?? [],
      );
    }
    for (const [name, fit] of Object.entries(fits)) {
      console.log(
        `[alignment] ${name}: ${fit.events.length} events (${fit.unmatched.length} unmatched), output 0 at ` +
          `${(fit.origin - origin).toFixed(0)} ms from the first track start (server clock)`,
      );
      expect.soft(fit.events.length, `${name}: events matched to live ones`).toBeGreaterThanOrEqual(5);
    }
    const clearOfStart = (who: Participant, found: Map<number, MatchedEvent>) => {
      const joined = Math.min(
        ...info.tracks.filter((t) => t.participantId === who.id).map((t) => t.startedAt),
      );
      for (const instant of found.keys()) if (instant < joined + START_EDGE_MS) found.delete(instant);
      return found;
    };
    for (const kind of ['audio', 'video']) {
      const skewed = clearOfStart(SKEWED, byInstant(fits[`skewed ${kind}`] as StreamFit, instants));
      const late = clearOfStart(LATE, byInstant(fits[`late ${kind}`] as StreamFit, instants));
      const pairs = pairOffsets(skewed, late);
      const stats = offsetStats(pairs.map((p) => p.offset));
      console.log(
        `[alignment] ${kind}, late − skewed for the same instant: ${formatStats(stats)}; ` +
          pairs.map((p) => p.offset.toFixed(0)).join(' '),
      );
      expect.soft(pairs.length, `${kind}: instants both participants show`).toBeGreaterThanOrEqual(5);
      expect.soft(stats.max, `${kind}: worst instant, ms apart`).toBeLessThanOrEqual(TOLERANCE_MS);
    }
  } finally {
    for (const browser of browsers) await browser.close();
  }
});
