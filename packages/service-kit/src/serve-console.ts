import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { FastifyInstance, FastifyReply } from 'fastify';

const CONTENT_TYPES: Record<string, string> = {
  html: 'text/html; charset=utf-8',
  js: 'text/javascript; charset=utf-8',
  css: 'text/css; charset=utf-8',
  svg: 'image/svg+xml',
  png: 'image/png',
};

export interface ConsoleServing {
  /** The `vite build` output: index.html and assets/. */
  dir: string;
  /** Sent, in this order, with every console answer: the service's CSP and the like. */
  headers: Record<string, string>;
  /** Answered with 503 while `dir` holds no index.html; unset, a missing build answers as a missing file. */
  notBuiltPage?: string;
  /** What a missing file is thrown as, so it answers in the service's error shape. */
  missingFile: (file: string) => Error;
  /** The 404 for a missing file carries `headers` too. */
  headersOnMissing: boolean;
}

/**
 * Serves a built web console at `/console/`: its index.html and the files under assets/, nothing
 * else (file names are checked, so no path leaves the directory). Same origin as the API, so the
 * key a reviewer or officer types in is sent to no one else.
 */
export async function registerConsole(app: FastifyInstance, serving: ConsoleServing): Promise<void> {
  const secured = (reply: FastifyReply) => reply.headers(serving.headers);
  const send = async (file: string, reply: FastifyReply) => {
    if (serving.notBuiltPage !== undefined && !existsSync(join(serving.dir, 'index.html'))) {
      return secured(reply).code(503).header('content-type', 'text/html; charset=utf-8').send(serving.notBuiltPage);
    }
    let body: Buffer;
    try {
      body = await readFile(join(serving.dir, file));
    } catch {
      if (serving.headersOnMissing) secured(reply);
      throw serving.missingFile(file);
    }
    const ext = file.split('.').pop() ?? '';
    return secured(reply)
      .header('content-type', CONTENT_TYPES[ext] ?? 'application/octet-stream')
      .send(body);
  };
  app.get('/console', { schema: { hide: true } }, async (_req, reply) => reply.redirect('/console/'));
  app.get('/console/', { schema: { hide: true } }, async (_req, reply) => send('index.html', reply));
  app.get<{ Params: { file: string } }>(
    '/console/assets/:file',
    { schema: { hide: true, params: { type: 'object', properties: { file: { type: 'string', pattern: '^[A-Za-z0-9_-][A-Za-z0-9._-]{0,120}$' } }, required: ['file'] } } },
    async (req, reply) => send(join('assets', req.params.file), reply),
  );
}
