/** What the page measures of itself (bench/support/tab-memory-probe.ts), POSTed to the bench. */
export interface PageSample {
  /** `call only`: the bench's control run, the same call sampled with no recording. */
  phase: 'before recording' | 'recording' | 'call only' | 'after stop';
  /** Seconds since the page turned `recording` (or since the first sample, in a control run); 0 before. */
  t: number;
  /** The demo's status (`data-state`) and its text, to see a failure. */
  state: string;
  status: string;
  /** performance.memory after two gc() calls (Chromium's --enable-precise-memory-info). */
  jsHeapUsed: number;
  jsHeapTotal: number;
  domElements: number;
  /** Bytes the page's MediaRecorders handed out. */
  produced: number;
  /** Summed over the demo's track table (the SDK's trackProgress). */
  recorded: number;
  uploaded: number;
  /** navigator.storage.estimate(): the IndexedDB journal (and anything else the origin stores). */
  storageUsage: number;
  indexedDbUsage: number | null;
  /** Chunks in the SDK's journal, and their bytes. */
  journalChunks: number;
  journalBytes: number;
}

/** A line the page logged that the bench reports: errors and the SDK's `journalBehind` warning. */
export interface PageLogLine {
  level: 'error' | 'warning';
  text: string;
}

/** Where the bench's receiver takes what the probe sends. */
export const PROBE_ROUTES = {
  sample: '/sample',
  log: '/log',
  recording: '/recording',
  done: '/done',
} as const;
