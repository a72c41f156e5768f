import { expect, type Page } from '@playwright/test';
import type * as Sdk from '../../packages/sdk/src/index.js';
import type { OutputInfo, RecordingInfo } from '../../packages/sdk/src/protocol.js';
import { backend, logPageErrors, processed } from '../demo.js';
import { SERVER_URL } from '../env.js';
import type * as SyncPage from './page/index.js';

/** What the media-sync pages expose (page-server.ts): the SDK and the page helpers. */
export type SyncWindow = Window & {
  callrec: typeof Sdk;
  sync: typeof SyncPage;
  /** Whatever a test keeps in the page between evaluate calls. */
  held: Record<string, unknown>;
};

export interface Session {
  recordingId: string;
  roomId: string;
  token: string;
}

/** A new recording id and its token, from the demo backend (what an app's backend would hand out). */
export async function newSession(): Promise<Session> {
  const response = await fetch(`${SERVER_URL}/demo/session`, { method: 'POST' });
  if (!response.ok) throw new Error(`POST /demo/session: HTTP ${response.status}`);
  return (await response.json()) as Session;
}

/** Another token for the same recording: what a second participant's browser gets to join it. */
export async function joinSession(session: Session): Promise<Session> {
  const response = await fetch(`${SERVER_URL}/demo/token/${session.recordingId}`);
  if (!response.ok) throw new Error(`GET /demo/token: HTTP ${response.status}`);
  return { ...session, token: ((await response.json()) as { token: string }).token };
}

/** Opens the media-sync page at `origin` and waits until its modules loaded. */
export async function openSyncPage(page: Page, origin: string): Promise<void> {
  logPageErrors(page);
  await page.goto(origin);
  await page.waitForFunction(() => (window as unknown as { syncReady?: boolean }).syncReady === true, null, {
    timeout: 20_000,
  });
  await page.evaluate(() => {
    (window as unknown as SyncWindow).held = {};
  });
}

/** The recording once processing is over; fails the test unless it completed. */
export async function completed(recordingId: string): Promise<RecordingInfo> {
  const info = await processed(backend(SERVER_URL), recordingId);
  expect(info.status, JSON.stringify(info.error)).toBe('completed');
  return info;
}

/** The local provider's file of an output (its `location` is a path on disk). */
export function outputFile(info: RecordingInfo, match: (o: OutputInfo) => boolean, what: string): string {
  const output = info.outputs.find(match);
  if (!output) throw new Error(`no ${what} output in ${info.outputs.map((o) => o.key).join(', ')}`);
  return output.location;
}

export const participantFile = (info: RecordingInfo, participantId: string): string =>
  outputFile(info, (o) => o.kind === 'participant' && o.participantId === participantId, participantId);

export const compositeFile = (info: RecordingInfo): string =>
  outputFile(info, (o) => o.kind === 'composite', 'composite');

/** Epoch ms (server clock) of the earliest track start: output time 0 of the composite. */
export const timelineStart = (info: RecordingInfo): number =>
  Math.min(...info.tracks.map((t) => t.startedAt));
