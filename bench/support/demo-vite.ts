import { join, resolve } from 'node:path';
import { createServer } from '../../packages/demo/node_modules/vite/dist/node/index.js';

const DEMO_DIR = resolve(import.meta.dirname, '../../packages/demo');

export interface DemoPage {
  url: string;
  stop(): Promise<void>;
}

/**
 * The demo page from its own Vite config, served by a Vite inside this process that adds
 * `scripts` (absolute paths, module scripts) to the page ahead of the demo's own: bench code
 * runs in the page without the demo knowing it and without a driver attached to the browser.
 */
export async function startDemoPageWith(port: number, scripts: string[]): Promise<DemoPage> {
  // The demo's config reads it: no file watching, so an edit elsewhere in the workspace cannot
  // reload the page in the middle of a recording.
  process.env.DEMO_HMR = '0';
  const config = {
    configFile: join(DEMO_DIR, 'vite.config.ts'),
    server: { port, strictPort: true },
    logLevel: 'warn',
    clearScreen: false,
    plugins: [
      {
        name: 'callrec-bench-scripts',
        transformIndexHtml: () =>
          scripts.map((file) => ({
            tag: 'script',
            attrs: { type: 'module', src: `/@fs${file}` },
            injectTo: 'head-prepend',
          })),
      },
    ],
  };
  // Imported by path, Vite's types cannot resolve rollup's (a pnpm sibling), so its Plugin type
  // lacks `name`; the config is what Vite's documentation describes.
  const server = await createServer(config as Parameters<typeof createServer>[0]);
  await server.listen();
  return { url: `http://127.0.0.1:${port}`, stop: () => server.close() };
}
