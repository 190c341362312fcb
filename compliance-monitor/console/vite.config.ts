import { defineConfig } from 'vite';
// Relative, not @zkkyc/service-kit: vite bundles a config's relative imports but leaves packages to
// node, which cannot load the kit's TypeScript.
import { consoleViteConfig } from '../../packages/service-kit/src/console-vite.js';

/** The compliance officer's console, served by the monitor at /console/ (the officer's key goes nowhere else). */
export default defineConfig(consoleViteConfig(new URL('./', import.meta.url)));
