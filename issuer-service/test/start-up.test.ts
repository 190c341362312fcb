import { spawn } from 'node:child_process';
import { afterAll, describe, expect, it } from '@jest/globals';
import { ConfigError, DEV_KEY_SECRET, loadConfig } from '../src/config.js';
import { tempDir } from './support/service.js';

/**
 * Start-up fails closed (issue 9, item 13): dev mode only when asked for (`--dev` or `ZKKYC_DEV=1`),
 * otherwise no ISSUER_KEY_SECRET means no service, and a weak secret is refused by a named rule.
 */
const tmp = tempDir();
afterAll(() => tmp.cleanup());

/** Runs main.ts until it exits or prints "listening" (then kills it); returns what it printed and how it ended. */
function runMain(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number | null; listening: boolean; output: string }> {
  const clean: NodeJS.ProcessEnv = { ...process.env };
  for (const k of ['ISSUER_KEY_SECRET', 'ZKKYC_DEV', 'AUTO_APPROVE', 'REVIEWER_API_KEYS', 'DATABASE_URL']) delete clean[k];
  const child = spawn(process.execPath, ['--import', 'tsx', 'issuer-service/src/main.ts', ...args], {
    cwd: process.cwd(),
    env: { ...clean, NODE_OPTIONS: '', PORT: '0', PUBLISH_INTERVAL_SECONDS: '0', DATABASE_PATH: `${tmp.dir}/${Math.random().toString(36).slice(2)}.sqlite`, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  let listening = false;
  return new Promise((resolve) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (!listening && /listening on/.test(output)) {
        listening = true;
        // Let the start-up banner finish, then stop it.
        setTimeout(() => child.kill('SIGTERM'), 300);
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('exit', (code) => resolve({ code, listening, output }));
  });
}

describe('start-up fails closed', () => {
  it('refuses to start without ISSUER_KEY_SECRET and without an explicit dev flag, naming the setting and the way to ask for dev mode', async () => {
    const run = await runMain([], {});
    expect(run.listening).toBe(false);
    expect(run.code).toBe(1);
    expect(run.output).toMatch(/configuration error: ISSUER_KEY_SECRET: required/);
    expect(run.output).toMatch(/--dev/);
    expect(run.output).toMatch(/ZKKYC_DEV=1/);
    // Nothing that looks like dev mode happened.
    expect(run.output).not.toMatch(/dev-reviewer-key|DEV mode/);
  }, 60_000);

  it('refuses to issue VC 2.0 for real without a public status URL, and starts with one', async () => {
    const strong = 'qNPJz5YDBjm4HeGqRaU1JHTebxXwST0H';
    const refused = await runMain([], { ISSUER_KEY_SECRET: strong });
    expect(refused.listening).toBe(false);
    expect(refused.code).toBe(1);
    expect(refused.output).toMatch(/configuration error: STATUS_BASE_URL: VC 2.0 credentials name their status list and schema by URL/);
    const plain = await runMain([], { ISSUER_KEY_SECRET: strong, STATUS_BASE_URL: 'http://issuer.example' });
    expect(plain.output).toMatch(/STATUS_BASE_URL: .*not http:\/\/issuer\.example/);
    const started = await runMain([], { ISSUER_KEY_SECRET: strong, STATUS_BASE_URL: 'https://issuer.example' });
    expect(started.listening).toBe(true);
  }, 90_000);

  it('starts in dev mode only when asked (--dev), labelled insecure, with auto-approval and the dev reviewer keys printed', async () => {
    const run = await runMain(['--dev'], {});
    expect(run.listening).toBe(true);
    expect(run.output).toMatch(/DEV mode/);
    expect(run.output).toMatch(/INSECURE/);
    expect(run.output).toMatch(/auto-approve/);
    expect(run.output).toMatch(/dev-reviewer=dev-reviewer-key/);
  }, 60_000);

  it('refuses a weak ISSUER_KEY_SECRET at start-up, naming the rule', async () => {
    const run = await runMain([], { ISSUER_KEY_SECRET: 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa' });
    expect(run.listening).toBe(false);
    expect(run.code).toBe(1);
    expect(run.output).toMatch(/ISSUER_KEY_SECRET: .*rule strength/);
  }, 60_000);
});

describe('secret strength (loadConfig)', () => {
  const strong = 'qNPJz5YDBjm4HeGqRaU1JHTebxXwST0H';

  it.each([
    ['too short', 'Zq8-short-secret', 'min-length'],
    ['one repeated character', 'a'.repeat(40), 'strength'],
    ['a short repeated pattern', 'abcabcabcabcabcabcabcabc', 'strength'],
    ['the alphabet', 'abcdefghijklmnopqrst', 'strength'],
    ['digits then letters in order', '0123456789abcdefghij', 'strength'],
    ['a repeated word', 'changeme-changeme-changeme-', 'strength'],
    ['a dictionary word and digits', 'passwordpassword123456', 'strength'],
    // zxcvbn score 4 (≥ 10^10 guesses) but below the 10^20 guess floor (re-review of dc6a007, finding 2)
    ['words and a digit run (score 4, ~10^12 guesses)', 'test-secret-0123456789', 'strength'],
    ['a word key and digits (score 4, ~10^12 guesses)', 'reviewer-key-1234567', 'strength'],
    ['three capitalised words and a digit (score 4, ~10^12 guesses)', 'CorrectHorseBattery1', 'strength'],
    ['the public dev secret', DEV_KEY_SECRET, 'public-dev-secret'],
  ])('refuses a secret that is %s, naming the rule', (_what, secret, rule) => {
    let error: unknown;
    try {
      loadConfig({ ISSUER_KEY_SECRET: secret });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).variable).toBe('ISSUER_KEY_SECRET');
    expect((error as Error).message).toContain(`rule ${rule}`);
  });

  it('accepts a strong secret and refuses a dev flag with an unknown value instead of guessing', () => {
    expect(loadConfig({ ISSUER_KEY_SECRET: strong }).dev).toBe(false);
    expect(() => loadConfig({ ISSUER_KEY_SECRET: strong, ZKKYC_DEV: 'true' })).toThrow(/^ZKKYC_DEV: /);
    // Dev mode approves anything: only on loopback.
    expect(() => loadConfig({ ZKKYC_DEV: '1', HOST: '0.0.0.0' })).toThrow(/^HOST: dev mode listens on loopback only/);
    expect(loadConfig({ ZKKYC_DEV: '1', HOST: 'localhost' }).dev).toBe(true);
  });

  it('refuses weak reviewer keys and two keys under one name (four-eyes counts names)', () => {
    const base = { ISSUER_KEY_SECRET: strong };
    expect(() => loadConfig({ ...base, REVIEWER_API_KEYS: `alice:${'x'.repeat(24)}:approver` })).toThrow(/REVIEWER_API_KEYS: .*rule strength/);
    expect(() => loadConfig({ ...base, REVIEWER_API_KEYS: 'alice:abcdefghijklmnop:approver' })).toThrow(/REVIEWER_API_KEYS: .*rule strength/);
    expect(() => loadConfig({ ISSUER_KEY_SECRET: 'test-secret-0123456789' })).toThrow(/^ISSUER_KEY_SECRET: .*rule strength.*10\^20 guesses/);
    // Score 4 but fewer than 10^16 guesses: refused, naming the threshold.
    for (const weak of ['reviewer-key-1234567', 'CorrectHorseBattery1', 'test-secret-0123456789']) {
      expect(() => loadConfig({ ...base, REVIEWER_API_KEYS: `alice:${weak}:approver` })).toThrow(/REVIEWER_API_KEYS: .*rule strength.*10\^16 guesses/);
    }
    expect(() => loadConfig({ ...base, REVIEWER_API_KEYS: 'alice:Zq8-vX2!mK9$pL4:approver' })).toThrow(/REVIEWER_API_KEYS: .*rule min-length/);
    expect(loadConfig({ ...base, REVIEWER_API_KEYS: 'alice:Zq8-vX2!mK9$pL4@w:approver' }).reviewers).toHaveLength(1);
    expect(() => loadConfig({ ...base, REVIEWER_API_KEYS: 'alice:vGnGtiixH2ygyRp2bx0ihpQGMVDDndHT:reviewer,alice:aR8RroJccExaBJjC42KXGpdPEiR66Qqq:approver' })).toThrow(
      /REVIEWER_API_KEYS: .*name "alice"/,
    );
  });
});
