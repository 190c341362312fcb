import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import { registerConsole } from '@zkkyc/service-kit';
import { notFound } from '../api-error.js';

/** Where `npm run build:console -w @zkkyc/issuer-service` writes the reviewer console. */
export const DEFAULT_CONSOLE_DIR = fileURLToPath(new URL('../../console/dist', import.meta.url));

/**
 * The page may load and call only its own origin, and nothing may frame it: a reviewer key typed
 * into a page another site framed or fed a script could approve credentials.
 */
const CONSOLE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

/** Sent with every console answer, a missing file's 404 and the not-built page included. */
const CONSOLE_HEADERS = {
  'content-security-policy': CONSOLE_CSP,
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
  'cache-control': 'no-store',
};

const NOT_BUILT_PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>Reviewer console not built</title></head>
<body><main><h1>The reviewer console is not built</h1>
<p>This issuer service has no built console to serve. Whoever runs it builds it once with
<code>npm run build:console -w @zkkyc/issuer-service</code> and restarts the service.</p>
<p>The API itself is running: its documentation is at <a href="/docs">/docs</a>.</p></main></body></html>`;

/**
 * Serves the built reviewer console (`vite build` of issuer-service/console) at `/console/`: its
 * index.html and the files under assets/, nothing else (file names are checked, so no path leaves
 * the directory). Same origin as the API, so the reviewer's key is sent to no one else. When the
 * console was not built, `/console/` answers 503 with a page saying how to build it.
 */
export async function consoleRoutes(app: FastifyInstance, dir: string): Promise<void> {
  await registerConsole(app, { dir, headers: CONSOLE_HEADERS, notBuiltPage: NOT_BUILT_PAGE, missingFile: (file) => notFound(`console file ${file}`, 'url'), headersOnMissing: true });
}
