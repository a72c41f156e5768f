import { createRequire } from 'node:module';
import type { BrowserType } from '../../packages/server/node_modules/playwright-core/index.js';

/**
 * playwright-core is a devDependency of packages/server (pinned there for its Chromium tests);
 * bench/ is no workspace package, so it resolves the module from there instead of adding one.
 */
const require = createRequire(new URL('../../packages/server/package.json', import.meta.url));
export const chromium: BrowserType = require('playwright-core').chromium;

/** Debian's Chromium, as the e2e config launches it (PLATFORM.md). */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
