import { readdirSync, readFileSync } from 'node:fs';

/** One process's memory from /proc, in bytes. */
export interface ProcessMemory {
  pid: number;
  /** Chromium's `--type=` (renderer, gpu-process, utility…), `browser` for the main process. */
  type: string;
  rss: number;
  /** Proportional set size: shared pages split between the processes sharing them, so PSS adds up. */
  pss: number;
}

/** Parent pid of every live process, from /proc/<pid>/stat (the comm field may hold spaces). */
function parents(): Map<number, number> {
  const map = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      map.set(Number(entry), ppid);
    } catch {
      // The process exited between readdir and read: it has no memory to count.
    }
  }
  return map;
}

/** Every descendant of `root` (children, grandchildren…). */
export function descendants(root: number): number[] {
  const map = parents();
  const found: number[] = [];
  const frontier = [root];
  while (frontier.length > 0) {
    const parent = frontier.pop();
    for (const [pid, ppid] of map) {
      if (ppid === parent) {
        found.push(pid);
        frontier.push(pid);
      }
    }
  }
  return found;
}

function memoryOf(pid: number): ProcessMemory | undefined {
  try {
    // Chromium rewrites its children's process titles into one space-separated string.
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
    if (!/chrom|--type=/.test(cmdline)) return undefined;
    const type = /--type=(\S+)/.exec(cmdline)?.[1] ?? 'browser';
    const rollup = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
    const kib = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(rollup)?.[1] ?? 0);
    return { pid, type, rss: kib('Rss') * 1024, pss: kib('Pss') * 1024 };
  } catch {
    // Exited while being read (Chromium starts and ends utility processes): not part of the tree now.
    return undefined;
  }
}

/**
 * The Chromium processes this Node process started (the launcher script, the browser, its
 * renderers, GPU and utility processes): only ours, though other Chromiums run on the machine.
 */
export function chromiumTree(): ProcessMemory[] {
  return descendants(process.pid)
    .map(memoryOf)
    .filter((m): m is ProcessMemory => m !== undefined && m.rss > 0);
}
