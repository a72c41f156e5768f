import { access, rm } from 'node:fs/promises';
import { join } from 'node:path';
import {
  THUMBNAIL_POSITIONS,
  THUMBNAIL_WIDTH,
  thumbnailArgs,
  thumbnailHeight,
  thumbnailTimes,
} from '../args/thumbnails.js';
import { lastVideoFrameTime, probe } from '../ffprobe.js';
import { ProcessingError, type ProducedThumbnail } from '../job.js';
import { runFfmpeg } from '../run-ffmpeg.js';

/** Writes `<dir>/<position>.jpg` for 0/25/50/75/100 % of the composite; 100 is its last frame. */
export async function buildThumbnails(
  composite: string,
  frame: { width: number; height: number },
  dir: string,
  signal?: AbortSignal,
): Promise<ProducedThumbnail[]> {
  const probed = await probe(composite, signal);
  const last = await lastVideoFrameTime(composite, probed.duration, signal);
  // ffmpeg's -ss counts from the file's start time; ffprobe's packet times do not.
  const times = thumbnailTimes((probed.duration ?? last) - probed.startTime, last - probed.startTime);
  const width = THUMBNAIL_WIDTH;
  const height = thumbnailHeight(frame.width, frame.height);
  const shots = THUMBNAIL_POSITIONS.map((position, i) => ({
    position,
    time: times[i] ?? 0,
    output: join(dir, `${position}.jpg`),
  }));
  const args = thumbnailArgs(composite, shots, width, height);
  await Promise.all(shots.map((shot) => rm(shot.output, { force: true })));
  await runFfmpeg(args, { step: 'thumbnails', inputs: [composite], signal });
  for (const shot of shots) {
    // A seek past the last frame makes ffmpeg exit 0 without writing the file.
    await access(shot.output).catch((error: Error) => {
      throw new ProcessingError(`thumbnails: no frame at ${shot.position} % (${error.message})`, {
        step: 'thumbnails',
        exitCode: 0,
        stderrTail: '',
        inputs: [composite],
        args,
      });
    });
  }
  return shots.map(({ position, output }) => ({ position, path: output, width, height }));
}
