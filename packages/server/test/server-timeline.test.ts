import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { RecordingInfo } from '@callrec/sdk/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../src/config.js';
import type { ProcessingJob } from '../src/processing/job.js';
import {
  partBytes,
  registerBody,
  removeDir,
  SECRET,
  startServer,
  type TestServer,
  tokenFor,
} from './support/server-app.js';

// One timeline per recording: the server's clock, pause spans, and the composite settings each
// recording chooses (defaults from the env), all the way into the processing job.

const servers: TestServer[] = [];
const dirs: string[] = [];
/** Jobs handed to processing; processing itself is not run here. */
let jobs: ProcessingJob[] = [];
const capture = (job: ProcessingJob, { signal }: { signal?: AbortSignal }) =>
  new Promise<never>((_, reject) => {
    jobs.push(job);
    signal?.addEventListener('abort', () => reject(new Error('aborted by shutdown')));
  });

async function start(options: Parameters<typeof startServer>[0] = {}) {
  const server = await startServer({ processRecording: capture, ...options });
  servers.push(server);
  if (!dirs.includes(server.dir)) dirs.push(server.dir);
  return server;
}

afterEach(async () => {
  jobs = [];
  for (const server of servers.splice(0)) {
    await server.close();
    expect(server.logger.errors).toEqual([]);
  }
  for (const dir of dirs.splice(0)) await removeDir(dir);
});

const waitFor = async (check: () => boolean) => {
  for (let i = 0; i < 200 && !check(); i++) await new Promise((r) => setTimeout(r, 10));
  expect(check()).toBe(true);
};

async function create(server: TestServer, id: string, body: Record<string, unknown> = {}) {
  return server.request('POST', '/v1/recordings', { token: tokenFor(id), json: { roomId: 'room', ...body } });
}

/** Registers track `trackId` with `extra` fields, uploads one part and completes it. */
async function completeTrack(server: TestServer, id: string, trackId: string, extra = {}) {
  const token = tokenFor(id);
  const path = `/v1/recordings/${id}/tracks/${trackId}`;
  const registered = await server.request('PUT', path, {
    token,
    json: { ...registerBody(trackId), ...extra },
  });
  expect(registered.status).toBe(201);
  const signed = await (
    await server.request('POST', `${path}/parts`, { token, json: { partNumbers: [1] } })
  ).json();
  const put = await server.request('PUT', signed.parts[0].url, { body: partBytes(1, 1500) });
  const parts = [{ partNumber: 1, etag: put.headers.get('etag') }];
  const done = await server.request('POST', `${path}/complete`, {
    token,
    json: { parts, bytes: 1500, endedAt: Date.now() },
  });
  expect(done.status).toBe(200);
}

async function info(server: TestServer, id: string): Promise<RecordingInfo> {
  return (await server.request('GET', `/v1/recordings/${id}`, { token: tokenFor(id) })).json();
}

describe('GET /v1/clock', () => {
  it("answers the server's clock without a token, never cached, with CORS", async () => {
    let now = 1_700_000_000_000;
    const server = await start({ now: () => now });
    const res = await server.request('GET', '/v1/clock', { headers: { origin: 'http://app.test' } });
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
    expect(await res.json()).toEqual({ now });
    now += 1234;
    expect(await (await server.request('GET', '/v1/clock')).json()).toEqual({ now });
  });
});

describe('POST /v1/recordings/:id/pauses', () => {
  it('merges spans (idempotently), shows them in the info and hands them to processing', async () => {
    const server = await start();
    const token = tokenFor('rec-p');
    expect((await create(server, 'rec-p')).status).toBe(201);
    const add = (from: number, to: number) =>
      server.request('POST', '/v1/recordings/rec-p/pauses', { token, json: { from, to } });
    const first = await add(5000, 6000);
    expect(first.status).toBe(200);
    expect((await first.json()).pauses).toEqual([{ from: 5000, to: 6000 }]);
    await add(5000, 6000); // sent again after a lost answer
    await add(2000, 3000);
    await add(5500, 7000); // overlaps the first
    expect((await info(server, 'rec-p')).pauses).toEqual([
      { from: 2000, to: 3000 },
      { from: 5000, to: 7000 },
    ]);

    await completeTrack(server, 'rec-p', 'video-1');
    await server.request('POST', '/v1/recordings/rec-p/stop', { token, json: {} });
    await waitFor(() => jobs.length === 1);
    expect(jobs[0]?.pauses).toEqual([
      { from: 2000, to: 3000 },
      { from: 5000, to: 7000 },
    ]);

    const late = await add(8000, 9000);
    expect(late.status).toBe(409);
    expect((await late.json()).error.code).toBe('recording_not_active');
  });

  it.each([
    ['to equal to from', { from: 5000, to: 5000 }],
    ['to before from', { from: 5000, to: 4000 }],
    ['a missing end', { from: 5000 }],
    ['negative times', { from: -5, to: 10 }],
  ])('refuses %s with 400 invalid_body', async (_, body) => {
    const server = await start();
    await create(server, 'rec-b');
    const res = await server.request('POST', '/v1/recordings/rec-b/pauses', {
      token: tokenFor('rec-b'),
      json: body,
    });
    expect(res.status).toBe(400);
    expect((await res.json()).error.code).toBe('invalid_body');
  });

  it('needs the recording token and an existing recording', async () => {
    const server = await start();
    const json = { from: 1, to: 2 };
    expect((await server.request('POST', '/v1/recordings/nope/pauses', { json })).status).toBe(401);
    const res = await server.request('POST', '/v1/recordings/nope/pauses', { token: tokenFor('nope'), json });
    expect(res.status).toBe(404);
  });
});

describe('tracks on the server clock', () => {
  it("keeps the browser's clock estimate with the track, for diagnostics", async () => {
    const server = await start();
    await create(server, 'rec-c');
    const clock = { offsetMs: -7012.5, rttMs: 3 };
    await completeTrack(server, 'rec-c', 'video-1', { clock });
    await completeTrack(server, 'rec-c', 'audio-1');
    const [video, audio] = (await info(server, 'rec-c')).tracks;
    expect(video?.clock).toEqual(clock);
    expect(audio).not.toHaveProperty('clock');
    const bad = await server.request('PUT', '/v1/recordings/rec-c/tracks/video-2', {
      token: tokenFor('rec-c'),
      json: { ...registerBody(), clock: { offsetMs: 'soon', rttMs: 1 } },
    });
    expect(bad.status).toBe(400);
  });

  it('lets several browsers record into one recording: a second start joins it', async () => {
    const server = await start();
    const first = await create(server, 'rec-j', { layout: 'speaker' });
    expect(first.status).toBe(201);
    const again = await create(server, 'rec-j', { layout: 'grid' });
    expect(again.status).toBe(200);
    const joined: RecordingInfo = await again.json();
    expect(joined.id).toBe('rec-j');
    expect(joined.layout).toBe('speaker'); // the first start's settings hold
    await completeTrack(server, 'rec-j', 'video-alice');
    await completeTrack(server, 'rec-j', 'video-bob');
    expect((await info(server, 'rec-j')).tracks.map((t) => t.status)).toEqual(['complete', 'complete']);
  });
});

describe('composite settings per recording', () => {
  it('defaults to the env and passes everything into the processing job', async () => {
    const server = await start({
      env: {
        RECORDING_LAYOUT: 'speaker',
        RECORDING_LABELS: '1',
        RECORDING_COMPOSITE_WIDTH: '640',
        RECORDING_COMPOSITE_HEIGHT: '360',
        RECORDING_COMPOSITE_FPS: '15',
        RECORDING_HWACCEL: 'auto',
      },
    });
    const created: RecordingInfo = await (await create(server, 'rec-d')).json();
    expect(created).toMatchObject({ layout: 'speaker', labels: true, width: 640, height: 360, fps: 15 });
    expect(created.pauses).toEqual([]);
    await completeTrack(server, 'rec-d', 'video-1');
    await server.request('POST', '/v1/recordings/rec-d/stop', { token: tokenFor('rec-d'), json: {} });
    await waitFor(() => jobs.length === 1);
    expect(jobs[0]).toMatchObject({
      layout: 'speaker',
      labels: true,
      width: 640,
      height: 360,
      fps: 15,
      hwaccel: 'auto',
      pauses: [],
    });
  });

  it('takes the recording’s own choice over the env', async () => {
    const server = await start();
    const body = { layout: 'speaker', labels: true, width: 854, height: 480, fps: 24, format: 'mp4' };
    const created = await create(server, 'rec-o', { ...body, videoCodec: 'h264', audioCodec: 'aac' });
    expect(created.status).toBe(201);
    expect(await created.json()).toMatchObject(body);
    await completeTrack(server, 'rec-o', 'video-1');
    await server.request('POST', '/v1/recordings/rec-o/stop', { token: tokenFor('rec-o'), json: {} });
    await waitFor(() => jobs.length === 1);
    expect(jobs[0]).toMatchObject({ ...body, hwaccel: 'none', videoCodec: 'h264', audioCodec: 'aac' });
  });

  it.each([
    ['an odd width', { width: 641 }],
    ['an odd height', { height: 361 }],
    ['a width over the maximum', { width: 7682 }],
    ['a height under the minimum', { height: 8 }],
    ['a fractional size', { width: 640.5 }],
    ['fps 0', { fps: 0 }],
    ['fps over 120', { fps: 121 }],
    ['an unknown layout', { layout: 'mosaic' }],
    ['labels as a string', { labels: '1' }],
  ])('refuses %s with 400 invalid_body', async (_, body) => {
    const server = await start();
    const res = await create(server, 'rec-x', body);
    expect(res.status).toBe(400);
    expect((await res.json()).error.code).toBe('invalid_body');
  });

  it('loads state files written before recordings had these settings, with the defaults', async () => {
    const first = await start();
    await create(first, 'rec-old');
    await completeTrack(first, 'rec-old', 'video-1');
    await first.close();
    servers.splice(servers.indexOf(first), 1);
    const file = join(first.dir, '.state', 'rec-old.json');
    const state = JSON.parse(await readFile(file, 'utf8'));
    for (const key of ['layout', 'labels', 'width', 'height', 'fps', 'pauses']) delete state[key];
    await writeFile(file, JSON.stringify(state));

    const second = await start({ dir: first.dir, env: { RECORDING_LABELS: '1' } });
    expect(await info(second, 'rec-old')).toMatchObject({
      layout: 'grid',
      labels: true,
      width: 1280,
      height: 720,
      fps: 30,
      pauses: [],
    });
    await second.request('POST', '/v1/recordings/rec-old/pauses', {
      token: tokenFor('rec-old'),
      json: { from: 10, to: 20 },
    });
    await second.request('POST', '/v1/recordings/rec-old/stop', { token: tokenFor('rec-old'), json: {} });
    await waitFor(() => jobs.length === 1);
    expect(jobs[0]).toMatchObject({ layout: 'grid', labels: true, pauses: [{ from: 10, to: 20 }] });
  });
});

describe('config: RECORDING_LAYOUT, RECORDING_LABELS, RECORDING_HWACCEL', () => {
  const base = { RECORDING_TOKEN_SECRET: SECRET };

  it('defaults to grid, no labels, no hardware acceleration', () => {
    const config = loadConfig(base);
    expect(config.composite).toEqual({ width: 1280, height: 720, fps: 30, layout: 'grid', labels: false });
    expect(config.hwaccel).toBe('none');
  });

  it('reads them, and names every bad value', () => {
    const config = loadConfig({
      ...base,
      RECORDING_LAYOUT: 'speaker',
      RECORDING_LABELS: '1',
      RECORDING_HWACCEL: 'vaapi',
    });
    expect(config.composite).toMatchObject({ layout: 'speaker', labels: true });
    expect(config.hwaccel).toBe('vaapi');
    let error: unknown;
    try {
      loadConfig({ ...base, RECORDING_LAYOUT: 'mosaic', RECORDING_LABELS: 'yes', RECORDING_HWACCEL: 'cuda' });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems.join('\n');
    expect(problems).toMatch(/RECORDING_LAYOUT="mosaic" must be one of: grid, speaker/);
    expect(problems).toMatch(/RECORDING_LABELS="yes" must be one of: 0, 1/);
    expect(problems).toMatch(/RECORDING_HWACCEL="cuda" must be one of: none, auto, vaapi, nvenc, qsv/);
  });
});
