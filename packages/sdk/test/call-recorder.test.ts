import { afterEach, describe, expect, it, vi } from 'vitest';
import type { FetchLike } from '../src/api-client.js';
import { CallRecorder } from '../src/call-recorder.js';
import { MemoryChunkJournal } from '../src/chunk-journal.js';
import type { EventSourceLike } from '../src/completion.js';
import { InvalidStateError, RecordingFailedError } from '../src/errors.js';
import type { RecorderEventMap } from '../src/events.js';
import type { RecordingInfo, RecordingStatus } from '../src/protocol.js';
import { RECORDER_TRANSITIONS, type RecorderState, RecorderStateMachine } from '../src/recorder-state.js';

const STATES = Object.keys(RECORDER_TRANSITIONS) as RecorderState[];

describe('RecorderStateMachine', () => {
  it('walks the happy path idle → starting → recording → stopping → stopped', () => {
    const machine = new RecorderStateMachine();
    for (const next of ['starting', 'recording', 'stopping', 'stopped'] as const) machine.transition(next);
    expect(machine.state).toBe('stopped');
  });

  /** Puts a machine into `state` along allowed transitions. */
  function machineIn(state: RecorderState): RecorderStateMachine {
    const paths: Record<RecorderState, RecorderState[]> = {
      idle: [],
      starting: ['starting'],
      recording: ['starting', 'recording'],
      paused: ['starting', 'recording', 'paused'],
      stopping: ['starting', 'recording', 'stopping'],
      stopped: ['starting', 'recording', 'stopping', 'stopped'],
      failed: ['starting', 'failed'],
    };
    const machine = new RecorderStateMachine();
    for (const next of paths[state]) machine.transition(next);
    return machine;
  }

  const cases = STATES.flatMap((from) => STATES.map((to) => [from, to] as const));
  it.each(cases)('%s → %s is allowed only if listed', (from, to) => {
    const machine = machineIn(from);
    if (RECORDER_TRANSITIONS[from].includes(to)) {
      machine.transition(to);
      expect(machine.state).toBe(to);
    } else {
      expect(() => machine.transition(to, 'do it')).toThrow(InvalidStateError);
      expect(() => machine.transition(to, 'do it')).toThrow(`cannot do it while the recorder is ${from}`);
      expect(machine.state).toBe(from);
    }
  });

  it('treats stopped and failed as final', () => {
    expect(RECORDER_TRANSITIONS.stopped).toEqual([]);
    expect(RECORDER_TRANSITIONS.failed).toEqual([]);
  });
});

// ---- CallRecorder without media (tracks need a browser; the e2e suite covers them) ------------

function info(status: RecordingStatus, extra: Partial<RecordingInfo> = {}): RecordingInfo {
  return {
    id: 'rec1',
    roomId: 'room',
    status,
    createdAt: 1234,
    format: 'webm',
    videoCodec: 'vp8',
    audioCodec: 'opus',
    layout: 'grid',
    labels: false,
    width: 1280,
    height: 720,
    fps: 30,
    pauses: [],
    storage: { provider: 'local' },
    tracks: [],
    outputs: [],
    thumbnails: [],
    ...extra,
  };
}

function fakeApi(options: { startStatus?: number; infoStatus?: RecordingStatus } = {}) {
  const calls: string[] = [];
  const fetch: FetchLike = async (url, init) => {
    const { pathname, search } = new URL(url);
    if (pathname === '/v1/clock') return Response.json({ now: Date.now() });
    calls.push(`${init.method} ${pathname}${search}`);
    if (init.method === 'POST' && pathname === '/v1/recordings') {
      if (options.startStatus) {
        return Response.json(
          { error: { code: 'recording_exists', message: 'taken' } },
          { status: options.startStatus },
        );
      }
      return Response.json(info('recording'), { status: 201 });
    }
    if (init.method === 'POST' && pathname === '/v1/recordings/rec1/stop') {
      return Response.json(info('queued'), { status: 202 });
    }
    if (init.method === 'GET' && pathname === '/v1/recordings/rec1') {
      return Response.json(info(options.infoStatus ?? 'completed', { duration: 3 }));
    }
    return Response.json({ error: { code: 'not_found', message: pathname } }, { status: 404 });
  };
  return { fetch, calls };
}

const fakeTrack = { kind: 'video', readyState: 'live' } as unknown as MediaStreamTrack;

function recorder(fetch: FetchLike, extra: Partial<ConstructorParameters<typeof CallRecorder>[0]> = {}) {
  return new CallRecorder({
    serverUrl: 'http://api.test',
    token: 'tok',
    fetch,
    sleep: async () => {},
    journal: new MemoryChunkJournal(),
    ...extra,
  });
}

function collect(rec: CallRecorder, names: (keyof RecorderEventMap)[]) {
  const seen: [string, unknown][] = [];
  for (const name of names) rec.on(name, (payload) => seen.push([name, payload]));
  return seen;
}

describe('CallRecorder lifecycle', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('refuses everything but start() while idle', async () => {
    const rec = recorder(fakeApi().fetch);
    expect(rec.state).toBe('idle');
    await expect(rec.stop()).rejects.toBeInstanceOf(InvalidStateError);
    expect(() => rec.addTrack(fakeTrack, { participantId: 'alice' })).toThrow(InvalidStateError);
    await expect(rec.waitForCompletion()).rejects.toBeInstanceOf(InvalidStateError);
    expect(await rec.removeTrack(fakeTrack)).toBeUndefined();
    expect(rec.state).toBe('idle');
  });

  it('starts, emits recordingStarted and progress, stops, and cannot start again', async () => {
    vi.useFakeTimers();
    const { fetch, calls } = fakeApi();
    const rec = recorder(fetch);
    const seen = collect(rec, ['recordingStarted', 'recordingProgress']);

    const started = await rec.start({ roomId: 'room' });
    expect(started.id).toBe('rec1');
    expect(rec.state).toBe('recording');
    expect(rec.recordingId).toBe('rec1');
    await expect(rec.start({ roomId: 'room' })).rejects.toBeInstanceOf(InvalidStateError);

    vi.advanceTimersByTime(2000);
    const noProgress = { chunks: 0, participants: 0, bytes: 0, backlogBytes: 0, waitingBytes: 0 };
    expect(seen).toEqual([
      ['recordingStarted', { recordingId: 'rec1', roomId: 'room', startedAt: 1234 }],
      ['recordingProgress', { ...noProgress, recordingId: 'rec1' }],
      ['recordingProgress', { ...noProgress, recordingId: 'rec1' }],
    ]);

    const stopped = await rec.stop();
    expect(stopped.status).toBe('queued');
    expect(rec.state).toBe('stopped');
    vi.advanceTimersByTime(5000);
    expect(seen).toHaveLength(3); // no progress after stop
    expect(calls).toEqual(['POST /v1/recordings', 'POST /v1/recordings/rec1/stop']);

    await expect(rec.stop()).rejects.toBeInstanceOf(InvalidStateError);
    await expect(rec.start({ roomId: 'room' })).rejects.toBeInstanceOf(InvalidStateError);
    expect(() => rec.addTrack(fakeTrack, { participantId: 'alice' })).toThrow(InvalidStateError);
  });

  it('ends in failed when the server refuses the start', async () => {
    const rec = recorder(fakeApi({ startStatus: 409 }).fetch);
    await expect(rec.start({ roomId: 'room' })).rejects.toMatchObject({
      status: 409,
      code: 'recording_exists',
    });
    expect(rec.state).toBe('failed');
    await expect(rec.start({ roomId: 'room' })).rejects.toBeInstanceOf(InvalidStateError);
  });

  it('checks the participant id before touching the media stack', async () => {
    const rec = recorder(fakeApi().fetch);
    await rec.start({ roomId: 'room' });
    expect(() => rec.addTrack(fakeTrack, { participantId: 'has space' })).toThrow(/participantId/);
    await rec.stop();
  });
});

// ---- waitForCompletion over a fake EventSource ---------------------------------------------

class FakeEventSource implements EventSourceLike {
  static instances: FakeEventSource[] = [];
  readyState = 0;
  readonly url: string;
  readonly #listeners = new Map<string, ((event: Event) => void)[]>();

  constructor(url: string) {
    this.url = url;
    FakeEventSource.instances.push(this);
  }

  addEventListener(type: string, listener: (event: Event) => void): void {
    this.#listeners.set(type, [...(this.#listeners.get(type) ?? []), listener]);
  }

  close(): void {
    this.readyState = 2;
  }

  send(name: string, id: number, data: unknown): void {
    const event = new MessageEvent(name, { data: JSON.stringify(data), lastEventId: String(id) });
    for (const listener of this.#listeners.get(name) ?? []) listener(event);
  }

  refuse(): void {
    this.readyState = 2;
    for (const listener of this.#listeners.get('error') ?? []) listener(new Event('error'));
  }
}

const nextTick = () => new Promise((resolve) => setTimeout(resolve, 0));

describe('CallRecorder.waitForCompletion', () => {
  afterEach(() => {
    FakeEventSource.instances = [];
  });

  async function stoppedRecorder(infoStatus?: RecordingStatus) {
    const api = fakeApi(infoStatus ? { infoStatus } : {});
    const rec = recorder(api.fetch, { EventSource: FakeEventSource });
    await rec.start({ roomId: 'room' });
    await rec.stop();
    return { rec, api };
  }

  it('re-emits processing events once each and resolves with fresh info on completion', async () => {
    const { rec } = await stoppedRecorder();
    const seen = collect(rec, [
      'recordingProcessing',
      'thumbnailsGenerated',
      'recordingUploaded',
      'recordingCompleted',
      'recordingFailed',
    ]);
    const done = rec.waitForCompletion();
    expect(rec.waitForCompletion()).toBe(done);
    await nextTick();
    const source = FakeEventSource.instances[0] as FakeEventSource;
    expect(source.url).toBe('http://api.test/v1/recordings/rec1/events?token=tok');

    source.send('recordingProcessing', 1, { recordingId: 'rec1' });
    source.send('recordingProcessing', 1, { recordingId: 'rec1' }); // replayed after a reconnect
    source.send('thumbnailsGenerated', 2, { recordingId: 'rec1', count: 5 });
    source.send('recordingUploaded', 3, { recordingId: 'rec1', provider: 'local' });
    source.send('recordingCompleted', 4, {
      recordingId: 'rec1',
      outputPath: '/x',
      fileSize: 10,
      duration: 3,
    });

    const final = await done;
    expect(final).toMatchObject({ status: 'completed', duration: 3 });
    expect(seen.map(([name]) => name)).toEqual([
      'recordingProcessing',
      'thumbnailsGenerated',
      'recordingUploaded',
      'recordingCompleted',
    ]);
    expect(source.readyState).toBe(2);
  });

  it('rejects with the server code on recordingFailed', async () => {
    const { rec } = await stoppedRecorder();
    const done = rec.waitForCompletion();
    await nextTick();
    FakeEventSource.instances[0]?.send('recordingFailed', 1, {
      recordingId: 'rec1',
      error: { code: 'no_media', message: 'no complete track' },
    });
    const error = await done.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RecordingFailedError);
    expect(error).toMatchObject({ code: 'no_media', recordingId: 'rec1' });
  });

  it('reopens a refused stream while the recording is still processing', async () => {
    const { rec, api } = await stoppedRecorder('processing');
    const done = rec.waitForCompletion();
    await nextTick();
    FakeEventSource.instances[0]?.refuse();
    await vi.waitFor(() => expect(FakeEventSource.instances).toHaveLength(2));
    expect(api.calls).toContain('GET /v1/recordings/rec1');
    FakeEventSource.instances[1]?.send('recordingCompleted', 9, {
      recordingId: 'rec1',
      outputPath: '/x',
      fileSize: 1,
      duration: 1,
    });
    await expect(done).resolves.toMatchObject({ id: 'rec1' });
  });

  it('resolves from the REST API when the stream is refused after completion', async () => {
    const { rec } = await stoppedRecorder('completed');
    const done = rec.waitForCompletion();
    await nextTick();
    FakeEventSource.instances[0]?.refuse();
    await expect(done).resolves.toMatchObject({ status: 'completed' });
    expect(FakeEventSource.instances).toHaveLength(1);
  });
});
