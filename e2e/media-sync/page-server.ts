import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import ts from 'typescript';
import { REPO_ROOT } from '../env.js';

/**
 * A loopback origin for the media-sync pages: `/` loads the SDK's own modules (each
 * `packages/sdk/src/<name>.ts` transpiled on request to `/sdk/<name>.js`) and this folder's page
 * helpers (`page/<name>.ts` → `/page/<name>.js`) as native ES modules, and exposes them as
 * `window.callrec` and `window.sync`. No bundler, no demo UI in the way.
 */
const SOURCES: Record<string, string> = {
  sdk: join(REPO_ROOT, 'packages/sdk/src'),
  page: join(REPO_ROOT, 'e2e/media-sync/page'),
};

const INDEX = `<!doctype html><title>callrec media sync</title><body style="margin:0;background:#000">
<script type="module">
import * as callrec from '/sdk/index.js';
import * as sync from '/page/index.js';
Object.assign(window, { callrec, sync, syncReady: true });
</script>`;

export interface PageServer {
  origin: string;
  close(): Promise<void>;
}

export async function startPageServer(): Promise<PageServer> {
  const server: Server = createServer((req, res) => {
    if (req.url === '/') {
      res.writeHead(200, { 'Content-Type': 'text/html' }).end(INDEX);
      return;
    }
    const [, dir, name] = /^\/(sdk|page)\/([a-z-]+)\.js$/.exec(req.url ?? '') ?? [];
    const root = dir && SOURCES[dir];
    if (!root || !name) {
      res.writeHead(404).end();
      return;
    }
    readFile(join(root, `${name}.ts`), 'utf8').then(
      (source) => {
        const { outputText } = ts.transpileModule(source, {
          compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
        });
        res.writeHead(200, { 'Content-Type': 'text/javascript' }).end(outputText);
      },
      (error: unknown) => res.writeHead(404).end(String(error)),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  return {
    origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
