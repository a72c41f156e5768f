/**
 * Composite layouts benchmark: `npx tsx bench/composite-layouts.ts [--seconds 20] [--only grid] [--codec vp8]`.
 *
 * Generates MediaRecorder-like tracks (VP8 640x360 testsrc2 written to a pipe, Opus mono tones;
 * participants join 0.7 s apart and take 3 s speaking turns), remuxes them once, then times
 * the composite step alone (`buildComposite`, the speaker layout's audio-level pass included) for
 * each layout (grid, speaker) × format (webm vp8, webm vp9, mp4 h264) × 2, 4 and 9 participants ×
 * 1280x720@30 and 640x360@30. Prints a markdown table and writes bench/results/composite-layouts.json.
 */
import { copyFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { ProcessingJob, ProcessingTrack } from '../packages/server/src/processing/job.js';
import {
  computeTimeline,
  type ProbedTrack,
  planParticipants,
} from '../packages/server/src/processing/plan.js';
import { buildComposite } from '../packages/server/src/processing/steps/composite.js';
import { makeVideoTrack } from '../packages/server/test/fixtures/make-fixtures.js';
import { makeToneTrack, probedTrack } from '../packages/server/test/processing-composite-media.js';
import {
  busyPercent,
  cpuTicks,
  loadAverage,
  machine,
  round,
  table,
  versionOf,
  writeResult,
} from './support/report.js';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '20' },
    only: { type: 'string' },
    codec: { type: 'string' },
  },
});
const SECONDS = Number(values.seconds);
const T0 = 1_700_000_000_000;
const JOIN_GAP_MS = 700;
const TURN_SECONDS = 3;
const PARTICIPANTS = [2, 4, 9];
const LAYOUTS: NonNullable<ProcessingJob['layout']>[] = ['grid', 'speaker'];
const FORMATS: Pick<ProcessingJob, 'format' | 'videoCodec' | 'audioCodec'>[] = [
  { format: 'webm', videoCodec: 'vp8', audioCodec: 'opus' },
  { format: 'webm', videoCodec: 'vp9', audioCodec: 'opus' },
  { format: 'mp4', videoCodec: 'h264', audioCodec: 'aac' },
];
const SIZES = [
  { width: 1280, height: 720, fps: 30 },
  { width: 640, height: 360, fps: 30 },
];

/** Participant i speaks in every turn k with k % 4 === i % 4, so speakers change every 3 s. */
const turns = (i: number) =>
  Array.from({ length: Math.ceil(SECONDS / TURN_SECONDS) }, (_, k) => k)
    .filter((k) => k % 4 === i % 4)
    .map((k) => ({ from: k * TURN_SECONDS, to: (k + 1) * TURN_SECONDS }));

/**
 * Tracks for `count` participants. One camera file is encoded and copied for everyone: decoding
 * costs the same as distinct content, and encoding nine cameras would take longer than the bench.
 */
async function makeTracks(dir: string, count: number): Promise<ProbedTrack[]> {
  const camera = join(dir, 'camera.webm');
  await makeVideoTrack(camera, { seconds: SECONDS, width: 640, height: 360 });
  const raw: ProcessingTrack[] = [];
  for (let i = 0; i < count; i++) {
    const participantId = `p${i + 1}`;
    const base = { participantId, displayName: `Participant ${i + 1}`, startedAt: T0 + i * JOIN_GAP_MS };
    const audio = {
      ...base,
      trackId: `${participantId}a`,
      kind: 'audio' as const,
      path: join(dir, `${participantId}a.webm`),
    };
    const video = {
      ...base,
      trackId: `${participantId}v`,
      kind: 'video' as const,
      path: join(dir, `${participantId}v.webm`),
    };
    await makeToneTrack(audio.path, { seconds: SECONDS, frequency: 300 + 60 * i, on: turns(i) });
    await copyFile(camera, video.path);
    raw.push(audio, video);
  }
  return Promise.all(raw.map((t) => probedTrack(t, join(dir, `${t.trackId}.mkv`))));
}

interface Run {
  size: (typeof SIZES)[number];
  layout: (typeof LAYOUTS)[number];
  codecs: (typeof FORMATS)[number];
  count: number;
}

/**
 * Every combination, the most telling first, so a bench cut short (a busy machine) still has
 * each layout and format: 360p VP8 for every count, then the other formats at 4 participants,
 * then the same at 720p, then the rest.
 */
function runOrder(): Run[] {
  const all: Run[] = [];
  for (const size of [...SIZES].reverse()) {
    for (const layout of LAYOUTS.filter((l) => !values.only || l === values.only)) {
      for (const codecs of FORMATS.filter((f) => !values.codec || f.videoCodec === values.codec)) {
        for (const count of PARTICIPANTS) all.push({ size, layout, codecs, count });
      }
    }
  }
  const rank = (r: Run) =>
    (r.size.height > 360 ? 2 : 0) + (r.codecs.videoCodec === 'vp8' || r.count === 4 ? 0 : 4);
  return all
    .map((r, i) => ({ r, i }))
    .sort((a, b) => rank(a.r) - rank(b.r) || a.i - b.i)
    .map(({ r }) => r);
}

interface Row {
  layout: string;
  format: string;
  participants: number;
  size: string;
  timelineSeconds: number;
  ms: number;
  xRealtime: number;
  bytes: number;
  machineBusyPercent: number;
  load1: number;
}

const work = await mkdtemp(join(tmpdir(), 'callrec-bench-layouts-'));
try {
  const loadBefore = loadAverage();
  const fixtureStarted = performance.now();
  const all = await makeTracks(work, Math.max(...PARTICIPANTS));
  const tracksFor = (count: number) => all.filter((t) => Number(t.track.participantId.slice(1)) <= count);
  console.error(`fixtures: ${Math.round(performance.now() - fixtureStarted)} ms`);

  const results: Row[] = [];
  for (const { size, layout, codecs, count } of runOrder()) {
    const tracks = tracksFor(count);
    const timeline = computeTimeline(tracks);
    const job: ProcessingJob = {
      recordingId: 'bench',
      workDir: work,
      ...codecs,
      ...size,
      layout,
      labels: true,
      tracks: tracks.map((t) => t.track),
    };
    const output = join(work, `composite-${layout}-${count}-${size.height}.${codecs.format}`);
    const ticks = cpuTicks();
    const started = performance.now();
    const file = await buildComposite(planParticipants(tracks), tracks, timeline, job, output);
    const ms = performance.now() - started;
    const row: Row = {
      layout,
      format: `${codecs.format} ${codecs.videoCodec}`,
      participants: count,
      size: `${size.width}x${size.height}@${size.fps}`,
      timelineSeconds: round(timeline.duration, 2),
      ms: Math.round(ms),
      xRealtime: round(timeline.duration / (ms / 1000), 2),
      bytes: file.size,
      machineBusyPercent: busyPercent(ticks, cpuTicks()),
      load1: loadAverage()[0],
    };
    results.push(row);
    // Written after every run, so an interrupted bench still leaves what it measured.
    await writeResult('composite-layouts', {
      date: new Date().toISOString(),
      seconds: SECONDS,
      loadBefore,
      partial: true,
      results,
    });
    await rm(output, { force: true });
    console.error(
      `${layout} ${row.format} ${count}p ${row.size}: ${row.xRealtime}x (${(ms / 1000).toFixed(1)} s, machine ${row.machineBusyPercent} % busy)`,
    );
  }
  const loadAfter = loadAverage();

  const formats = FORMATS.map((f) => `${f.format} ${f.videoCodec}`);
  const rows: (string | number)[][] = [];
  for (const layout of LAYOUTS) {
    for (const size of SIZES) {
      for (const count of PARTICIPANTS) {
        const label = `${size.width}x${size.height}@${size.fps}`;
        const cells = formats.map((format) => {
          const r = results.find(
            (x) => x.layout === layout && x.size === label && x.participants === count && x.format === format,
          );
          return r ? `${r.xRealtime}× (${(r.ms / 1000).toFixed(1)} s)` : '–';
        });
        if (cells.every((c) => c === '–')) continue;
        rows.push([layout, label, count, ...cells]);
      }
    }
  }
  console.log(
    `${SECONDS} s per track (VP8 640x360 + Opus), joins ${JOIN_GAP_MS} ms apart, labels on; ` +
      `load average ${loadBefore.join(' / ')} before, ${loadAfter.join(' / ')} after\n`,
  );
  console.log(table(['layout', 'composite', 'participants', ...formats], rows));
  const out = await writeResult('composite-layouts', {
    date: new Date().toISOString(),
    machine: machine({ ffmpeg: versionOf('ffmpeg', ['-version']) }),
    seconds: SECONDS,
    loadBefore,
    loadAfter,
    results,
  });
  console.error(`wrote ${out}`);
} finally {
  await rm(work, { recursive: true, force: true });
}
