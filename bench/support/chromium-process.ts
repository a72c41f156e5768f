import { spawn } from 'node:child_process';
import { fakeMediaChromium } from '../../e2e/chromium.js';
import { FAKE_AUDIO, FAKE_VIDEO } from './fake-media.js';

export interface ChromiumProcess {
  /** Resolves when the browser exits, with its exit code or signal. */
  exited: Promise<string>;
  /** Its last lines on stderr, for error messages. */
  output(): string;
  /** SIGTERM to the browser's process group, SIGKILL after `graceMs`. */
  stop(graceMs?: number): Promise<void>;
}

const OUTPUT_LINES = 40;

/** Debian's Chromium unless CHROMIUM_PATH says otherwise, as the e2e launches it. */
export const CHROMIUM_EXECUTABLE = fakeMediaChromium(FAKE_VIDEO, FAKE_AUDIO).executablePath;

/**
 * Debian's Chromium, headless, with the e2e's fake camera and microphone and a persistent
 * profile, started as a plain child process opening `url`: no driver and no DevTools port.
 * `gc()` and precise `performance.memory` let the page measure itself.
 */
export function launchChromium(url: string, profile: string): ChromiumProcess {
  const { executablePath, args } = fakeMediaChromium(FAKE_VIDEO, FAKE_AUDIO);
  const child = spawn(
    executablePath,
    [
      ...args,
      '--headless',
      `--user-data-dir=${profile}`,
      '--window-size=1200,900',
      '--js-flags=--expose-gc',
      '--enable-precise-memory-info',
      // As Playwright launched it, so the call runs as in the other browser benches.
      '--disable-background-timer-throttling',
      '--disable-backgrounding-occluded-windows',
      '--disable-renderer-backgrounding',
      '--disable-extensions',
      '--no-default-browser-check',
      '--mute-audio',
      url,
    ],
    // Its own process group: stop() reaches the renderers and helpers too.
    { detached: true, stdio: ['ignore', 'ignore', 'pipe'] },
  );
  const lines: string[] = [];
  child.stderr?.on('data', (data: Buffer) => {
    lines.push(...data.toString().split('\n').filter(Boolean));
    lines.splice(0, Math.max(0, lines.length - OUTPUT_LINES));
  });
  const exited = new Promise<string>((resolve) =>
    child.once('exit', (code, signal) => resolve(signal ?? `code ${code}`)),
  );
  const signalGroup = (signal: NodeJS.Signals) => {
    try {
      if (child.pid) process.kill(-child.pid, signal);
    } catch (error) {
      // ESRCH: the group is gone already, which is what stopping wants.
      if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
    }
  };
  // A bench that dies must not leave a browser recording behind.
  const onExit = () => signalGroup('SIGKILL');
  process.once('exit', onExit);
  return {
    exited,
    output: () => lines.join('\n'),
    stop: async (graceMs = 10_000) => {
      process.off('exit', onExit);
      signalGroup('SIGTERM');
      const timer = setTimeout(() => signalGroup('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
      // Helpers (zygote, utility processes) may outlive the browser by a moment.
      signalGroup('SIGKILL');
    },
  };
}
