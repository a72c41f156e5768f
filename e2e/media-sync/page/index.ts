export * from './camera.js';
export * from './live.js';
export * from './loopback.js';
export * from './synth.js';

/** `Date.now() − performance.now()`: converts this page's performance times to its own epoch clock. */
export const pageClockOrigin = (): number => Date.now() - performance.now();
export * from './scenarios.js';
