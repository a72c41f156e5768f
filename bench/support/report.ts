import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { cpus, totalmem } from 'node:os';
import { dirname, join } from 'node:path';

export const RESULTS_DIR = join(import.meta.dirname, '..', 'results');

/** 1-, 5- and 15-minute load averages: other agents share these 2 cores. */
export function loadAverage(): [number, number, number] {
  const [one = 0, five = 0, fifteen = 0] = readFileSync('/proc/loadavg', 'utf8').split(' ').map(Number);
  return [one, five, fifteen];
}

export function machine(extra: Record<string, string> = {}) {
  return {
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model ?? '',
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    ...extra,
  };
}

/** First line of `<command> --version`, or why it could not be read. */
export function versionOf(command: string, args = ['--version']): string {
  try {
    return (
      execFileSync(command, args, { stdio: ['ignore', 'pipe', 'ignore'] })
        .toString()
        .split('\n')[0] ?? ''
    );
  } catch (error) {
    return `unavailable (${(error as Error).message})`;
  }
}

export async function writeResult(name: string, data: unknown): Promise<string> {
  const file = join(RESULTS_DIR, `${name}.json`);
  await mkdir(dirname(file), { recursive: true });
  await writeFile(file, `${JSON.stringify(data, null, 2)}\n`);
  return file;
}

export function table(header: string[], rows: (string | number)[][]): string {
  const line = (cells: (string | number)[]) => `| ${cells.join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}

export const round = (value: number, digits = 1): number => Math.round(value * 10 ** digits) / 10 ** digits;

export const MiB = 1024 * 1024;

/** Whole-machine CPU counters from /proc/stat (every process, ours and other agents'). */
export function cpuTicks(): { busy: number; total: number } {
  const fields = (readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '')
    .trim()
    .split(/\s+/)
    .slice(1)
    .map(Number);
  const total = fields.reduce((sum, n) => sum + n, 0);
  const idle = (fields[3] ?? 0) + (fields[4] ?? 0); // idle + iowait
  return { busy: total - idle, total };
}

/** Share of all cores busy between two `cpuTicks()` readings, in percent. */
export function busyPercent(
  from: { busy: number; total: number },
  to: { busy: number; total: number },
): number {
  const total = to.total - from.total;
  return total > 0 ? round(((to.busy - from.busy) / total) * 100, 0) : 0;
}
