import { describe, expect, it, vi } from 'vitest';
import { RecordingClient } from '../src/api-client.js';
import type { CompleteTrackRequest, RegisterTrackResponse } from '../src/protocol.js';
import { committedBytes, ResumableUpload } from '../src/resumable-upload.js';
import type { RetryOptions } from '../src/retry.js';
import { TrackUpload, type TrackUploadApi } from '../src/track-upload.js';
import type { UploadSinkResume } from '../src/upload-sink.js';
import { type ChunkFault, FakeGcsSession } from './fake-gcs-session.js';

const retry: RetryOptions = { sleep: async () => {}, random: () => 0 };

interface SetupOptions {
  multiple?: number;
  chunkSize?: number;
  faults?: ChunkFault[];
  resume?: UploadSinkResume;
}

function setup(options: SetupOptions = {}) {
  const session = new FakeGcsSession(options.multiple ?? 4);
  session.faults.push(...(options.faults ?? []));
  const client = new RecordingClient({
    serverUrl: 'http://api.test',
    token: 't',
    fetch: session.fetch,
    retry,
  });
  const errors: unknown[] = [];
  let uploaded = 0;
  const journal: number[] = [];
  const sink = new ResumableUpload({
    url: session.url,
    chunkSize: options.chunkSize ?? 8,
    chunkMultiple: 4,
    read: async (start, end) => new Blob([Uint8Array.from(journal.slice(start, end))]),
    ...(options.resume ? { resume: options.resume } : {}),
    putChunk: (url, body, range) => client.putChunk(url, body, range),
    retry,
    onPartUploaded: (part) => {
      uploaded += part.size;
    },
    onError: (error) => errors.push(error),
  });
  /** Journals chunks of `sizes` whose bytes count up, and tells the sink; returns every byte. */
  const push = (sizes: number[]): number[] => {
    for (const size of sizes) {
      journal.push(...Array.from({ length: size }, (_, i) => (journal.length + i) % 256));
      sink.append(size);
    }
    return [...journal];
  };
  return { session, sink, push, journal, errors, uploaded: () => uploaded };
}

/** Pushes chunks of `sizes` whose bytes count up into a track upload; returns every byte pushed. */
function pushBlobs(upload: TrackUpload, sizes: number[]): number[] {
  const all: number[] = [];
  for (const size of sizes) {
    const bytes = Uint8Array.from({ length: size }, (_, i) => (all.length + i) % 256);
    all.push(...bytes);
    upload.push(new Blob([bytes]));
  }
  return all;
}

describe('ResumableUpload', () => {
  it('PUTs ordered chunks with Content-Range, 308 for each but the last, the total on the last', async () => {
    const { session, sink, push, errors, uploaded } = setup();
    const sent = push([1, 5, 3, 9, 2]);
    expect(await sink.finish()).toEqual([{ partNumber: 1, etag: '"gcs-etag"' }]);
    expect(session.bytes()).toEqual(sent);
    expect(session.requests).toEqual([
      { contentRange: 'bytes 0-7/*', bytes: 8, status: 308 },
      { contentRange: 'bytes 8-15/*', bytes: 8, status: 308 },
      { contentRange: 'bytes 16-19/20', bytes: 4, status: 200 },
    ]);
    expect(uploaded()).toBe(20);
    expect(errors).toEqual([]);
    // Bytes, never the journal's Blob (Chromium would keep its file on disk).
    expect(session.bodyTypes).toEqual(new Set(['ArrayBuffer']));
  });

  it('finalizes with an empty request when the track ends on a chunk boundary', async () => {
    const { session, sink, push } = setup();
    const sent = push([16]);
    // Both chunks went up before the recorder stopped, so no bytes are left for a final chunk.
    await vi.waitFor(() => expect(session.requests).toHaveLength(2));
    await sink.finish();
    expect(session.bytes()).toEqual(sent);
    expect(session.requests.map((r) => [r.contentRange, r.status])).toEqual([
      ['bytes 0-7/*', 308],
      ['bytes 8-15/*', 308],
      ['bytes */16', 200],
    ]);
  });

  it('resumes after a dropped response from the offset storage reports, sending nothing twice', async () => {
    const { session, sink, push, errors } = setup({ faults: ['drop-response'] });
    const sent = push([20]);
    await sink.finish();
    expect(session.bytes()).toEqual(sent);
    expect(session.requests.map((r) => [r.contentRange, r.status])).toEqual([
      ['bytes 0-7/*', 'dropped'],
      ['bytes */*', 308],
      ['bytes 8-15/*', 308],
      ['bytes 16-19/20', 200],
    ]);
    expect(errors).toEqual([]);
  });

  it('re-sends the retained chunk after a 503, and the rest of it after a partial commit', async () => {
    const { session, sink, push } = setup({ faults: ['unavailable', 'partial'] });
    const sent = push([12]);
    await sink.finish();
    expect(session.bytes()).toEqual(sent);
    expect(session.requests.map((r) => [r.contentRange, r.status])).toEqual([
      ['bytes 0-7/*', 503],
      ['bytes */*', 308],
      ['bytes 0-7/*', 308],
      ['bytes 4-7/*', 308],
      ['bytes 8-11/12', 200],
    ]);
    // The rest of a partly committed chunk is sent as bytes too.
    expect(session.bodyTypes).toEqual(new Set(['ArrayBuffer']));
  });

  it('carries on when storage refuses a replay of bytes it already committed', async () => {
    const { session, sink, push, errors } = setup({ faults: ['replayed'] });
    const sent = push([12]);
    await sink.finish();
    expect(session.bytes()).toEqual(sent);
    expect(session.requests.map((r) => [r.contentRange, r.status])).toEqual([
      ['bytes 0-7/*', 400],
      ['bytes */*', 308],
      ['bytes 8-11/12', 200],
    ]);
    expect(errors).toEqual([]);
  });

  it('resumes a dropped final chunk by asking with the total, which finalizes', async () => {
    const { session, sink, push } = setup({ faults: ['drop-response'] });
    const sent = push([5]);
    expect(await sink.finish()).toEqual([{ partNumber: 1, etag: '"gcs-etag"' }]);
    expect(session.bytes()).toEqual(sent);
    expect(session.requests.map((r) => [r.contentRange, r.status])).toEqual([
      ['bytes 0-4/5', 'dropped'],
      ['bytes */5', 200],
    ]);
  });

  it('fails once, without retrying the chunk, when storage refuses a chunk that is not a multiple', async () => {
    // The server promised 4-byte multiples, but storage wants 8: its 400 is final.
    const { session, sink, push, errors } = setup({ multiple: 8, chunkSize: 12 });
    push([30]);
    await expect(sink.finish()).rejects.toMatchObject({ status: 400, code: 'http_400' });
    // One status query checks that the 400 was not a replay of bytes already stored.
    expect(session.requests).toEqual([
      { contentRange: 'bytes 0-11/*', bytes: 12, status: 400 },
      { contentRange: 'bytes */*', bytes: 0, status: 308 },
    ]);
    expect(errors).toHaveLength(1);
  });

  it('refuses a target whose chunk size is not a multiple of chunkMultiple', () => {
    expect(() => setup({ chunkSize: 6 })).toThrow(expect.objectContaining({ code: 'invalid_upload_target' }));
  });

  it('sends nothing for an empty track', async () => {
    const { session, sink } = setup();
    expect(await sink.finish()).toEqual([]);
    expect(session.requests).toEqual([]);
  });

  it('reads the committed offset from Range', () => {
    expect(committedBytes(null)).toBe(0);
    expect(committedBytes('bytes=0-262143')).toBe(262_144);
    expect(() => committedBytes('bytes=5-9')).toThrow(/unexpected Range/);
  });
});

describe('TrackUpload with a resumable target', () => {
  it('uploads through the session and completes the track with one synthetic part', async () => {
    const session = new FakeGcsSession(4);
    const client = new RecordingClient({
      serverUrl: 'http://api.test',
      token: 't',
      fetch: session.fetch,
      retry,
    });
    const completes: CompleteTrackRequest[] = [];
    const register: RegisterTrackResponse = {
      track: {
        id: 'v1',
        participantId: 'a',
        displayName: 'A',
        kind: 'video',
        mimeType: 'video/webm',
        startedAt: 1,
        status: 'recording',
      },
      upload: { type: 'resumable', url: session.url, chunkSize: 8, chunkMultiple: 4 },
    };
    const api: TrackUploadApi = {
      registerTrack: async () => register,
      signParts: async () => {
        throw new Error('a resumable upload signs no parts');
      },
      putPart: async () => {
        throw new Error('a resumable upload puts no parts');
      },
      putChunk: (url, body, range) => client.putChunk(url, body, range),
      completeTrack: async (_id, _trackId, body) => {
        completes.push(body);
        return { ...register.track, status: 'complete', bytes: body.bytes };
      },
      failTrack: async () => ({ ...register.track, status: 'failed' }),
    };
    const upload = new TrackUpload({
      api,
      recordingId: 'r',
      trackId: 'v1',
      participantId: 'a',
      displayName: 'A',
      kind: 'video',
      mimeType: 'video/webm',
      retry,
    });
    upload.begin(1);
    const sent = pushBlobs(upload, [3, 10, 6]);
    await upload.finish(2);
    expect(session.bytes()).toEqual(sent);
    expect(completes).toEqual([{ parts: [{ partNumber: 1, etag: '"gcs-etag"' }], bytes: 19, endedAt: 2 }]);
    expect(upload.stats).toMatchObject({ recordedBytes: 19, uploadedBytes: 19 });
  });
});
