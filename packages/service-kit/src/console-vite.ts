import { fileURLToPath } from 'node:url';
import type { UserConfig } from 'vite';

/**
 * The vite build of a service's web console: plain TypeScript and DOM from `consoleDir`, built
 * into its dist/ and served by the service at /console/ (registerConsole). `base: './'` keeps asset
 * paths relative to wherever it is served. A separate entry point, so only the consoles' builds,
 * never a service at run time, load vite's types.
 */
export function consoleViteConfig(consoleDir: URL): UserConfig {
  const here = (path: string) => fileURLToPath(new URL(path, consoleDir));
  return {
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
  };
}
