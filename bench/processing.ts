/**
 * Processing benchmark: `npx tsx bench/processing.ts`.
 *
 * Generates 60 s MediaRecorder-like fixtures (VP8 640x360 video written to a pipe, Opus mono
 * audio; video recorders starting 0.3–1.25 s after audio, participants joining 2 s apart), runs
 * processRecording for 2 and 4 participants with a 1280x720@30 composite, prints a markdown table
 * and writes bench/results/processing.json.
 */
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ProcessingJob, ProcessingTrack } from '../packages/server/src/processing/job.js';
import { processRecording, type StepTiming } from '../packages/server/src/processing/pipeline.js';
import { makeAudioTrack, makeVideoTrack } from '../packages/server/test/fixtures/make-fixtures.js';

const SECONDS = 60;
const INPUT = { width: 640, height: 360 };
const OUTPUT = { width: 1280, height: 720, fps: 30 };
const T0 = 1_700_000_000_000;
/** Video recorders fire `start` 0.3–1.25 s after audio ones (PLATFORM.md). */
const VIDEO_DELAYS_MS = [300, 800, 1250, 550];

interface Scenario {
  participants: number;
  format: ProcessingJob['format'];
  videoCodec: ProcessingJob['videoCodec'];
  audioCodec: ProcessingJob['audioCodec'];
}

const SCENARIOS: Scenario[] = [
  { participants: 2, format: 'webm', videoCodec: 'vp8', audioCodec: 'opus' },
  { participants: 4, format: 'webm', videoCodec: 'vp8', audioCodec: 'opus' },
  { participants: 4, format: 'mp4', videoCodec: 'h264', audioCodec: 'aac' },
];

interface StepSummary {
  ms: number;
  mediaSeconds: number;
  xRealtime: number;
}

const summarize = (steps: StepTiming[], step: StepTiming['step']): StepSummary => {
  const picked = steps.filter((s) => s.step === step);
  const ms = picked.reduce((sum, s) => sum + s.ms, 0);
  const mediaSeconds = picked.reduce((sum, s) => sum + s.mediaSeconds, 0);
  return {
    ms: Math.round(ms),
    mediaSeconds: round(mediaSeconds),
    xRealtime: round(mediaSeconds / (ms / 1000)),
  };
};
const round = (value: number, digits = 1) => Math.round(value * 10 ** digits) / 10 ** digits;

async function makeTracks(dir: string, count: number): Promise<ProcessingTrack[]> {
  const tracks: ProcessingTrack[] = [];
  for (let i = 0; i < count; i++) {
    const participantId = `p${i + 1}`;
    const audioPath = join(dir, `${participantId}-audio.webm`);
    const videoPath = join(dir, `${participantId}-video.webm`);
    await makeAudioTrack(audioPath, { seconds: SECONDS, frequency: 300 + 110 * i });
    await makeVideoTrack(videoPath, { seconds: SECONDS, ...INPUT });
    const joined = T0 + i * 2000;
    const base = { participantId, displayName: `Participant ${i + 1}` };
    tracks.push(
      { ...base, trackId: `${participantId}a`, kind: 'audio', path: audioPath, startedAt: joined },
      {
        ...base,
        trackId: `${participantId}v`,
        kind: 'video',
        path: videoPath,
        startedAt: joined + (VIDEO_DELAYS_MS[i % VIDEO_DELAYS_MS.length] ?? 0),
      },
    );
  }
  return tracks;
}

const here = dirname(fileURLToPath(import.meta.url));
const work = await mkdtemp(join(tmpdir(), 'callrec-bench-'));
try {
  const fixtureStarted = performance.now();
  const maxParticipants = Math.max(...SCENARIOS.map((s) => s.participants));
  await mkdir(join(work, 'raw'));
  const allTracks = await makeTracks(join(work, 'raw'), maxParticipants);
  console.error(`fixtures: ${Math.round(performance.now() - fixtureStarted)} ms`);

  const results = [];
  for (const scenario of SCENARIOS) {
    const ids = new Set(Array.from({ length: scenario.participants }, (_, i) => `p${i + 1}`));
    const steps: StepTiming[] = [];
    const started = performance.now();
    const result = await processRecording(
      {
        recordingId: `bench-${scenario.participants}-${scenario.format}`,
        workDir: join(work, `${scenario.participants}-${scenario.format}`),
        ...scenario,
        ...OUTPUT,
        tracks: allTracks.filter((t) => ids.has(t.participantId)),
      },
      { onStep: (s) => steps.push(s) },
    );
    const totalMs = Math.round(performance.now() - started);
    results.push({
      ...scenario,
      timelineSeconds: round(result.timeline.duration, 2),
      totalMs,
      remux: summarize(steps, 'remux'),
      participantFiles: summarize(steps, 'participant'),
      composite: summarize(steps, 'composite'),
      thumbnails: summarize(steps, 'thumbnails'),
      compositeBytes: result.composite.size,
      steps: steps.map((s) => ({ ...s, ms: Math.round(s.ms) })),
    });
    console.error(`${scenario.participants} participants ${scenario.format}: ${totalMs} ms`);
  }

  const ffmpegVersion = execFileSync('ffmpeg', ['-version']).toString().split('\n')[0] ?? '';
  const machine = {
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model ?? '',
    node: process.version,
    ffmpeg: ffmpegVersion,
  };
  const header = [
    `${SECONDS} s per track, inputs VP8 ${INPUT.width}x${INPUT.height} + Opus, composite ` +
      `${OUTPUT.width}x${OUTPUT.height}@${OUTPUT.fps}; ${machine.cpus} cores (${machine.cpuModel})`,
    '',
    '| participants | output | timeline | track remux (-c copy) | participant files | composite | thumbnails | total |',
    '|---|---|---|---|---|---|---|---|',
  ];
  const x = (s: StepSummary) => `${s.xRealtime}× (${(s.ms / 1000).toFixed(1)} s)`;
  const rows = results.map(
    (r) =>
      `| ${r.participants} | ${r.format} ${r.videoCodec}/${r.audioCodec} | ${r.timelineSeconds} s | ${x(r.remux)} | ` +
      `${x(r.participantFiles)} | ${x(r.composite)} | ${(r.thumbnails.ms / 1000).toFixed(1)} s | ${(r.totalMs / 1000).toFixed(1)} s |`,
  );
  console.log([...header, ...rows].join('\n'));

  const out = join(here, 'results', 'processing.json');
  await mkdir(dirname(out), { recursive: true });
  await writeFile(
    out,
    `${JSON.stringify({ date: new Date().toISOString(), machine, seconds: SECONDS, input: INPUT, output: OUTPUT, results }, null, 2)}\n`,
  );
  console.error(`wrote ${out}`);
} finally {
  await rm(work, { recursive: true, force: true });
}
