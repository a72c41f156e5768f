/** What bench/support/load-client.ts is asked to send, and what it reports back. */
export interface LoadRequest {
  method: 'GET' | 'POST' | 'PUT';
  url: string;
  headers?: Record<string, string>;
  /** A JSON body, sent as is. */
  json?: string;
  /** A random binary body of this many bytes (the same bytes every time). */
  bytes?: number;
}

export interface LoadSpec {
  concurrency: number;
  maxRequests: number;
  maxSeconds: number;
  /** Sent first and not counted: connections opened, code paths warmed. */
  warmupRequests: number;
  /** Request i is `requests[i % requests.length]`. */
  requests: LoadRequest[];
}

export interface LoadResult {
  requests: number;
  seconds: number;
  perSecond: number;
  /** HTTP status → count; `error` for requests that got no response. */
  statuses: Record<string, number>;
  latencyMs: { p50: number; p90: number; p99: number; max: number };
  bodyBytesSent: number;
}

export function assertLoopback(url: string): void {
  if (new URL(url).hostname !== '127.0.0.1') throw new Error(`refusing a non-loopback target: ${url}`);
}

/** The line load-client prints when the warm-up is over and the measured requests begin. */
export const MEASURING = 'measuring';
