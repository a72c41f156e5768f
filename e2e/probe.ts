import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface Probe {
  duration: number;
  streams: { codec_type: string; codec_name: string; width?: number; height?: number }[];
}

/** ffprobe's view of a file on disk: container duration (seconds) and streams. */
export async function probe(path: string): Promise<Probe> {
  const { stdout } = await run('ffprobe', [
    '-v',
    'error',
    '-show_format',
    '-show_streams',
    '-of',
    'json',
    path,
  ]);
  const parsed = JSON.parse(stdout) as { format: { duration?: string }; streams: Probe['streams'] };
  return { duration: Number(parsed.format.duration), streams: parsed.streams };
}

export function countStreams(p: Probe, type: 'audio' | 'video'): number {
  return p.streams.filter((s) => s.codec_type === type).length;
}

/** Decodes every frame; ffmpeg's error output must stay empty. */
export async function decodeErrors(path: string): Promise<string> {
  const { stderr } = await run('ffmpeg', ['-v', 'error', '-i', path, '-f', 'null', '-']);
  return stderr.trim();
}

/** Loudest sample of the first audio stream, in dBFS (-91 for digital silence). */
export async function maxVolume(path: string): Promise<number> {
  const { stderr } = await run('ffmpeg', [
    '-hide_banner',
    '-i',
    path,
    '-map',
    '0:a:0',
    '-af',
    'volumedetect',
    '-f',
    'null',
    '-',
  ]);
  const match = /max_volume: (-?[\d.]+) dB/.exec(stderr);
  if (!match?.[1]) throw new Error(`volumedetect printed no max_volume for ${path}`);
  return Number(match[1]);
}
