import { fileURLToPath } from 'node:url';
import { defaultClientConditions, defineConfig } from 'vite';

const here = (path: string) => fileURLToPath(new URL(path, import.meta.url));

/**
 * The wallet bundle. Workspace packages whose index also exports Node-only code (credentials,
 * sdk) resolve to their browser-safe entry through the `browser` export condition, as snarkjs and
 * ffjavascript resolve to their browser builds; `zkkyc-source` (listed first in those packages'
 * exports) picks their TypeScript sources over the dist/ that only `npm run build` makes.
 */
export default defineConfig({
  root: here('.'),
  base: './',
  publicDir: false,
  resolve: { conditions: ['zkkyc-source', ...defaultClientConditions] },
  worker: { format: 'es' },
  build: {
    outDir: here('dist'),
    emptyOutDir: true,
    target: 'es2022',
    chunkSizeWarningLimit: 4096,
    reportCompressedSize: false,
  },
  logLevel: 'warn',
});
