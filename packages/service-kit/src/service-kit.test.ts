// light-my-request's cookie module is ESM-only, which jest's inject cannot load; the services' tests stub it the same way.
import '../../../compliance-monitor/test/support/inject-cookie-stub.js';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from '@jest/globals';
import Fastify, { type FastifyInstance } from 'fastify';
import { ApiError, errorHandlerFor, registerConsole, type ErrorAnswers } from './index.js';

const omit: ErrorAnswers = { shape: 'omit-absent', namesSchemaField: true, contentLengthIsBody: true, rateLimited: true };
const nulls: ErrorAnswers = { shape: 'null-absent', namesSchemaField: true, mediaTypeRule: 'json', contentLengthIsBody: false, rateLimited: false };

function app(answers: ErrorAnswers): FastifyInstance {
  const a = Fastify();
  a.setErrorHandler(errorHandlerFor(answers));
  a.post('/things', { schema: { body: { type: 'object', properties: { name: { type: 'string', maxLength: 3 } }, required: ['name'] } } }, async () => ({ ok: true }));
  a.get('/busy', async () => {
    throw new ApiError(503, 'busy', 'try later', undefined, undefined, 7);
  });
  a.get('/limited', async () => {
    throw Object.assign(new Error('slow down'), { statusCode: 429 });
  });
  a.get('/broken', async () => {
    throw new Error('secret detail');
  });
  return a;
}

describe('errorHandlerFor', () => {
  test('omit-absent leaves out what is absent; null-absent sends null, in its own key order', async () => {
    const one = await app(omit).inject({ method: 'GET', url: '/broken' });
    expect(one.statusCode).toBe(500);
    expect(one.body).toBe('{"error":{"code":"internal_error","message":"internal error"}}');
    const two = await app(nulls).inject({ method: 'GET', url: '/broken' });
    expect(two.body).toBe('{"error":{"code":"internal_error","field":null,"rule":null,"message":"internal error"}}');
  });

  test('a schema failure names the field and keyword', async () => {
    const res = await app(omit).inject({ method: 'POST', url: '/things', payload: { name: 'long' } });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toEqual({ error: { code: 'invalid_field', message: 'name must NOT have more than 3 characters', field: 'name', rule: 'maxLength' } });
  });

  test('a service that checks bodies itself answers schema failures as bad_request', async () => {
    const res = await app({ ...omit, namesSchemaField: false }).inject({ method: 'POST', url: '/things', payload: {} });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.code).toBe('bad_request');
  });

  test('415 carries the rule only when the service names one', async () => {
    const send = (a: FastifyInstance) => a.inject({ method: 'POST', url: '/things', headers: { 'content-type': 'application/xml' }, payload: '<x/>' });
    expect((await send(app(omit))).json()).toEqual({ error: { code: 'unsupported_media_type', message: 'send application/json', field: 'content-type' } });
    expect((await send(app(nulls))).json()).toEqual({ error: { code: 'unsupported_media_type', field: 'content-type', rule: 'json', message: 'send application/json' } });
  });

  test('a 429 is rate_limited or bad_request as the service chose; Retry-After is sent when the error has it', async () => {
    expect((await app(omit).inject({ method: 'GET', url: '/limited' })).json().error.code).toBe('rate_limited');
    expect((await app(nulls).inject({ method: 'GET', url: '/limited' })).json().error.code).toBe('bad_request');
    const busy = await app(nulls).inject({ method: 'GET', url: '/busy' });
    expect(busy.statusCode).toBe(503);
    expect(busy.headers['retry-after']).toBe('7');
  });
});

describe('registerConsole', () => {
  const dir = mkdtempSync(join(tmpdir(), 'service-kit-console-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  async function consoleApp(consoleDir: string, headersOnMissing: boolean) {
    const a = Fastify();
    a.setErrorHandler(errorHandlerFor(omit));
    await registerConsole(a, {
      dir: consoleDir,
      headers: { 'content-security-policy': "default-src 'none'" },
      notBuiltPage: '<p>not built</p>',
      missingFile: (file) => new ApiError(404, 'not_found', `console file ${file} not found`, 'url'),
      headersOnMissing,
    });
    return a;
  }

  test('serves index.html and assets with the headers and their content type; a missing file is a 404 in the error shape', async () => {
    mkdirSync(join(dir, 'assets'), { recursive: true });
    writeFileSync(join(dir, 'index.html'), '<p>console</p>');
    writeFileSync(join(dir, 'assets', 'app.js'), 'void 0;');
    const a = await consoleApp(dir, true);
    const page = await a.inject({ method: 'GET', url: '/console/' });
    expect(page.body).toBe('<p>console</p>');
    expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(page.headers['content-security-policy']).toBe("default-src 'none'");
    expect((await a.inject({ method: 'GET', url: '/console/assets/app.js' })).headers['content-type']).toBe('text/javascript; charset=utf-8');
    const missing = await a.inject({ method: 'GET', url: '/console/assets/gone.js' });
    expect(missing.statusCode).toBe(404);
    expect(missing.json()).toEqual({ error: { code: 'not_found', message: 'console file assets/gone.js not found', field: 'url' } });
    expect(missing.headers['content-security-policy']).toBe("default-src 'none'");
    const bare = await consoleApp(dir, false);
    expect((await bare.inject({ method: 'GET', url: '/console/assets/gone.js' })).headers['content-security-policy']).toBeUndefined();
    expect((await a.inject({ method: 'GET', url: '/console/assets/..%2Findex.html' })).statusCode).toBe(400);
  });

  test('no build: 503 with the page saying how to build it', async () => {
    const a = await consoleApp(join(dir, 'nothing-here'), true);
    const res = await a.inject({ method: 'GET', url: '/console/' });
    expect(res.statusCode).toBe(503);
    expect(res.body).toBe('<p>not built</p>');
  });
});
