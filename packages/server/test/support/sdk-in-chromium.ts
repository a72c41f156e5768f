import { readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { type Browser, chromium, type Page } from 'playwright-core';
import ts from 'typescript';
import { afterAll, beforeAll } from 'vitest';

/**
 * The SDK's own modules, served to headless Chromium from a loopback origin: each
 * `packages/sdk/src/<name>.ts` is transpiled on request to `/sdk/<name>.js`, and the browser
 * loads them as native ES modules (their imports already end in `.js`). No bundler involved.
 * Chromium is Debian's (`CHROMIUM_PATH`, as scripts/test.sh exports it, or /usr/bin/chromium).
 */

const SDK_SRC = fileURLToPath(new URL('../../../sdk/src/', import.meta.url));
const LAUNCH_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-sync'];

export interface SdkPage {
  /** The page's origin, e.g. `http://127.0.0.1:41234`. */
  origin: string;
  page: Page;
  close(): Promise<void>;
}

export interface SdkPageOptions {
  /** Runs in the page before any of its scripts (Playwright's addInitScript), e.g. to skew `Date.now`. */
  initScript?: string;
  /** Extra Chromium flags. */
  args?: string[];
}

/** `pageScript` runs as a module in the page (so it may `import('/sdk/<name>.js')`) before tests do. */
export async function openSdkPage(pageScript: string, options: SdkPageOptions = {}): Promise<SdkPage> {
  const server = createServer((req, res) => {
    const name = /^\/sdk\/([a-z-]+)\.js$/.exec(req.url ?? '')?.[1];
    if (req.url === '/') {
      const page = `<!doctype html><title>callrec sdk</title><script type="module">${pageScript}</script>`;
      res.writeHead(200, { 'Content-Type': 'text/html' }).end(page);
      return;
    }
    if (!name) {
      res.writeHead(404).end();
      return;
    }
    readFile(`${SDK_SRC}${name}.ts`, 'utf8').then(
      (source) => {
        const { outputText } = ts.transpileModule(source, {
          compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
        });
        res.writeHead(200, { 'Content-Type': 'text/javascript' }).end(outputText);
      },
      (err: unknown) => res.writeHead(404).end(String(err)),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const executablePath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
  let browser: Browser;
  try {
    browser = await chromium.launch({ executablePath, args: [...LAUNCH_ARGS, ...(options.args ?? [])] });
  } catch (err) {
    server.close();
    throw new Error(
      `Chromium did not start from ${executablePath} (apt-get install chromium, or set CHROMIUM_PATH): ${(err as Error).message}`,
    );
  }
  const page = await browser.newPage();
  const pageErrors: string[] = [];
  page.on('pageerror', (err) => pageErrors.push(err.message));
  if (options.initScript) await page.addInitScript(options.initScript);
  await page.goto(origin);
  await page
    .waitForFunction(() => (globalThis as { sdkReady?: boolean }).sdkReady === true, null, {
      timeout: 15_000,
    })
    .catch(async (err: unknown) => {
      await browser.close();
      server.close();
      throw new Error(`The SDK modules did not load in Chromium: ${pageErrors.join('; ') || String(err)}`);
    });
  return {
    origin,
    page,
    async close() {
      await browser.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Chromium's fake camera (30 fps) and microphone, allowed without asking. */
export const FAKE_MEDIA_ARGS = [
  '--use-fake-ui-for-media-stream',
  '--use-fake-device-for-media-stream=fps=30',
];

/** One page for a whole test file, opened before its tests and closed after; call at the top level. */
export function sdkPageForFile(pageScript: string, options: SdkPageOptions = {}): () => SdkPage {
  let page: SdkPage | undefined;
  beforeAll(async () => {
    page = await openSdkPage(pageScript, options);
  }, 30_000);
  afterAll(async () => {
    await page?.close();
  });
  return () => {
    if (!page) throw new Error('the SDK page did not open');
    return page;
  };
}

/**
 * Page code (paste into a page script): `beeper()` makes a Web Audio track of a 1 kHz tone at
 * 48 kHz, silent until `beep(at)` gates it on at level 0.5 for 60 ms from context time `at` (s).
 */
export const PAGE_BEEPER = `
  const beeper = () => {
    const context = new AudioContext({ sampleRate: 48000 });
    const oscillator = context.createOscillator();
    oscillator.frequency.value = 1000;
    const gate = context.createGain();
    gate.gain.value = 0;
    const destination = context.createMediaStreamDestination();
    oscillator.connect(gate).connect(destination);
    oscillator.start();
    const beep = (at) => {
      gate.gain.setValueAtTime(0.5, at);
      gate.gain.setValueAtTime(0, at + 0.06);
    };
    return { context, track: destination.stream.getAudioTracks()[0], beep };
  };
`;

/**
 * Page code: `loopback(track, { jitterBufferTarget })` sends `track` from one RTCPeerConnection
 * to another in the page and resolves with the received track (its receiver holding media
 * `jitterBufferTarget` ms, when given, as a jittery network makes it) and `close()`.
 */
export const PAGE_LOOPBACK = `
  const loopback = async (track, { jitterBufferTarget } = {}) => {
    const a = new RTCPeerConnection();
    const b = new RTCPeerConnection();
    a.onicecandidate = (e) => e.candidate && b.addIceCandidate(e.candidate);
    b.onicecandidate = (e) => e.candidate && a.addIceCandidate(e.candidate);
    a.addTrack(track);
    const received = new Promise((resolve) => (b.ontrack = (e) => {
      if (jitterBufferTarget !== undefined) e.receiver.jitterBufferTarget = jitterBufferTarget;
      resolve(e.track);
    }));
    await a.setLocalDescription(await a.createOffer());
    await b.setRemoteDescription(a.localDescription);
    await b.setLocalDescription(await b.createAnswer());
    await a.setRemoteDescription(b.localDescription);
    return { track: await received, close: () => (a.close(), b.close()) };
  };
`;
