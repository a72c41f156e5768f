import { defineConfig } from 'vite';

// DEMO_HMR=0 (the e2e sets it): no file watching, so an edit elsewhere in the workspace cannot
// reload the page in the middle of a recording.
const hmr = process.env.DEMO_HMR !== '0';

export default defineConfig({
  root: import.meta.dirname,
  server: { host: '127.0.0.1', port: 5173, strictPort: true, hmr, watch: hmr ? {} : null },
  preview: { host: '127.0.0.1', port: 4173, strictPort: true },
});
