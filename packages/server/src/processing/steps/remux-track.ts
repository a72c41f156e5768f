import { join } from 'node:path';
import { remuxArgs } from '../args/remux.js';
import { undeclaredPrimingMs } from '../codecs.js';
import { audioTimestampSpreadMs, probe } from '../ffprobe.js';
import { ProcessingError, type ProcessingTrack } from '../job.js';
import type { ProbedTrack } from '../plan.js';
import { runFfmpeg } from '../run-ffmpeg.js';

/**
 * Remuxes one raw recorder track into `dir` and probes what came out. A track whose decoded sound
 * runs behind its timestamps (`undeclaredPrimingMs`) is placed as if it started that much earlier,
 * which puts every sound at its capture, whether a step copies the track or decodes it. An audio
 * track's timestamps are measured against its sound, so that one with gaps is not copied as it is.
 */
export async function remuxTrack(
  track: ProcessingTrack,
  dir: string,
  signal?: AbortSignal,
): Promise<ProbedTrack> {
  const output = join(dir, `${track.trackId}.mkv`);
  const args = remuxArgs(track.path, output, track.kind, track.timing);
  await runFfmpeg(args, { step: 'remux', inputs: [track.path], signal });
  const probed = await probe(output, signal);
  const stream = probed.streams.find((s) => s.kind === track.kind);
  if (!stream || !probed.duration) {
    throw new ProcessingError(`remux: track ${track.trackId} has no playable ${track.kind}`, {
      step: 'remux',
      exitCode: 0,
      stderrTail: '',
      inputs: [track.path],
      args,
    });
  }
  const lagMs = undeclaredPrimingMs(stream);
  const audioSpreadMs = track.kind === 'audio' ? await audioTimestampSpreadMs(output, signal) : undefined;
  return {
    track: lagMs > 0 ? { ...track, startedAt: track.startedAt - lagMs } : track,
    path: output,
    duration: probed.duration,
    codec: stream.codec,
    channels: stream.channels,
    ...(audioSpreadMs === undefined ? {} : { audioSpreadMs }),
  };
}
