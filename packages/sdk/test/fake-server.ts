import type { FetchLike } from '../src/api-client.js';
import type {
  CompleteTrackRequest,
  FailTrackRequest,
  PauseSpan,
  RecordingInfo,
  RecordingStatus,
  SignPartsRequest,
  StopRecordingRequest,
  TrackInfo,
} from '../src/protocol.js';

/** A scripted answer for one PUT of a part: a status with an optional error body, or a network failure. */
export type PutScript = { status: number; code?: string; message?: string } | 'network';

const json = (status: number, body: unknown): Response =>
  new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } });

/**
 * An in-memory stand-in for the recording server and its storage, speaking the wire protocol
 * through a fetch-like function. Only what the track upload uses.
 */
export class FakeServer {
  partSize = 10;
  minPartSize = 5;
  maxParts = 100;
  uploadType: 'multipart' | 'resumable' = 'multipart';
  /** The resumable target offered; its session URL is not served here (see fake-gcs-session.ts). */
  resumableTarget = { type: 'resumable', url: 'http://storage.test/session', chunkSize: 8, chunkMultiple: 4 };
  /** How long a PUT takes, so concurrency can be observed. */
  putDelayMs = 0;
  /** Answers for the next PUTs of a part number, used up in order before a PUT succeeds. */
  readonly putScripts = new Map<number, PutScript[]>();
  registerScript: { status: number; code: string } | undefined;
  /** The recording, for GET /v1/recordings/:id and stop; `undefined` answers 404. */
  recordingStatus: RecordingStatus | undefined = 'recording';
  /** What complete compares with; the multipart parts stored here unless replaced. */
  storedBytes: () => number = () => [...this.stored.values()].reduce((sum, part) => sum + part.length, 0);
  readonly trackStatus = new Map<string, TrackInfo['status']>();
  readonly stopBodies: StopRecordingRequest[] = [];
  readonly pauseBodies: PauseSpan[] = [];
  /** What GET /v1/clock answers. */
  serverNow: () => number = Date.now;
  /** Whether GET .../parts is served (older servers answer 404). */
  listParts = true;

  readonly stored = new Map<number, Uint8Array>();
  readonly signCalls: number[][] = [];
  readonly putAttempts = new Map<number, number>();
  /** The type of every part body PUT (`ArrayBuffer`, `Blob`, ...). */
  readonly putBodyTypes = new Set<string>();
  readonly completeBodies: CompleteTrackRequest[] = [];
  readonly failBodies: FailTrackRequest[] = [];
  readonly authHeaders: (string | null)[] = [];
  inFlightPuts = 0;
  maxInFlightPuts = 0;

  readonly fetch: FetchLike = async (url, init) => {
    const { pathname } = new URL(url);
    const method = init.method ?? 'GET';
    if (url.startsWith('http://storage.test/')) return this.#put(pathname, init);
    this.authHeaders.push(new Headers(init.headers).get('Authorization'));
    const body = typeof init.body === 'string' ? JSON.parse(init.body) : undefined;
    if (method === 'GET' && pathname === '/v1/clock') return json(200, { now: this.serverNow() });
    if (method === 'POST' && pathname === '/v1/recordings') {
      this.recordingStatus = 'recording';
      return json(201, this.#recordingInfo('rec1'));
    }
    const pauses = /^\/v1\/recordings\/([^/]+)\/pauses$/.exec(pathname);
    if (method === 'POST' && pauses) {
      if (this.recordingStatus !== 'recording') {
        return json(409, { error: { code: 'recording_not_active', message: 'stopped' } });
      }
      this.pauseBodies.push(body as PauseSpan);
      return json(200, this.#recordingInfo(pauses[1] as string));
    }
    const recording = /^\/v1\/recordings\/([^/]+)(\/stop)?$/.exec(pathname);
    if (recording) return this.#recording(recording[1] as string, method, recording[2], body);
    const track = /^\/v1\/recordings\/([^/]+)\/tracks\/([^/]+)(\/[a-z]+)?$/.exec(pathname);
    if (!track) return json(404, { error: { code: 'not_found', message: pathname } });
    const [, , trackId, action] = track;
    if (method === 'PUT' && !action) {
      if (this.registerScript) {
        return json(this.registerScript.status, {
          error: { code: this.registerScript.code, message: 'scripted' },
        });
      }
      const upload =
        this.uploadType === 'multipart'
          ? {
              type: 'multipart',
              partSize: this.partSize,
              minPartSize: this.minPartSize,
              maxParts: this.maxParts,
            }
          : this.resumableTarget;
      const status = this.trackStatus.get(trackId as string) ?? 'recording';
      this.trackStatus.set(trackId as string, status);
      return json(201, { track: this.#info(trackId as string, status), upload });
    }
    if (method === 'GET' && action === '/parts' && this.listParts) {
      const parts = [...this.stored]
        .sort(([a], [b]) => a - b)
        .map(([partNumber, bytes]) => ({
          partNumber,
          etag: `"etag-${partNumber}-${bytes.length}"`,
          size: bytes.length,
        }));
      return json(200, { parts });
    }
    if (method === 'POST' && action === '/parts') {
      const { partNumbers } = body as SignPartsRequest;
      this.signCalls.push(partNumbers);
      return json(200, {
        parts: partNumbers.map((n) => ({
          partNumber: n,
          url: `http://storage.test/${trackId}/${n}?signature=s`,
        })),
        expiresAt: Date.now() + 15 * 60_000,
      });
    }
    if (method === 'POST' && action === '/complete') {
      const request = body as CompleteTrackRequest;
      this.completeBodies.push(request);
      const storedBytes = this.storedBytes();
      if (storedBytes !== request.bytes) {
        return json(409, {
          error: { code: 'bytes_mismatch', message: `${storedBytes} != ${request.bytes}` },
        });
      }
      this.trackStatus.set(trackId as string, 'complete');
      return json(200, { ...this.#info(trackId as string, 'complete'), bytes: request.bytes });
    }
    if (method === 'POST' && action === '/fail') {
      this.failBodies.push(body as FailTrackRequest);
      this.trackStatus.set(trackId as string, 'failed');
      return json(200, this.#info(trackId as string, 'failed'));
    }
    return json(404, { error: { code: 'not_found', message: `${method} ${pathname}` } });
  };

  #recording(id: string, method: string, stop: string | undefined, body: unknown): Response {
    if (!this.recordingStatus) return json(404, { error: { code: 'recording_not_found', message: id } });
    if (method === 'POST' && stop) {
      this.stopBodies.push(body as StopRecordingRequest);
      this.recordingStatus = 'queued';
      return json(202, this.#recordingInfo(id));
    }
    if (method === 'GET' && !stop) return json(200, this.#recordingInfo(id));
    return json(404, { error: { code: 'not_found', message: `${method} ${id}` } });
  }

  #recordingInfo(id: string): RecordingInfo {
    return {
      id,
      roomId: 'room',
      status: this.recordingStatus ?? 'failed',
      createdAt: 1,
      format: 'webm',
      videoCodec: 'vp8',
      audioCodec: 'opus',
      layout: 'grid',
      labels: false,
      width: 1280,
      height: 720,
      fps: 30,
      pauses: [...this.pauseBodies],
      storage: { provider: 'local' },
      tracks: [...this.trackStatus].map(([trackId, status]) => this.#info(trackId, status)),
      outputs: [],
      thumbnails: [],
    };
  }

  /** Everything stored, in part order. */
  assembled(): number[] {
    return [...this.stored.entries()].sort(([a], [b]) => a - b).flatMap(([, bytes]) => [...bytes]);
  }

  async #put(pathname: string, init: RequestInit): Promise<Response> {
    const partNumber = Number(pathname.split('/').pop());
    this.putAttempts.set(partNumber, (this.putAttempts.get(partNumber) ?? 0) + 1);
    this.inFlightPuts++;
    this.maxInFlightPuts = Math.max(this.maxInFlightPuts, this.inFlightPuts);
    try {
      if (this.putDelayMs > 0) await new Promise((resolve) => setTimeout(resolve, this.putDelayMs));
      const script = this.putScripts.get(partNumber)?.shift();
      if (script === 'network') throw new TypeError('Failed to fetch');
      if (script) {
        return json(script.status, {
          error: { code: script.code ?? `http_${script.status}`, message: script.message ?? 'scripted' },
        });
      }
      this.putBodyTypes.add(init.body?.constructor.name ?? 'none');
      const bytes = new Uint8Array(await new Response(init.body).arrayBuffer());
      this.stored.set(partNumber, bytes);
      return new Response(null, { status: 200, headers: { ETag: `"etag-${partNumber}-${bytes.length}"` } });
    } finally {
      this.inFlightPuts--;
    }
  }

  #info(trackId: string, status: TrackInfo['status']): TrackInfo {
    return {
      id: trackId,
      participantId: 'alice',
      displayName: 'Alice',
      kind: 'video',
      mimeType: 'video/webm;codecs=vp8',
      startedAt: 1,
      status,
    };
  }
}
