import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runSanctionsCli } from '../src/sanctions/index.js';

/**
 * `sanctions screen --issuer` counts what the issuer stored from the answer to
 * `POST /screening/matches`. An answer without a `stored` list and a `duplicates` count is refused
 * by name, instead of being summed into NaN and reported as a finished run.
 */
const EU = resolve(fileURLToPath(new URL('.', import.meta.url)), '../fixtures/sanctions/eu-consolidated.xml');

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'zkkyc-sanctions-answer-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function screenAgainst(matchesAnswer: unknown): Promise<{ code: number; out: string; err: string }> {
  const db = join(dir, `screen-${Math.random().toString(36).slice(2)}.db`);
  const io = (out: string[], err: string[], env: Record<string, string> = {}) => ({ out: (l: string) => out.push(l), err: (l: string) => err.push(l), env });
  expect(await runSanctionsCli(['import', '--source', 'eu', '--file', EU, '--db', db], io([], []))).toBe(0);
  // One person on the EU fixture's list, so the run posts one match.
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.setHeader('content-type', 'application/json');
      if (req.method === 'GET') {
        const person = { credentialId: 'c0ffee00-0000-4000-8000-000000000007', familyName: 'Schröder', givenNames: 'Jürgen', birthDate: '1962-11-30', issuingCountry: 'DE' };
        res.end(JSON.stringify({ persons: [person], nextAfter: null }));
      } else {
        res.end(JSON.stringify(matchesAnswer));
      }
    });
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  try {
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const out: string[] = [];
    const err: string[] = [];
    const code = await runSanctionsCli(['screen', '--issuer', url, '--key-env', 'K', '--db', db], io(out, err, { K: 'monitor-key' }));
    return { code, out: out.join('\n'), err: err.join('\n') };
  } finally {
    await new Promise((ok) => server.close(ok));
  }
}

describe('sanctions screen --issuer: the issuer answer to the matches it was sent', () => {
  it('counts a well-formed answer', async () => {
    const run = await screenAgainst({ stored: [{ id: 1 }], duplicates: 0 });
    expect(run).toMatchObject({ code: 0, err: '' });
    expect(JSON.parse(run.out)).toEqual({ persons: 1, matches: 1, stored: 1, duplicates: 0 });
  });

  it.each([
    ['no stored list', { duplicates: 0 }],
    ['stored is not a list', { stored: 3, duplicates: 0 }],
    ['no duplicates count', { stored: [] }],
    ['duplicates is not a number', { stored: [], duplicates: '0' }],
    ['not an object', null],
  ])('refuses an answer with %s, naming the route', async (_case, answer) => {
    const run = await screenAgainst(answer);
    expect(run.code).toBe(1);
    expect(run.out).toBe('');
    expect(run.err).toContain('issuer POST /screening/matches: the answer has no stored array and duplicates count');
  });
});
