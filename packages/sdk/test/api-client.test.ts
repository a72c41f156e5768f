import { describe, expect, it } from 'vitest';
import { type FetchLike, RecordingClient } from '../src/api-client.js';
import { RecordingApiError } from '../src/errors.js';

const noWait = { sleep: async () => {}, random: () => 0 };

function recordingFetch(
  answer: (url: string, init: RequestInit, call: number) => Response | Promise<Response>,
) {
  const calls: { url: string; method: string; auth: string | null; body: unknown }[] = [];
  const fetch: FetchLike = async (url, init) => {
    const headers = new Headers(init.headers);
    calls.push({
      url,
      method: init.method ?? 'GET',
      auth: headers.get('Authorization'),
      body: typeof init.body === 'string' ? JSON.parse(init.body) : init.body,
    });
    return answer(url, init, calls.length);
  };
  return { fetch, calls };
}

describe('RecordingClient', () => {
  it('speaks the HTTP API: paths, methods, bodies, bearer token', async () => {
    const { fetch, calls } = recordingFetch((url) => {
      if (url.endsWith('/v1/recordings/r1') && calls.at(-1)?.method === 'DELETE')
        return new Response(null, { status: 204 });
      if (url.endsWith('/v1/recordings')) return Response.json({ recordings: [{ id: 'r1' }] });
      if (url.endsWith('/v1/cleanup')) return Response.json({ deleted: ['old'] });
      return Response.json({ id: 'r1' });
    });
    const client = new RecordingClient({ serverUrl: 'http://host:8787/', token: 'tok', fetch });

    expect(await client.listRecordings()).toEqual([{ id: 'r1' }]);
    expect(await client.getRecordingInfo('r1')).toEqual({ id: 'r1' });
    expect(await client.deleteRecording('r1')).toBeUndefined();
    expect(await client.cleanupOldRecordings(86_400_000)).toEqual(['old']);
    await client.stopRecording('r1', { stoppedAt: 5 });
    expect(calls.map((c) => `${c.method} ${c.url}`)).toEqual([
      'GET http://host:8787/v1/recordings',
      'GET http://host:8787/v1/recordings/r1',
      'DELETE http://host:8787/v1/recordings/r1',
      'POST http://host:8787/v1/cleanup',
      'POST http://host:8787/v1/recordings/r1/stop',
    ]);
    expect(calls[3]?.body).toEqual({ olderThanMs: 86_400_000 });
    expect(calls.every((c) => c.auth === 'Bearer tok')).toBe(true);
    expect(await client.eventsUrl('r1')).toBe('http://host:8787/v1/recordings/r1/events?token=tok');
  });

  it('turns the server error body into a typed RecordingApiError', async () => {
    const { fetch } = recordingFetch(() =>
      Response.json(
        { error: { code: 'recording_not_found', message: 'no such recording' } },
        { status: 404 },
      ),
    );
    const client = new RecordingClient({ serverUrl: 'http://h', token: 't', fetch });
    const error = await client.getRecordingInfo('nope').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RecordingApiError);
    expect(error).toMatchObject({ status: 404, code: 'recording_not_found', message: 'no such recording' });
  });

  it('reads S3-style XML errors from storage and requires a readable ETag', async () => {
    const xml =
      '<?xml version="1.0"?><Error><Code>SignatureDoesNotMatch</Code><Message>bad sig</Message></Error>';
    const { fetch } = recordingFetch((_url, _init, call) =>
      call === 1 ? new Response(xml, { status: 400 }) : new Response(null, { status: 200 }),
    );
    const client = new RecordingClient({ serverUrl: 'http://h', token: 't', fetch });
    const part = { partNumber: 1, url: 'http://bucket/key?X-Amz-Signature=secret' };
    await expect(client.putPart(part, new TextEncoder().encode('x').buffer)).rejects.toMatchObject({
      status: 400,
      code: 'SignatureDoesNotMatch',
      message: 'bad sig',
    });
    await expect(client.putPart(part, new TextEncoder().encode('x').buffer)).rejects.toMatchObject({
      code: 'missing_etag',
    });
  });

  it('times an upload out, and lets go of its timer (and body) once the PUT answered', async () => {
    const signals: AbortSignal[] = [];
    let hang = true;
    const fetch: FetchLike = (_url, init) => {
      const signal = init.signal as AbortSignal;
      signals.push(signal);
      if (!hang) return Promise.resolve(new Response(null, { status: 200, headers: { ETag: '"e"' } }));
      return new Promise((_, reject) => signal.addEventListener('abort', () => reject(signal.reason)));
    };
    const client = new RecordingClient({ serverUrl: 'http://h', token: 't', fetch, uploadTimeoutMs: 20 });
    const part = { partNumber: 1, url: 'http://bucket/key' };
    const body = new TextEncoder().encode('x').buffer;
    await expect(client.putPart(part, body)).rejects.toMatchObject({ status: 0, code: 'timeout' });
    hang = false;
    expect(await client.putPart(part, body)).toBe('"e"');
    await new Promise((resolve) => setTimeout(resolve, 60));
    // The answered PUT's signal never fired: its timer was cleared.
    expect(signals.map((s) => s.aborted)).toEqual([true, false]);
  });

  it('maps a failed fetch to status 0 without leaking the signed query', async () => {
    const fetch: FetchLike = async () => {
      throw new TypeError('Failed to fetch');
    };
    const client = new RecordingClient({ serverUrl: 'http://h', token: 't', fetch });
    const error = await client
      .putPart(
        { partNumber: 1, url: 'http://bucket/key?X-Amz-Signature=secret' },
        new TextEncoder().encode('x').buffer,
      )
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ status: 0, code: 'network_error' });
    expect((error as Error).message).not.toContain('secret');
  });

  it('retries 5xx and asks the token provider again after a 401', async () => {
    let tokens = 0;
    const { fetch, calls } = recordingFetch((_url, _init, call) => {
      if (call === 1) return new Response('busy', { status: 503 });
      if (call === 2)
        return Response.json({ error: { code: 'token_expired', message: 'expired' } }, { status: 401 });
      return Response.json({ id: 'r1' });
    });
    const client = new RecordingClient({
      serverUrl: 'http://h',
      token: async () => `token-${++tokens}`,
      fetch,
      retry: noWait,
    });
    await client.getRecordingInfo('r1');
    expect(calls.map((c) => c.auth)).toEqual(['Bearer token-1', 'Bearer token-1', 'Bearer token-2']);
  });

  it('does not retry a fixed token that was refused', async () => {
    const { fetch, calls } = recordingFetch(() =>
      Response.json({ error: { code: 'forbidden', message: 'not yours' } }, { status: 403 }),
    );
    const client = new RecordingClient({ serverUrl: 'http://h', token: 'fixed', fetch, retry: noWait });
    await expect(client.getRecordingInfo('r1')).rejects.toMatchObject({ status: 403, code: 'forbidden' });
    expect(calls).toHaveLength(1);
  });
});
