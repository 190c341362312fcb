import { afterEach, describe, expect, it } from '@jest/globals';
import './support/inject-shim.js';
import { ConfigError, loadConfig } from '../src/config.js';
import { makeHolder } from './support/holder.js';
import { apply, ManualClock, startService, tempDir } from './support/service.js';

/**
 * Reviewer authentication (security review, findings 8 and 9): wrong keys are limited per client
 * address before the key is even compared, and reading an application with a reviewer key needs a
 * role that reads applications.
 */
const KEYS = {
  rita: '65TMX4c1PojWoDQMLE4BLyyHcQs8JgQ3', // reviewer
  arno: 'KE9N4y3qr2c89sWZ16M0fFlCHDpsH2ZU', // approver
  ada: 'xQF0n8zRQfpCO3uWMZmmSidtT2LdsuTV', // admin
  vera: 'k3cCaSub13qFgE7RzLiAIjE1GdCAHq2c', // revoker
  paul: 'JRtGmhLr8cUKbhYIbrOlQpa1cHlElqLt', // publisher
};
const as = (name: keyof typeof KEYS) => ({ 'x-api-key': KEYS[name] });

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

async function fresh(env: Record<string, string> = {}, clock = new ManualClock()) {
  const tmp = tempDir();
  cleanups.push(tmp.cleanup);
  const config = loadConfig({
    ISSUER_KEY_SECRET: 'qNPJz5YDBjm4HeGqRaU1JHTebxXwST0H',
    REVIEWER_API_KEYS: [`rita:${KEYS.rita}:reviewer`, `arno:${KEYS.arno}:approver`, `ada:${KEYS.ada}:admin`, `vera:${KEYS.vera}:revoker`, `paul:${KEYS.paul}:publisher`].join(','),
    PUBLISH_INTERVAL_SECONDS: '0',
    DATABASE_PATH: tmp.dbPath,
    ...env,
  });
  const service = await startService(config, { clock });
  cleanups.push(() => service.close());
  return service;
}

describe('reviewer authentication', () => {
  it('limits failed reviewer authentication per client address: 429 once over the limit, for any key, until the window passes', async () => {
    const clock = new ManualClock();
    const service = await fresh({ REVIEWER_AUTH_FAILURE_LIMIT: '3' }, clock);
    const me = (headers: Record<string, string>, remoteAddress = '10.0.0.7') => service.app.inject({ method: 'GET', url: '/reviewers/me', headers, remoteAddress });
    const codes: number[] = [];
    for (let i = 0; i < 5; i++) codes.push((await me({ 'x-api-key': `guess-${i}-Zq8vX2mK9pL4wR7z` })).statusCode);
    expect(codes).toEqual([403, 403, 403, 429, 429]);
    const limited = await me(as('rita'));
    expect({ status: limited.statusCode, ...limited.json().error }).toMatchObject({ status: 429, code: 'rate_limited', field: 'x-api-key', rule: 'auth-failures' });
    // The application read with a reviewer key is limited the same way (it authenticates the key too).
    const applied = await apply(service, makeHolder());
    const read = await service.app.inject({ method: 'GET', url: `/applications/${applied.json.id}`, headers: as('rita'), remoteAddress: '10.0.0.7' });
    expect(read.statusCode).toBe(429);
    // Another address is not affected; after the window the address may try again.
    expect((await me(as('rita'), '10.0.0.8')).statusCode).toBe(200);
    clock.advance(61_000);
    expect((await me(as('rita'))).statusCode).toBe(200);
  });

  it('reads REVIEWER_AUTH_FAILURE_LIMIT with a default, refusing a bad value naming the variable', () => {
    const base = { ISSUER_KEY_SECRET: 'qNPJz5YDBjm4HeGqRaU1JHTebxXwST0H' };
    expect(loadConfig(base).reviewerAuthFailureLimitPerMinute).toBe(10);
    expect(loadConfig({ ...base, REVIEWER_AUTH_FAILURE_LIMIT: '25' }).reviewerAuthFailureLimitPerMinute).toBe(25);
    expect(() => loadConfig({ ...base, REVIEWER_AUTH_FAILURE_LIMIT: '0' })).toThrow(ConfigError);
    expect(() => loadConfig({ ...base, REVIEWER_AUTH_FAILURE_LIMIT: 'x' })).toThrow(/^REVIEWER_AUTH_FAILURE_LIMIT: /);
  });

  it('reading an application with a reviewer key needs the reviewer, approver or admin role (403 missing_role otherwise)', async () => {
    const service = await fresh();
    const applied = await apply(service, makeHolder());
    const url = `/applications/${applied.json.id}`;
    for (const who of ['vera', 'paul'] as const) {
      const res = await service.app.inject({ method: 'GET', url, headers: as(who) });
      expect({ status: res.statusCode, ...res.json().error }).toMatchObject({ status: 403, code: 'missing_role', field: 'x-api-key', rule: 'reviewer|approver|admin' });
    }
    for (const who of ['rita', 'arno', 'ada'] as const) {
      const res = await service.app.inject({ method: 'GET', url, headers: as(who) });
      expect(res.statusCode).toBe(200);
      expect(res.json().id).toBe(applied.json.id);
    }
  });
});
