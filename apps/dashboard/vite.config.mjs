// The operator dashboard's bundle: built into dist/dashboard, served by the engine at /dashboard/ (apps/api/src/dashboard).
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: '/dashboard/',
  build: {
    outDir: fileURLToPath(new URL('../../dist/dashboard', import.meta.url)),
    emptyOutDir: true,
    // the engine's CSP allows no inline script or style: no module preload polyfill, no inlined assets
    modulePreload: { polyfill: false },
    assetsInlineLimit: 0,
    chunkSizeWarningLimit: 400,
  },
  logLevel: 'warn',
});
