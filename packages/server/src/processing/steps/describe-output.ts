import { stat } from 'node:fs/promises';
import type { OutputFormat } from '@callrec/sdk/protocol';
import { mimeType } from '../codecs.js';
import { probe } from '../ffprobe.js';
import { ProcessingError, type ProducedFile } from '../job.js';

/** Size, ffprobe duration and stream flags of a file the pipeline wrote. */
export async function describeOutput(
  path: string,
  format: OutputFormat,
  step: string,
  signal?: AbortSignal,
): Promise<ProducedFile> {
  const [info, probed] = await Promise.all([stat(path), probe(path, signal)]);
  if (probed.duration === undefined) {
    throw new ProcessingError(`${step}: ffprobe found no duration in ${path}`, {
      step,
      exitCode: 0,
      stderrTail: '',
      inputs: [path],
    });
  }
  return {
    path,
    mimeType: mimeType(format, probed.hasVideo),
    size: info.size,
    duration: probed.duration,
    hasAudio: probed.hasAudio,
    hasVideo: probed.hasVideo,
  };
}
