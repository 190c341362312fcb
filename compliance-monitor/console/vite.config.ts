import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const here = (path: string) => fileURLToPath(new URL(path, import.meta.url));

/**
 * The compliance officer's console: one page of plain TypeScript, built into dist/ and served by
 * the monitor at /console/ (same origin as the API, so the officer's key goes nowhere else).
 * `base: './'` keeps the asset paths relative to wherever it is served.
 */
export default defineConfig({
  root: here('.'),
  base: './',
  publicDir: false,
  build: {
    outDir: here('dist'),
    emptyOutDir: true,
    target: 'es2022',
    reportCompressedSize: false,
  },
  logLevel: 'warn',
});
