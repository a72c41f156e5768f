import { RecordingApiError } from './errors.js';
import { describe, errorFromResponse, stripQuery } from './http-errors.js';
import {
  type AddPauseRequest,
  API_PREFIX,
  type CleanupResponse,
  type ClockResponse,
  type CompleteTrackRequest,
  type CreateRecordingRequest,
  type FailTrackRequest,
  type ListedPart,
  type ListPartsResponse,
  type ListRecordingsResponse,
  type RecordingInfo,
  type RegisterTrackRequest,
  type RegisterTrackResponse,
  type SignedPart,
  type SignPartsResponse,
  type StopRecordingRequest,
  type TrackInfo,
} from './protocol.js';
import type { ChunkResponse } from './resumable-upload.js';
import { type RetryOptions, withRetry } from './retry.js';
import { type TokenSource, Tokens } from './tokens.js';

export type { TokenSource };

/** The part of `fetch` the SDK uses; injectable for tests and non-browser hosts. */
export type FetchLike = (url: string, init: RequestInit) => Promise<Response>;

export interface RecordingClientOptions {
  serverUrl: string;
  token: TokenSource;
  fetch?: FetchLike;
  retry?: RetryOptions;
  /** Per API request. */
  requestTimeoutMs?: number;
  /** Per part PUT: 8 MiB must get through slow uplinks too. */
  uploadTimeoutMs?: number;
}

const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;
const DEFAULT_UPLOAD_TIMEOUT_MS = 5 * 60_000;
/** A round trip slower than this says nothing useful about the clock anyway. */
const CLOCK_REQUEST_TIMEOUT_MS = 5000;

/**
 * HTTP client for the recording server. Every call is retried on network errors, 408, 429 and
 * 5xx, renews the token once on 401/403, and throws `RecordingApiError` otherwise.
 */
export class RecordingClient {
  readonly #base: string;
  readonly #tokens: Tokens;
  readonly #fetch: FetchLike;
  readonly #retry: RetryOptions;
  readonly #requestTimeoutMs: number;
  readonly #uploadTimeoutMs: number;

  constructor(options: RecordingClientOptions) {
    this.#base = `${options.serverUrl.replace(/\/+$/, '')}${API_PREFIX}`;
    this.#tokens = new Tokens(options.token);
    // Wrapped: a bare `fetch` stored on an object throws "Illegal invocation" in browsers.
    this.#fetch = options.fetch ?? ((url, init) => fetch(url, init));
    this.#retry = options.retry ?? {};
    this.#requestTimeoutMs = options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
    this.#uploadTimeoutMs = options.uploadTimeoutMs ?? DEFAULT_UPLOAD_TIMEOUT_MS;
  }

  // ---- recordings -----------------------------------------------------------------------------

  createRecording(body: CreateRecordingRequest): Promise<RecordingInfo> {
    return this.#json('POST', '/recordings', body);
  }

  getRecordingInfo(id: string): Promise<RecordingInfo> {
    return this.#json('GET', `/recordings/${enc(id)}`);
  }

  /** Newest first; needs an admin token. */
  async listRecordings(): Promise<RecordingInfo[]> {
    const response = await this.#json<ListRecordingsResponse>('GET', '/recordings');
    return response.recordings;
  }

  /** Removes every stored object, unfinished upload and the state of the recording. */
  async deleteRecording(id: string): Promise<void> {
    await this.#json('DELETE', `/recordings/${enc(id)}`);
  }

  /** Deletes finished recordings created more than `olderThanMs` ago; needs an admin token. */
  async cleanupOldRecordings(olderThanMs: number): Promise<string[]> {
    const response = await this.#json<CleanupResponse>('POST', '/cleanup', { olderThanMs });
    return response.deleted;
  }

  stopRecording(id: string, body: StopRecordingRequest = {}): Promise<RecordingInfo> {
    return this.#json('POST', `/recordings/${enc(id)}/stop`, body);
  }

  /** Adds a span the recording was paused (server clock); idempotent, merged with known spans. */
  addPause(id: string, span: AddPauseRequest): Promise<RecordingInfo> {
    return this.#json('POST', `/recordings/${enc(id)}/pauses`, span);
  }

  /**
   * The server's epoch ms, from one request without retries or token (GET /v1/clock): a retried
   * request would make a useless round trip, so the clock sync owns retries.
   */
  async getServerTime(timeoutMs = CLOCK_REQUEST_TIMEOUT_MS): Promise<number> {
    const response = await this.#send(
      `${this.#base}/clock`,
      // The server answers `Cache-Control: no-store`, so no cache ever serves an old time.
      { method: 'GET' },
      timeoutMs,
    );
    if (!response.ok) throw await errorFromResponse(response);
    const { now } = (await response.json()) as ClockResponse;
    if (typeof now !== 'number' || !Number.isFinite(now)) {
      throw new RecordingApiError(response.status, 'invalid_response', 'GET /clock answered without a time');
    }
    return now;
  }

  /** For `EventSource`, which cannot send headers: the token travels in the query. */
  async eventsUrl(id: string): Promise<string> {
    const token = await this.#tokens.get();
    return `${this.#base}/recordings/${enc(id)}/events?token=${encodeURIComponent(token)}`;
  }

  /** Forget the cached token, so the next call asks the provider; false for a fixed token. */
  refreshToken(): boolean {
    return this.#tokens.refresh();
  }

  // ---- tracks ---------------------------------------------------------------------------------

  registerTrack(id: string, trackId: string, body: RegisterTrackRequest): Promise<RegisterTrackResponse> {
    return this.#json('PUT', `/recordings/${enc(id)}/tracks/${enc(trackId)}`, body);
  }

  signParts(id: string, trackId: string, partNumbers: number[]): Promise<SignPartsResponse> {
    return this.#json('POST', `/recordings/${enc(id)}/tracks/${enc(trackId)}/parts`, { partNumbers });
  }

  /** The parts storage already holds for a multipart track still recording, by part number. */
  async listParts(id: string, trackId: string): Promise<ListedPart[]> {
    const response = await this.#json<ListPartsResponse>(
      'GET',
      `/recordings/${enc(id)}/tracks/${enc(trackId)}/parts`,
    );
    return response.parts;
  }

  completeTrack(id: string, trackId: string, body: CompleteTrackRequest): Promise<TrackInfo> {
    return this.#json('POST', `/recordings/${enc(id)}/tracks/${enc(trackId)}/complete`, body);
  }

  failTrack(id: string, trackId: string, body: FailTrackRequest): Promise<TrackInfo> {
    return this.#json('POST', `/recordings/${enc(id)}/tracks/${enc(trackId)}/fail`, body);
  }

  /**
   * One PUT of one part to its signed URL, without retries: the caller owns the retry loop,
   * because a refused URL must be signed again, which only it can do. Resolves with the ETag.
   */
  async putPart(part: SignedPart, body: ArrayBuffer): Promise<string> {
    const timeout = uploadTimeout(this.#uploadTimeoutMs);
    let response: Response;
    try {
      response = await this.#send(
        part.url,
        { method: 'PUT', headers: part.headers ?? {}, body, signal: timeout.signal },
        this.#uploadTimeoutMs,
      );
    } finally {
      timeout.clear();
    }
    if (!response.ok) throw await errorFromResponse(response);
    const etag = response.headers.get('ETag');
    if (!etag) {
      // Storage accepted the bytes, but the browser may not read the header: a CORS setup issue.
      throw new RecordingApiError(
        response.status,
        'missing_etag',
        `part ${part.partNumber} was stored but the response has no readable ETag header (CORS must expose ETag)`,
      );
    }
    return etag;
  }

  /**
   * One PUT to a resumable upload session (GCS), without retries: the upload loop owns them,
   * because after a failure it must ask the session how far it got. Resolves for 308 (more
   * expected, `Range` says how much is held) and 200/201 (finalized); throws otherwise.
   */
  async putChunk(url: string, body: ArrayBuffer | undefined, contentRange: string): Promise<ChunkResponse> {
    const timeout = uploadTimeout(this.#uploadTimeoutMs);
    try {
      return await this.#putChunk(url, body, contentRange, timeout.signal);
    } finally {
      timeout.clear();
    }
  }

  async #putChunk(
    url: string,
    body: ArrayBuffer | undefined,
    contentRange: string,
    signal: AbortSignal,
  ): Promise<ChunkResponse> {
    // A 308 without `Location` is handed back by fetch as is, not followed.
    const response = await this.#send(
      url,
      { method: 'PUT', headers: { 'Content-Range': contentRange }, body: body ?? null, signal },
      this.#uploadTimeoutMs,
    );
    if (response.status !== 308 && response.status !== 200 && response.status !== 201) {
      throw await errorFromResponse(response);
    }
    try {
      // The body is the object's metadata (or empty); drain it so the connection is reused.
      await response.arrayBuffer();
    } catch (error) {
      throw new RecordingApiError(0, 'network_error', `PUT ${stripQuery(url)}: the response was cut off`, {
        cause: error,
      });
    }
    return {
      status: response.status,
      range: response.headers.get('Range'),
      etag: response.headers.get('ETag'),
    };
  }

  // ---- plumbing -------------------------------------------------------------------------------

  #json<T>(method: string, path: string, body?: unknown): Promise<T> {
    return withRetry(
      async () => {
        const headers: Record<string, string> = { Authorization: `Bearer ${await this.#tokens.get()}` };
        const init: RequestInit = { method, headers };
        if (body !== undefined) {
          headers['Content-Type'] = 'application/json';
          init.body = JSON.stringify(body);
        }
        const response = await this.#send(`${this.#base}${path}`, init, this.#requestTimeoutMs);
        if (!response.ok) throw await errorFromResponse(response);
        if (response.status === 204) return undefined as T;
        return (await response.json()) as T;
      },
      { ...this.#retry, refresh: () => this.#tokens.refresh() },
    );
  }

  async #send(url: string, init: RequestInit, timeoutMs: number): Promise<Response> {
    try {
      return await this.#fetch(url, { ...init, signal: init.signal ?? AbortSignal.timeout(timeoutMs) });
    } catch (error) {
      const timedOut = error instanceof Error && error.name === 'TimeoutError';
      throw new RecordingApiError(
        0,
        timedOut ? 'timeout' : 'network_error',
        `${init.method} ${stripQuery(url)}: ${timedOut ? `no response within ${timeoutMs} ms` : describe(error)}`,
        { cause: error },
      );
    }
  }
}

/**
 * A timeout cleared as soon as the upload is over: `AbortSignal.timeout` stays alive until it
 * fires, and the fetch it guards, with its request body, may stay reachable from it. (The
 * tab-memory bench did not show a difference in renderer RSS; see BENCHMARKS.md.)
 */
function uploadTimeout(ms: number): { signal: AbortSignal; clear: () => void } {
  const controller = new AbortController();
  const timer = setTimeout(
    () => controller.abort(new DOMException(`no response within ${ms} ms`, 'TimeoutError')),
    ms,
  );
  return { signal: controller.signal, clear: () => clearTimeout(timer) };
}

function enc(segment: string): string {
  return encodeURIComponent(segment);
}
