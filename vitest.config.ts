import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['packages/*/test/**/*.test.ts', 'e2e/media-sync/**/*.test.ts'],
    // Integration tests spawn ffmpeg and servers; on 2 cores, parallel files fight for the CPU.
    fileParallelism: false,
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
