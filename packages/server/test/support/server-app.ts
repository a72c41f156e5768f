import { createHash } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import type { CallrecApp, CreateAppOptions } from '../../src/app.js';
import { createApp } from '../../src/app.js';
import { mintToken } from '../../src/auth/tokens.js';
import { loadConfig } from '../../src/config.js';
import type { Logger } from '../../src/logger.js';

export const SECRET = 'test-secret-that-is-long-enough-0123456789';
export const PUBLIC_URL = 'http://callrec.test';

/** Collects log lines; tests assert no unexpected error was logged. */
export class MemoryLogger implements Logger {
  lines: { level: string; message: string; args: unknown[] }[] = [];
  info = (message: string, ...args: unknown[]) => this.lines.push({ level: 'info', message, args });
  warn = (message: string, ...args: unknown[]) => this.lines.push({ level: 'warn', message, args });
  error = (message: string, ...args: unknown[]) => this.lines.push({ level: 'error', message, args });
  get errors() {
    return this.lines.filter((l) => l.level === 'error');
  }
}

/** Test code reads many response shapes; `any` from json() keeps the assertions short. */
// biome-ignore lint/suspicious/noExplicitAny: test-only convenience
export type TestResponse = Omit<Response, 'json'> & { json(): Promise<any> };

export interface TestServer {
  callrec: CallrecApp;
  dir: string;
  logger: MemoryLogger;
  /** Sends a request through the app (no socket); `json` is serialized, `token` goes in Authorization. */
  request(
    method: string,
    path: string,
    init?: { token?: string; json?: unknown; body?: RequestInit['body']; headers?: Record<string, string> },
  ): Promise<TestResponse>;
  close(): Promise<void>;
}

export async function makeDir(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'callrec-server-test-'));
}

export async function startServer(
  options: { dir?: string; env?: Record<string, string> } & Partial<CreateAppOptions> = {},
): Promise<TestServer> {
  const dir = options.dir ?? (await makeDir());
  const config = loadConfig({
    RECORDING_OUTPUT_DIR: dir,
    RECORDING_TOKEN_SECRET: SECRET,
    RECORDING_PUBLIC_URL: PUBLIC_URL,
    RECORDING_MIN_PART_SIZE: '1024',
    RECORDING_PART_SIZE: '1024',
    ...options.env,
  });
  const logger = new MemoryLogger();
  const callrec = await createApp({ logger, ...options, config });
  return {
    callrec,
    dir,
    logger,
    request(method, path, init = {}) {
      const headers: Record<string, string> = { ...init.headers };
      if (init.token) headers.authorization = `Bearer ${init.token}`;
      let body = init.body;
      if (init.json !== undefined) {
        body = typeof init.json === 'string' ? init.json : JSON.stringify(init.json);
        headers['content-type'] ??= 'application/json';
      }
      return Promise.resolve(callrec.app.request(path, { method, headers, body })) as Promise<TestResponse>;
    },
    close: () => callrec.close(),
  };
}

export async function removeDir(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true });
}

export function tokenFor(id: string, ttlSeconds = 86_400): string {
  return mintToken(SECRET, { sub: id, scope: 'recording', ttlSeconds });
}

export function adminToken(ttlSeconds = 86_400): string {
  return mintToken(SECRET, { sub: '*', scope: 'admin', ttlSeconds });
}

/** Every file of a recording (its directory and its state file), as path → sha256, for "untouched" checks. */
export async function snapshot(dir: string, id: string): Promise<Record<string, string>> {
  const files: Record<string, string> = {};
  const walk = async (path: string): Promise<void> => {
    const entries = await readdir(path, { withFileTypes: true }).catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return [];
      throw err;
    });
    for (const entry of entries) {
      const full = join(path, entry.name);
      if (entry.isDirectory()) await walk(full);
      else
        files[relative(dir, full)] = createHash('sha256')
          .update(await readFile(full))
          .digest('hex');
    }
  };
  await walk(join(dir, id));
  const state = join(dir, '.state', `${id}.json`);
  files[relative(dir, state)] = createHash('sha256')
    .update(await readFile(state))
    .digest('hex');
  return files;
}

export const registerBody = (participantId = 'alice', kind: 'audio' | 'video' = 'video') => ({
  participantId,
  displayName: participantId,
  kind,
  mimeType: kind === 'video' ? 'video/webm;codecs=vp8' : 'audio/webm;codecs=opus',
  startedAt: Date.now(),
});

/** Deterministic bytes for part `n`. */
export function partBytes(n: number, size: number): Uint8Array {
  const bytes = new Uint8Array(size);
  for (let i = 0; i < size; i++) bytes[i] = (i * 31 + n * 7) & 0xff;
  return bytes;
}

export function md5(bytes: Uint8Array): string {
  return createHash('md5').update(bytes).digest('hex');
}
