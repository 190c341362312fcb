import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance, FastifyReply } from 'fastify';

/** Where `npm run build:console -w @zkkyc/issuer-service` writes the reviewer console. */
export const DEFAULT_CONSOLE_DIR = fileURLToPath(new URL('../../console/dist', import.meta.url));

const CONTENT_TYPES: Record<string, string> = {
  html: 'text/html; charset=utf-8',
  js: 'text/javascript; charset=utf-8',
  css: 'text/css; charset=utf-8',
  svg: 'image/svg+xml',
  png: 'image/png',
};

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

function secured(reply: FastifyReply): FastifyReply {
  return reply
    .header('content-security-policy', CONSOLE_CSP)
    .header('x-content-type-options', 'nosniff')
    .header('referrer-policy', 'no-referrer')
    .header('x-frame-options', 'DENY')
    .header('cache-control', 'no-store');
}

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
  const send = async (file: string, reply: FastifyReply) => {
    if (!existsSync(join(dir, 'index.html'))) {
      return secured(reply).code(503).header('content-type', 'text/html; charset=utf-8').send(NOT_BUILT_PAGE);
    }
    let body: Buffer;
    try {
      body = await readFile(join(dir, file));
    } catch {
      return secured(reply).code(404).header('content-type', 'application/json; charset=utf-8').send({ error: { code: 'not_found', message: `console file ${file} not found`, field: 'url' } });
    }
    const ext = file.split('.').pop() ?? '';
    return secured(reply).header('content-type', CONTENT_TYPES[ext] ?? 'application/octet-stream').send(body);
  };
  app.get('/console', { schema: { hide: true } }, async (_req, reply) => reply.redirect('/console/'));
  app.get('/console/', { schema: { hide: true } }, async (_req, reply) => send('index.html', reply));
  app.get<{ Params: { file: string } }>(
    '/console/assets/:file',
    { schema: { hide: true, params: { type: 'object', properties: { file: { type: 'string', pattern: '^[A-Za-z0-9_-][A-Za-z0-9._-]{0,120}$' } }, required: ['file'] } } },
    async (req, reply) => send(join('assets', req.params.file), reply),
  );
}
