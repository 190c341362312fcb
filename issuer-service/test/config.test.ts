import { describe, expect, it } from '@jest/globals';
import { ConfigError, DEV_KEY_SECRET, loadConfig, parseReviewerKeys } from '../src/config.js';

describe('loadConfig', () => {
  it('selects Postgres with DATABASE_URL and refuses a malformed URL, schema or partial anchor config, naming the variable', () => {
    const base = { ISSUER_KEY_SECRET: 'qNPJz5YDBjm4HeGqRaU1JHTebxXwST0H' };
    expect(loadConfig({ ...base, DATABASE_URL: 'postgres://u:p@127.0.0.1:5432/db', DATABASE_SCHEMA: 'issuer_a' })).toMatchObject({
      databaseUrl: 'postgres://u:p@127.0.0.1:5432/db',
      databaseSchema: 'issuer_a',
    });
    expect(loadConfig(base).databaseUrl).toBeUndefined();
    expect(() => loadConfig({ ...base, DATABASE_URL: 'mysql://x' })).toThrow(/^DATABASE_URL: /);
    expect(() => loadConfig({ ...base, DATABASE_URL: 'postgres://x/db', DATABASE_SCHEMA: 'Bad-Name; DROP' })).toThrow(/^DATABASE_SCHEMA: /);
    const anchor = {
      ANCHOR_RPC_URL: 'http://127.0.0.1:8545',
      ANCHOR_REGISTRY_ADDRESS: '0x' + '11'.repeat(20),
      ANCHOR_PUBLISHER_KEY: '0x' + '22'.repeat(32),
    };
    expect(loadConfig({ ...base, ...anchor }).anchor).toEqual({ rpcUrl: anchor.ANCHOR_RPC_URL, registryAddress: anchor.ANCHOR_REGISTRY_ADDRESS, publisherKey: anchor.ANCHOR_PUBLISHER_KEY });
    expect(() => loadConfig({ ...base, ...anchor, ANCHOR_PUBLISHER_KEY: '' })).toThrow(/^ANCHOR_PUBLISHER_KEY: /);
    expect(() => loadConfig({ ...base, ...anchor, ANCHOR_REGISTRY_ADDRESS: '0x12' })).toThrow(/^ANCHOR_REGISTRY_ADDRESS: /);
  });

  it('refuses to start without ISSUER_KEY_SECRET outside dev mode', () => {
    expect(() => loadConfig({})).toThrow(ConfigError);
    expect(() => loadConfig({})).toThrow(/ISSUER_KEY_SECRET/);
  });

  it('uses dev defaults with ZKKYC_DEV=1', () => {
    const c = loadConfig({ ZKKYC_DEV: '1', AUTO_APPROVE: '1' });
    expect(c).toMatchObject({
      dev: true,
      autoApprove: true,
      keySecret: DEV_KEY_SECRET,
      host: '127.0.0.1',
      port: 3100,
      databasePath: '.data/issuer.sqlite',
      reviewers: [{ name: 'dev-reviewer', apiKey: 'dev-reviewer-key', roles: ['reviewer', 'approver', 'revoker', 'publisher', 'admin'] }],
    });
  });

  it('refuses auto-approval outside dev mode, bad ports, short secrets and weak reviewer keys', () => {
    const secret = { ISSUER_KEY_SECRET: 'y9AYRoQouoZKXQtLGl3irfYeOj8ZFjjy' };
    expect(() => loadConfig({ ...secret, AUTO_APPROVE: '1' })).toThrow(/AUTO_APPROVE/);
    expect(() => loadConfig({ ...secret, PORT: '99999' })).toThrow(/PORT/);
    expect(() => loadConfig({ ...secret, PORT: '80a' })).toThrow(/PORT/);
    expect(() => loadConfig({ ISSUER_KEY_SECRET: 'short' })).toThrow(/ISSUER_KEY_SECRET/);
    expect(() => loadConfig({ ...secret, REVIEWER_API_KEYS: 'alice:short' })).toThrow(/REVIEWER_API_KEYS/);
    expect(() => loadConfig({ ...secret, REVIEWER_API_KEYS: 'no-colon-here-at-all' })).toThrow(/REVIEWER_API_KEYS/);
  });

  it('parses reviewer keys as name:key:roles entries, refusing entries without roles or with unknown ones', () => {
    expect(parseReviewerKeys('alice:Zq8vX2mK9pL4wR7z:reviewer, bob:Hn3tB6yQ1cF5jD8s:approver+revoker')).toEqual([
      { name: 'alice', apiKey: 'Zq8vX2mK9pL4wR7z', roles: ['reviewer'] },
      { name: 'bob', apiKey: 'Hn3tB6yQ1cF5jD8s', roles: ['approver', 'revoker'] },
    ]);
    expect(() => parseReviewerKeys('alice:Zq8vX2mK9pL4wR7z:reviewer,bob:Zq8vX2mK9pL4wR7z:approver')).toThrow(/share a key/);
    // The old name:key form is refused at start, and the message never carries the key.
    expect(() => parseReviewerKeys('alice:Zq8vX2mK9pL4wR7z')).toThrow(/entry 1 \("alice"\) is not name:key:roles/);
    expect(() => parseReviewerKeys('alice:Zq8vX2mK9pL4wR7z')).not.toThrow(/Zq8vX/);
    expect(() => parseReviewerKeys('alice:Zq8vX2mK9pL4wR7z:superuser')).toThrow(/unknown role "superuser"/);
  });
});
