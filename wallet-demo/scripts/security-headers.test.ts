import { describe, expect, it } from '@jest/globals';
import { contentSecurityPolicy, securityHeaders } from './security-headers.js';

const directives = (csp: string) => Object.fromEntries(csp.split('; ').map((d) => [d.split(' ')[0], d.split(' ').slice(1)]));

describe('wallet security headers', () => {
  it('lets the wallet talk to its own origin, the issuer, the node and the relayer, and nowhere else', () => {
    const csp = directives(contentSecurityPolicy({ issuerUrl: 'http://127.0.0.1:3100/', rpcUrl: 'http://127.0.0.1:8545', relayerUrl: 'https://relay.example.com/v1/register' }));
    expect(csp['connect-src']).toEqual(["'self'", 'http://127.0.0.1:3100', 'http://127.0.0.1:8545', 'https://relay.example.com']);
    expect(csp['default-src']).toEqual(["'self'"]);
    expect(csp['script-src']).toEqual(["'self'", "'wasm-unsafe-eval'"]);
    expect(csp['worker-src']).toEqual(["'self'", 'blob:']);
    expect(csp['frame-ancestors']).toEqual(["'none'"]);
    expect(csp['object-src']).toEqual(["'none'"]);
    expect(csp['base-uri']).toEqual(["'none'"]);
    expect(csp['style-src']).toEqual(["'self'"]);
    expect(csp['img-src']).toEqual(["'self'", 'data:']);
    expect(csp['form-action']).toEqual(["'self'"]);
    // A relative URL is the wallet's own server: 'self' already covers it.
    expect(directives(contentSecurityPolicy({ issuerUrl: 'http://127.0.0.1:3100', relayerUrl: 'relay' }))['connect-src']).toEqual(["'self'", 'http://127.0.0.1:3100']);
    // Without a relayer, no relayer origin.
    expect(directives(contentSecurityPolicy({ issuerUrl: 'http://127.0.0.1:3100' }))['connect-src']).toEqual(["'self'", 'http://127.0.0.1:3100']);
  });

  it('adds the anti-framing, no-sniff and referrer headers', () => {
    expect(securityHeaders({})).toMatchObject({ 'x-frame-options': 'DENY', 'x-content-type-options': 'nosniff', 'referrer-policy': 'no-referrer' });
  });

  it('refuses a configured URL that is not an absolute http(s) URL, naming the field', () => {
    expect(() => contentSecurityPolicy({ rpcUrl: 'ws://127.0.0.1:8545' })).toThrow(/^rpcUrl: must be an http or https URL/);
    expect(() => contentSecurityPolicy({ issuerUrl: "http://a.example 'unsafe-inline'" })).toThrow(/^issuerUrl: must be an absolute URL/);
    expect(() => contentSecurityPolicy({ relayerUrl: 'javascript:alert(1)' })).toThrow(/^relayerUrl: must be an http or https URL/);
  });
});
