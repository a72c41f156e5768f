import type { FetchLike } from '../src/api-client.js';

/** A scripted fault for the next chunk PUT that carries bytes. */
export type ChunkFault =
  /** Storage commits the bytes, but the response never arrives. */
  | 'drop-response'
  /** Storage answers 503 and keeps nothing. */
  | 'unavailable'
  /** Storage keeps only the first `multiple` bytes and answers 308 (Google allows this). */
  | 'partial'
  /** The bytes arrive twice (a browser replayed the request): kept once, the replay refused. */
  | 'replayed';

export interface SessionRequest {
  contentRange: string;
  bytes: number;
  status: number | 'dropped';
}

/**
 * One resumable upload session in memory, following Google's documented protocol: chunks are
 * appended at the committed offset, non-final chunks must be multiples of `multiple`, 308 with
 * `Range: bytes=0-N` while open, 200 with the object's metadata once the total is reached.
 */
export class FakeGcsSession {
  readonly url = 'http://storage.test/upload?upload_id=s1';
  /** The type of every non-empty chunk body PUT (`ArrayBuffer`, `Blob`, ...). */
  readonly bodyTypes = new Set<string>();
  readonly requests: SessionRequest[] = [];
  readonly faults: ChunkFault[] = [];
  #stored: Uint8Array[] = [];
  #committed = 0;
  #total: number | undefined;

  constructor(readonly multiple: number) {}

  get finalized(): boolean {
    return this.#total !== undefined;
  }

  bytes(): number[] {
    return this.#stored.flatMap((chunk) => [...chunk]);
  }

  readonly fetch: FetchLike = async (url, init) => {
    if (url !== this.url || init.method !== 'PUT') return new Response('not found', { status: 404 });
    const contentRange = new Headers(init.headers).get('Content-Range') ?? '';
    if (init.body) this.bodyTypes.add(init.body.constructor.name);
    const body = init.body ? new Uint8Array(await new Response(init.body).arrayBuffer()) : new Uint8Array();
    const fault = body.length > 0 ? this.faults.shift() : undefined;
    const response = this.#handle(contentRange, body, fault);
    this.requests.push({
      contentRange,
      bytes: body.length,
      status: fault === 'drop-response' ? 'dropped' : response.status,
    });
    if (fault === 'drop-response') throw new TypeError('Failed to fetch');
    return response;
  };

  #handle(contentRange: string, body: Uint8Array, fault: ChunkFault | undefined): Response {
    const match = /^bytes (\*|(\d+)-(\d+))\/(\*|\d+)$/.exec(contentRange);
    if (!match) return text(400, `bad Content-Range ${contentRange}`);
    const total = match[4] === '*' ? undefined : Number(match[4]);
    if (this.#total !== undefined) return this.#object();
    if (match[1] === '*') {
      if (body.length > 0) return text(400, 'a status query carries no body');
      if (total !== undefined && total === this.#committed) return this.#finalize(total);
      return this.#incomplete();
    }
    const [first, last] = [Number(match[2]), Number(match[3])];
    if (last - first + 1 !== body.length) return text(400, 'Content-Range does not match the body');
    if (first !== this.#committed) return text(400, `expected the chunk at byte ${this.#committed}`);
    const final = total !== undefined && last + 1 === total;
    if (!final && body.length % this.multiple !== 0) {
      return text(400, `non-final chunks must be a multiple of ${this.multiple} bytes`);
    }
    if (fault === 'unavailable') return text(503, 'backend error');
    const kept = fault === 'partial' && !final ? body.slice(0, this.multiple) : body;
    this.#stored.push(kept);
    this.#committed += kept.length;
    if (fault === 'replayed') return text(400, `expected the chunk at byte ${this.#committed}`);
    return final && kept.length === body.length ? this.#finalize(this.#committed) : this.#incomplete();
  }

  #incomplete(): Response {
    const headers = this.#committed > 0 ? { Range: `bytes=0-${this.#committed - 1}` } : undefined;
    return new Response(null, { status: 308, headers });
  }

  #finalize(total: number): Response {
    this.#total = total;
    return this.#object();
  }

  #object(): Response {
    return new Response(JSON.stringify({ size: String(this.#total) }), {
      status: 200,
      headers: { ETag: '"gcs-etag"', 'Content-Type': 'application/json' },
    });
  }
}

function text(status: number, message: string): Response {
  return new Response(message, { status });
}
