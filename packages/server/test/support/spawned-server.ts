import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { mintToken } from '../../src/auth/tokens.js';
import { DEV_TOKEN_SECRET } from '../../src/config.js';

const REPO = join(dirname(fileURLToPath(import.meta.url)), '../../../..');
const MAIN = join(REPO, 'packages/server/src/main.ts');

/**
 * Per-test timeout for tests that restart the real server: each start costs 1-3 s and processing
 * runs real ffmpeg, which other work on a 2-core machine can slow down several times over.
 */
export const SPAWNED_TIMEOUT = 90_000;

/** The real server (`src/main.ts`) in a child process, to be killed with SIGKILL like `kill -9`. */
export interface SpawnedServer {
  url: string;
  pid: number;
  /** stdout + stderr so far. */
  output(): string;
  /** Resolves with the signal (or exit code) once the process is gone. */
  exited: Promise<NodeJS.Signals | number | null>;
  /** `kill -9` the server, wait for it to be gone, then reap children it left (ffmpeg). */
  kill(): Promise<void>;
}

/** A free TCP port on 127.0.0.1; the caller reuses it across restarts so signed URLs stay valid. */
export async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  server.close();
  await once(server, 'close');
  if (!address || typeof address === 'string') throw new Error('no port');
  return address.port;
}

export function devToken(id: string): string {
  return mintToken(DEV_TOKEN_SECRET, { sub: id, scope: 'recording', ttlSeconds: 3600 });
}

/**
 * Starts `node --import tsx src/main.ts` (not the `tsx` CLI: it runs the server in a grandchild,
 * so killing the CLI's pid would leave the server running). Own process group, so `kill()` can
 * reap ffmpeg children the killed server orphaned. Resolves once the server listens.
 */
export async function spawnServer(options: {
  dir: string;
  port: number;
  env?: Record<string, string>;
}): Promise<SpawnedServer> {
  const env: Record<string, string | undefined> = { ...process.env };
  for (const name of Object.keys(env)) {
    if (name.startsWith('RECORDING_') || name.startsWith('CALLREC_')) delete env[name];
  }
  const child = spawn(process.execPath, ['--import', 'tsx', MAIN], {
    cwd: REPO,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      ...env,
      RECORDING_OUTPUT_DIR: options.dir,
      RECORDING_DEV: '1',
      HOST: '127.0.0.1',
      PORT: String(options.port),
      ...options.env,
    },
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = once(child, 'exit').then(
    ([code, signal]) => (signal ?? code) as NodeJS.Signals | number | null,
  );
  const url = `http://127.0.0.1:${options.port}`;
  const ready = waitUntilListening(child, () => output);
  const outcome = await Promise.race([
    ready.then(() => 'ready' as const),
    exited.then(() => 'exited' as const),
  ]);
  if (outcome === 'exited') throw new Error(`server exited before listening:\n${output}`);
  const pid = child.pid as number;
  return {
    url,
    pid,
    output: () => output,
    exited,
    async kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
      killGroup(pid);
    },
  };
}

async function waitUntilListening(child: ChildProcess, output: () => string): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (!output().includes('listening on')) {
    if (child.exitCode !== null || child.signalCode !== null) return;
    if (Date.now() > deadline) throw new Error(`server did not start:\n${output()}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** SIGKILLs what is left of the process group (orphaned ffmpeg); ESRCH means nothing was left. */
export function killGroup(pid: number): void {
  try {
    process.kill(-pid, 'SIGKILL');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err;
  }
}

type Truthy<T> = Exclude<T, undefined | null | false | 0 | ''>;

/** Polls `check` every 20 ms until it returns something truthy, and returns that. */
export async function waitFor<T>(
  check: () => Promise<T> | T,
  timeoutMs = 20_000,
  what = 'condition',
): Promise<Truthy<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value as Truthy<T>;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
