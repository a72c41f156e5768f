import { createHash, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A loopback endpoint that follows Google's documented resumable upload protocol
 * (cloud.google.com/storage/docs/performing-resumable-uploads), for what the Firebase emulator
 * lacks: sessions are opened with `POST /upload/storage/v1/b/<bucket>/o?uploadType=resumable`,
 * chunks are appended at the committed offset, every non-final chunk must be a multiple of
 * 256 KiB (400 otherwise), 308 carries `Range: bytes=0-N`, an empty PUT with `bytes * /<total|*>`
 * asks for the status, the total finalizes, DELETE cancels (499). CORS is scoped to the origin the
 * session was opened with. Finalized objects answer `GET /storage/v1/b/<bucket>/o/<name>`.
 * Everything is kept in memory: tests upload a few MiB.
 */

export const CHUNK_MULTIPLE = 256 * 1024;

interface Session {
  bucket: string;
  name: string;
  origin: string | undefined;
  contentType: string;
  chunks: Buffer[];
  committed: number;
  state: 'open' | 'final' | 'cancelled';
}

export interface LoggedRequest {
  method: string;
  contentRange: string | null;
  bytes: number;
  status: number | 'dropped';
}

export class ResumableServer {
  readonly requests: LoggedRequest[] = [];
  readonly #sessions = new Map<string, Session>();
  /** The next chunk PUT that carries bytes is committed, then its connection is cut before the answer. */
  dropNextResponse = false;
  #server = createServer((req, res) => {
    this.#route(req, res).catch((err: unknown) => {
      console.error('resumable test server failed', err);
      res.destroy(err as Error);
    });
  });
  url = '';

  async start(): Promise<this> {
    await new Promise<void>((resolve, reject) => {
      this.#server.once('error', reject);
      this.#server.listen(0, '127.0.0.1', resolve);
    });
    this.url = `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
    return this;
  }

  async stop(): Promise<void> {
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  /** The stored bytes of a finalized object. */
  object(bucket: string, name: string): Buffer | undefined {
    const session = [...this.#sessions.values()].find(
      (s) => s.state === 'final' && s.bucket === bucket && s.name === name,
    );
    return session ? Buffer.concat(session.chunks) : undefined;
  }

  async #route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', this.url);
    const body = await readBody(req);
    const uploadId = url.searchParams.get('upload_id');
    const session = uploadId ? this.#sessions.get(uploadId) : undefined;
    const object = /^\/storage\/v1\/b\/([^/]+)\/o\/([^/]+)$/.exec(url.pathname);
    const bucket = /^\/upload\/storage\/v1\/b\/([^/]+)\/o$/.exec(url.pathname)?.[1];
    let reply: Reply;
    if (req.method === 'POST' && bucket && url.searchParams.get('uploadType') === 'resumable' && !uploadId) {
      reply = this.#open(req, url, bucket, body);
    } else if (session) {
      reply = this.#onSession(req, session, body, res);
    } else if (req.method === 'GET' && object) {
      reply = this.#metadata(object[1] ?? '', decodeURIComponent(object[2] ?? ''));
    } else {
      reply = error(404, `No route or session for ${req.method} ${url.pathname}`);
    }
    if (reply === 'drop') {
      res.socket?.destroy();
      return;
    }
    const text = reply.payload === undefined ? '' : JSON.stringify(reply.payload);
    const type: Record<string, string> = text ? { 'Content-Type': 'application/json; charset=UTF-8' } : {};
    res.writeHead(reply.status, {
      ...reply.headers,
      ...type,
      'Content-Length': String(Buffer.byteLength(text)),
    });
    res.end(text);
  }

  #open(req: IncomingMessage, url: URL, bucket: string, body: Buffer): Reply {
    const meta =
      body.length > 0 ? (JSON.parse(body.toString()) as { name?: string; contentType?: string }) : {};
    const name = url.searchParams.get('name') ?? meta.name;
    if (!name) return error(400, 'object name missing');
    const id = randomUUID();
    const contentType =
      req.headers['x-upload-content-type']?.toString() ?? meta.contentType ?? 'application/octet-stream';
    const origin = req.headers.origin;
    this.#sessions.set(id, { bucket, name, origin, contentType, chunks: [], committed: 0, state: 'open' });
    const location = new URL(`/upload/storage/v1/b/${bucket}/o`, this.url);
    location.search = new URLSearchParams({ uploadType: 'resumable', name, upload_id: id }).toString();
    return { status: 200, headers: { Location: location.toString() } };
  }

  /** CORS headers go on the response only for the origin the session was opened with. */
  #onSession(req: IncomingMessage, s: Session, body: Buffer, res: ServerResponse): Reply {
    const origin = req.headers.origin;
    res.setHeader('Vary', 'Origin');
    if (origin && origin === s.origin) {
      res.setHeader('Access-Control-Allow-Origin', origin);
      res.setHeader('Access-Control-Expose-Headers', 'Range, ETag');
    }
    if (req.method === 'OPTIONS') {
      if (origin && origin === s.origin) {
        res.setHeader('Access-Control-Allow-Methods', 'PUT, DELETE');
        res.setHeader('Access-Control-Allow-Headers', 'Content-Range, Content-Type');
      }
      return { status: 204 };
    }
    const contentRange = req.headers['content-range'] ?? null;
    const log: LoggedRequest = { method: req.method ?? '', contentRange, bytes: body.length, status: 0 };
    this.requests.push(log);
    const reply = this.#answer(req.method ?? '', s, contentRange, body);
    log.status = reply === 'drop' ? 'dropped' : reply.status;
    return reply;
  }

  #answer(method: string, s: Session, contentRange: string | null, body: Buffer): Reply {
    if (s.state === 'cancelled') return error(404, 'upload session not found');
    if (method === 'DELETE') {
      s.state = 'cancelled';
      return { status: 499 };
    }
    if (method !== 'PUT') return error(405, 'method not allowed');
    if (s.state === 'final') return { status: 200, payload: metadata(s) };
    const range = /^bytes (\*|(\d+)-(\d+))\/(\*|\d+)$/.exec(contentRange ?? '');
    if (!range) return error(400, `invalid Content-Range ${contentRange}`);
    const total = range[4] === '*' ? undefined : Number(range[4]);
    if (range[1] === '*') {
      if (body.length > 0) return error(400, 'a status request has no body');
      return total !== undefined && total === s.committed ? finalize(s) : incomplete(s);
    }
    const [first, last] = [Number(range[2]), Number(range[3])];
    if (last - first + 1 !== body.length) return error(400, 'Content-Range does not match the request body');
    if (first !== s.committed) return error(400, `chunk starts at ${first}, ${s.committed} bytes committed`);
    const final = total !== undefined && last + 1 === total;
    if (!final && body.length % CHUNK_MULTIPLE !== 0) {
      return error(
        400,
        `Invalid request. The number of bytes uploaded is required to be a multiple of ${CHUNK_MULTIPLE} bytes, except for the final request. Received ${body.length} bytes.`,
      );
    }
    s.chunks.push(body);
    s.committed += body.length;
    const reply = final ? finalize(s) : incomplete(s);
    if (!this.dropNextResponse) return reply;
    this.dropNextResponse = false;
    return 'drop';
  }

  #metadata(bucket: string, name: string): Reply {
    const s = [...this.#sessions.values()].find(
      (x) => x.state === 'final' && x.bucket === bucket && x.name === name,
    );
    return s ? { status: 200, payload: metadata(s) } : error(404, `No such object: ${bucket}/${name}`);
  }
}

/** An answer to write, or `drop`: cut the connection without answering (the bytes were kept). */
type Reply = { status: number; payload?: unknown; headers?: Record<string, string> } | 'drop';

function error(status: number, message: string): Reply {
  return { status, payload: { error: { code: status, message, errors: [{ message, reason: 'invalid' }] } } };
}

function incomplete(s: Session): Reply {
  return { status: 308, headers: s.committed > 0 ? { Range: `bytes=0-${s.committed - 1}` } : {} };
}

function finalize(s: Session): Reply {
  s.state = 'final';
  return { status: 200, payload: metadata(s) };
}

function metadata(s: Session) {
  const bytes = Buffer.concat(s.chunks);
  const md5 = createHash('md5').update(bytes).digest('base64');
  return {
    kind: 'storage#object',
    bucket: s.bucket,
    name: s.name,
    size: String(bytes.length),
    contentType: s.contentType,
    md5Hash: md5,
    etag: md5,
  };
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}
