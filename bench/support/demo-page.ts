import type { Page } from '../../packages/server/node_modules/playwright-core/index.js';

/** One row of the demo page's per-track table (packages/demo/src/progress.ts), as numbers. */
export interface TrackCounters {
  trackId: string;
  participant: string;
  kind: string;
  recorded: number;
  uploaded: number;
  state: string;
}

/** What the page saw, each stamped with the page's `Date.now()` (the same clock as the server's). */
export interface PageLog {
  states: { state: string; t: number }[];
  events: { name: string; t: number }[];
  /** First time each track's row turned `ended`: its upload is complete in storage (trackEnded). */
  ended: Record<string, number>;
  /** Sum over tracks, sampled every second while the page runs. */
  samples: { t: number; recorded: number; uploaded: number }[];
}

interface BenchWindow {
  benchLog: PageLog;
  benchCounters: () => TrackCounters[];
}

/**
 * Watches the demo page's status, event log and track table with MutationObservers, so each
 * transition is timed when the page makes it, not when the bench next polls.
 */
export async function instrument(page: Page): Promise<void> {
  // tsx (esbuild keepNames) wraps named inner functions in `__name(...)`, a helper the page lacks.
  await page.evaluate('globalThis.__name ??= (fn) => fn');
  await page.evaluate(() => {
    const w = window as unknown as BenchWindow;
    const q = (testId: string) => {
      const node = document.querySelector<HTMLElement>(`[data-testid="${testId}"]`);
      if (!node) throw new Error(`missing [data-testid="${testId}"]`);
      return node;
    };
    const log: PageLog = { states: [], events: [], ended: {}, samples: [] };
    const counters = (): TrackCounters[] =>
      [...q('progress').querySelectorAll<HTMLTableRowElement>('tbody tr[data-track-id]')].map((row) => {
        const field = (name: string) =>
          row.querySelector<HTMLElement>(`[data-field="${name}"]`)?.dataset.value ?? '';
        return {
          trackId: row.dataset.trackId ?? '',
          participant: row.cells[0]?.textContent ?? '',
          kind: row.cells[1]?.textContent ?? '',
          recorded: Number(field('recorded')) || 0,
          uploaded: Number(field('uploaded')) || 0,
          state: field('state'),
        };
      });
    w.benchLog = log;
    w.benchCounters = counters;

    const status = q('status');
    new MutationObserver(() => {
      const state = status.dataset.state ?? '';
      if (log.states.at(-1)?.state !== state) log.states.push({ state, t: Date.now() });
    }).observe(status, { attributes: true, attributeFilter: ['data-state'] });

    new MutationObserver((mutations) => {
      const t = Date.now();
      for (const m of mutations) {
        for (const node of m.addedNodes) {
          const name = node instanceof HTMLElement ? node.dataset.event : undefined;
          if (name) log.events.push({ name, t });
        }
      }
    }).observe(q('event-log'), { childList: true });

    new MutationObserver(() => {
      const t = Date.now();
      for (const track of counters()) {
        if (track.state === 'ended' && log.ended[track.trackId] === undefined) log.ended[track.trackId] = t;
      }
    }).observe(q('progress'), { subtree: true, childList: true, attributes: true });

    setInterval(() => {
      const rows = counters();
      const sum = (pick: (r: TrackCounters) => number) => rows.reduce((s, r) => s + pick(r), 0);
      log.samples.push({ t: Date.now(), recorded: sum((r) => r.recorded), uploaded: sum((r) => r.uploaded) });
    }, 1000);
  });
}

/** Reads every track's counters, then clicks Stop in the same task: the snapshot is the backlog at stop. */
export async function clickStop(page: Page): Promise<{ t: number; tracks: TrackCounters[] }> {
  return page.evaluate(() => {
    const w = window as unknown as BenchWindow;
    const tracks = w.benchCounters();
    const t = Date.now();
    document.querySelector<HTMLButtonElement>('[data-testid="stop"]')?.click();
    return { t, tracks };
  });
}

export async function readLog(page: Page): Promise<{ log: PageLog; tracks: TrackCounters[] }> {
  return page.evaluate(() => {
    const w = window as unknown as BenchWindow;
    return { log: w.benchLog, tracks: w.benchCounters() };
  });
}
