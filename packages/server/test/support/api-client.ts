import type {
  CompletedPart,
  ListPartsResponse,
  RecordingInfo,
  SignPartsResponse,
  TrackInfo,
} from '@callrec/sdk/protocol';

/** A part's slice of a track: parts are `partSize` bytes, numbered from 1. */
export function slice(bytes: Uint8Array, partNumber: number, partSize: number): Uint8Array {
  return bytes.subarray((partNumber - 1) * partSize, partNumber * partSize);
}

export function partCount(bytes: Uint8Array, partSize: number): number {
  return Math.ceil(bytes.length / partSize);
}

/** The HTTP API over real sockets, for one recording; every call throws on an unexpected status. */
export class ApiClient {
  constructor(
    readonly baseUrl: string,
    readonly id: string,
    readonly token: string,
  ) {}

  async call<T>(method: string, path: string, json?: unknown, expected = [200, 201, 202]): Promise<T> {
    const res = await fetch(`${this.baseUrl}/v1${path}`, {
      method,
      headers: {
        authorization: `Bearer ${this.token}`,
        ...(json === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: json === undefined ? undefined : JSON.stringify(json),
    });
    const body = res.status === 204 ? undefined : await res.json();
    if (!expected.includes(res.status)) {
      throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(body)}`);
    }
    return body as T;
  }

  create(roomId = 'room'): Promise<RecordingInfo> {
    return this.call('POST', '/recordings', { roomId });
  }

  get(): Promise<RecordingInfo> {
    return this.call('GET', `/recordings/${this.id}`);
  }

  register(trackId: string, kind: 'audio' | 'video', participantId = 'alice', startedAt = Date.now()) {
    const mimeType = kind === 'video' ? 'video/webm;codecs=vp8' : 'audio/webm;codecs=opus';
    const body = { participantId, displayName: participantId, kind, mimeType, startedAt };
    return this.call('PUT', this.#track(trackId), body);
  }

  async sign(trackId: string, partNumbers: number[]): Promise<Map<number, string>> {
    const res = await this.call<SignPartsResponse>('POST', `${this.#track(trackId)}/parts`, { partNumbers });
    return new Map(res.parts.map((p) => [p.partNumber, p.url]));
  }

  listParts(trackId: string): Promise<ListPartsResponse> {
    return this.call('GET', `${this.#track(trackId)}/parts`);
  }

  complete(trackId: string, parts: CompletedPart[], bytes: number): Promise<TrackInfo> {
    return this.call('POST', `${this.#track(trackId)}/complete`, { parts, bytes, endedAt: Date.now() });
  }

  stop(): Promise<RecordingInfo> {
    return this.call('POST', `/recordings/${this.id}/stop`, {});
  }

  #track(trackId: string): string {
    return `/recordings/${this.id}/tracks/${trackId}`;
  }
}

/** PUTs one part to its signed URL; returns the ETag the server answered with. */
export async function putPart(url: string, bytes: Uint8Array): Promise<string> {
  const res = await fetch(url, { method: 'PUT', body: bytes });
  if (res.status !== 200) throw new Error(`PUT part: ${res.status} ${await res.text()}`);
  await res.arrayBuffer();
  const etag = res.headers.get('etag');
  if (!etag) throw new Error('PUT part: no ETag');
  return etag;
}
