import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const here = (path: string) => fileURLToPath(new URL(path, import.meta.url));

/**
 * The KYC provider's reviewer console: plain TypeScript and DOM, built into dist/ and served by the
 * issuer service at /console/ (same origin as the API, so a reviewer key is sent nowhere else).
 * `base: './'` keeps asset paths relative to wherever it is served.
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
