import { defineConfig } from 'vite';
// Relative, not @zkkyc/service-kit: vite bundles a config's relative imports but leaves packages to
// node, which cannot load the kit's TypeScript.
import { consoleViteConfig } from '../../packages/service-kit/src/console-vite.js';

/** The KYC provider's reviewer console, served by the issuer service at /console/ (a reviewer key is sent nowhere else). */
export default defineConfig(consoleViteConfig(new URL('./', import.meta.url)));
