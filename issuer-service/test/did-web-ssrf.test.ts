import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import './support/inject-shim.js';
import { connect as tlsConnect, type ConnectionOptions } from 'node:tls';
import { createJWT, ES256KSigner } from 'did-jwt';
import { getBytes, Wallet } from 'ethers';
import { identityCommitment, randomIdentitySecret } from '@zkkyc/credentials';

/**
 * did:web resolution cannot be turned against the issuer's own network (server-side request
 * forgery). Every server here listens on 127.0.0.1; every resolution the service is asked to make
 * either goes to one of them or is refused before any connection:
 *
 * - `counting`: a TCP server that only counts connections. The resolver's connect step is replaced
 *   (a seam the service offers for tests) by one that records the address it was asked for and
 *   then connects here instead, so a target the service should refuse can never be reached — and a
 *   refusal is asserted by `connections() === 0` and no recorded connect.
 * - `host`: an HTTPS server with a throwaway certificate for `holder.example.test`; the DNS step is
 *   replaced by a table (`names`), so the name resolves to whatever a case needs.
 *
 * web-did-resolver's transport (cross-fetch) is pointed at the counting server too, so that code
 * which still used it would be caught connecting instead of reaching the network.
 */
const HOST = 'holder.example.test';
let countingUrl = 'http://127.0.0.1:9';
jest.unstable_mockModule('cross-fetch', () => ({
  default: (url: string, init?: RequestInit) => fetch(countingUrl + new URL(url).pathname, init),
}));
const { apply, startService, tempDir, testConfig } = await import('./support/service.js');
const { holderDidWebDocument, selfSignedCertificate, startCountingServer, startTlsHost } = await import('./support/did-web-hosts.js');
type TestHolder = import('./support/holder.js').TestHolder;
type IssuerService = import('../src/issuer-service.js').IssuerService;

const tls = selfSignedCertificate(HOST);
let counting: Awaited<ReturnType<typeof startCountingServer>>;
let host: Awaited<ReturnType<typeof startTlsHost>>;
const dirs = [tempDir(), tempDir()];
/** name → addresses the DNS seam answers with (a function: a different answer per call). */
const names = new Map<string, () => Array<{ address: string; family: 4 | 6 }>>();
const lookups: string[] = [];
const connects: string[] = [];
/** Where the connect seam sends a connection: the counting server unless a case says otherwise. */
let connectTo: () => { port: number } = () => ({ port: counting.port });

const seams = {
  async lookup(hostname: string) {
    lookups.push(hostname);
    const answer = names.get(hostname);
    if (!answer) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' });
    return answer();
  },
  connect(options: ConnectionOptions) {
    connects.push(`${options.host}:${options.port}`);
    return tlsConnect({ ...options, host: '127.0.0.1', ...connectTo() });
  },
  ca: [tls.cert],
  timeoutMs: 400,
  maxBytes: 4096,
};

let strict: IssuerService; // production rules: private targets refused
let devAllowed: IssuerService; // dev allowance: private targets allowed (how a local wallet demo runs did:web)

beforeAll(async () => {
  counting = await startCountingServer();
  countingUrl = `http://127.0.0.1:${counting.port}`;
  host = await startTlsHost(tls);
  // The options are passed untyped so this file also compiles against a service without the seams.
  strict = await startService(testConfig(dirs[0].dbPath), { holderDids: { web: seams } } as never);
  devAllowed = await startService(
    { ...testConfig(dirs[1].dbPath, { dev: true }), didWebAllowPrivateNetworks: true } as never,
    {
      holderDids: { web: { ...seams, connect: undefined } },
    } as never,
  );
});
afterAll(async () => {
  await strict?.close();
  await devAllowed?.close();
  await host?.close();
  await counting?.close();
  for (const d of dirs) d.cleanup();
});

function holderFor(did: string, key = Wallet.createRandom().privateKey): TestHolder {
  const signer = ES256KSigner(getBytes(key));
  const secret = randomIdentitySecret();
  return { did, secret, idc: identityCommitment(secret), sign: (nonce, extra = {}) => createJWT({ nonce, ...extra }, { issuer: did, signer }, { alg: 'ES256K' }) };
}

/** Applies as `did`; returns the answer and what changed in the database besides the challenge. */
async function applyAs(service: IssuerService, holder: TestHolder) {
  const before = await service.store.rowCounts();
  const res = await apply(service, holder);
  const after = await service.store.rowCounts();
  const changed = Object.keys(after).filter((t) => (after as any)[t] - (before as any)[t] !== (t === 'challenges' ? 1 : 0));
  return { ...res, changed };
}

function expectGenericRefusal(res: { statusCode: number; json: any; changed: string[] }, ...secrets: string[]) {
  expect(res.statusCode).toBe(400);
  expect(res.json.error).toMatchObject({ code: 'did_unresolvable', field: 'did', rule: 'did-resolution' });
  // Nothing about the network reaches the client: no address, port, error code or library text.
  for (const s of ['ECONN', 'ENOTFOUND', 'EHOSTUNREACH', 'socket', 'certificate', 'resolver_error', 'getaddrinfo', ...secrets]) {
    expect(res.json.error.message).not.toContain(s);
  }
  expect(res.changed).toEqual([]);
}

describe('did:web targets on forbidden networks are refused before any connection', () => {
  const families = (addresses: string[]) => addresses.map((address) => ({ address, family: (address.includes(':') ? 6 : 4) as 4 | 6 }));

  it.each([
    ['loopback IPv4 literal', () => `did:web:127.0.0.1%3A${counting.port}`, [] as string[]],
    ['private 10/8 literal', () => 'did:web:10.20.30.40', []],
    ['private 192.168/16 literal', () => 'did:web:192.168.1.1', []],
    ['link-local (cloud metadata) literal', () => 'did:web:169.254.169.254', []],
    ['unspecified 0.0.0.0', () => 'did:web:0.0.0.0', []],
    ['a name resolving to loopback IPv4', () => `did:web:v4loop.example.test%3A${counting.port}`, ['127.0.0.1']],
    ['a name resolving to ::1', () => 'did:web:v6loop.example.test', ['::1']],
    ['a name resolving to IPv4-mapped loopback', () => 'did:web:mapped.example.test', ['::ffff:127.0.0.1']],
    ['a name resolving to IPv4-mapped private (hex form)', () => 'did:web:mappedhex.example.test', ['::ffff:a00:1']],
    ['a name resolving to a unique-local IPv6', () => 'did:web:ula.example.test', ['fd12:3456::1']],
    ['a name resolving to a link-local IPv6', () => 'did:web:ll6.example.test', ['fe80::1']],
    ['a name resolving to NAT64 of a private address', () => 'did:web:nat64.example.test', ['64:ff9b::a00:1']],
    ['a name resolving to 100.64/10 (carrier-grade NAT)', () => 'did:web:cgnat.example.test', ['100.64.0.1']],
    ['a name with a public and a private address', () => 'did:web:mixed.example.test', ['93.184.216.34', '10.0.0.1']],
  ])('%s', async (_what, didOf, addresses) => {
    const did = didOf();
    const name = did.split(':')[2].split('%3A')[0];
    if (addresses.length > 0) names.set(name, () => families(addresses));
    lookups.length = 0;
    connects.length = 0;
    const before = counting.connections();
    const res = await applyAs(strict, holderFor(did));
    expectGenericRefusal(res, name, ...addresses);
    expect(connects).toEqual([]);
    expect(counting.connections()).toBe(before);
    if (addresses.length > 0) expect(lookups).toEqual([name]);
  });

  it('refuses a name that does not resolve with the same generic answer', async () => {
    connects.length = 0;
    const res = await applyAs(strict, holderFor('did:web:nowhere.example.test'));
    expectGenericRefusal(res, 'nowhere.example.test');
    expect(connects).toEqual([]);
  });
});

describe('did:web over https only, no redirects, bounded in time and size', () => {
  const key = Wallet.createRandom().privateKey;

  it('resolves a public-looking name over https, connecting to the address it checked (DNS rebinding cannot swap it)', async () => {
    const did = `did:web:${HOST}%3A${host.port}:rebind`;
    let calls = 0;
    // First answer public, every later answer loopback: a second lookup would be the rebinding.
    names.set(HOST, () => (calls++ === 0 ? [{ address: '93.184.216.34', family: 4 }] : [{ address: '127.0.0.1', family: 4 }]));
    host.routes.set('/rebind/did.json', (_req, res) => res.writeHead(200, { 'content-type': 'application/did+json' }).end(JSON.stringify(holderDidWebDocument(did, key))));
    connectTo = () => ({ port: host.port });
    lookups.length = 0;
    connects.length = 0;
    try {
      const res = await applyAs(strict, holderFor(did, key));
      expect(res.json).toMatchObject({ status: 'pending' });
      expect(res.statusCode).toBe(201);
      expect(connects).toEqual([`93.184.216.34:${host.port}`]);
      expect(lookups).toEqual([HOST]);
    } finally {
      connectTo = () => ({ port: counting.port });
    }
  });

  it('allows loopback targets only with the dev allowance, and still checks TLS against the host name', async () => {
    names.set(HOST, () => [{ address: '127.0.0.1', family: 4 }]);
    const did = `did:web:${HOST}%3A${host.port}:alice`;
    host.routes.set('/alice/did.json', (_req, res) => res.writeHead(200).end(JSON.stringify(holderDidWebDocument(did, key))));
    const ok = await applyAs(devAllowed, holderFor(did, key));
    expect(ok.statusCode).toBe(201);
    expect(host.hits).toContain('/alice/did.json');
    // The certificate names holder.example.test, not this alias of the same address.
    names.set('alias.example.test', () => [{ address: '127.0.0.1', family: 4 }]);
    const aliasDid = `did:web:alias.example.test%3A${host.port}:alice`;
    expectGenericRefusal(await applyAs(devAllowed, holderFor(aliasDid, key)));
  });

  it.each([
    ['a redirect to plain http on loopback', (res: any) => res.writeHead(302, { location: `http://127.0.0.1:${counting.port}/did.json` }).end()],
    ['a redirect to the same host', (res: any) => res.writeHead(301, { location: `/alice/did.json` }).end()],
    ['a document larger than the cap', (res: any) => res.writeHead(200).end(JSON.stringify({ id: 'x', pad: 'x'.repeat(10_000) }))],
    ['a body that is not JSON', (res: any) => res.writeHead(200).end('<html>hello</html>')],
    ['a document for another DID', (res: any) => res.writeHead(200).end(JSON.stringify(holderDidWebDocument('did:web:other.example.test', key)))],
    ['a server error', (res: any) => res.writeHead(500).end('{"detail":"stack trace at /srv/app.js"}')],
    ['no answer within the timeout', (_res: any) => undefined],
  ])('refuses %s with a generic answer', async (_what, handler) => {
    names.set(HOST, () => [{ address: '127.0.0.1', family: 4 }]);
    const path = `p${Math.random().toString(36).slice(2, 8)}`;
    const did = `did:web:${HOST}%3A${host.port}:${path}`;
    host.routes.set(`/${path}/did.json`, (_req, res) => handler(res));
    const before = counting.connections();
    const started = Date.now();
    const res = await applyAs(devAllowed, holderFor(did, key));
    expectGenericRefusal(res, String(host.port), '/srv/app.js');
    expect(Date.now() - started).toBeLessThan(5000);
    expect(counting.connections()).toBe(before);
    expect(host.hits).toContain(`/${path}/did.json`);
  });

  it('refuses a host that speaks plain http (no TLS) without echoing the error', async () => {
    names.set('plain.example.test', () => [{ address: '127.0.0.1', family: 4 }]);
    const before = counting.connections();
    const res = await applyAs(devAllowed, holderFor(`did:web:plain.example.test%3A${counting.port}`));
    expectGenericRefusal(res, String(counting.port));
    // It did connect (loopback is allowed in dev) and the TLS handshake failed.
    expect(counting.connections()).toBe(before + 1);
  });
});

describe('forbiddenAddressReason', () => {
  it('refuses special-purpose IPv4 and IPv6 ranges, including IPv4 carried in IPv6, and accepts public unicast', async () => {
    const { forbiddenAddressReason } = await import('../src/services/did-web-resolution.js');
    const refused: Record<string, string> = {
      '127.0.0.1': 'loopback',
      '127.255.0.9': 'loopback',
      '10.1.2.3': 'private',
      '172.31.255.255': 'private',
      '192.168.0.1': 'private',
      '169.254.169.254': 'link-local',
      '100.100.100.200': 'carrier-grade-nat',
      '0.0.0.0': 'this-network',
      '224.0.0.1': 'multicast',
      '255.255.255.255': 'reserved',
      '::1': 'ipv4-compatible',
      '::': 'ipv4-compatible',
      '::ffff:127.0.0.1': 'loopback',
      '::ffff:7f00:1': 'loopback',
      '::ffff:169.254.169.254': 'link-local',
      '64:ff9b::808:808': 'nat64',
      '2002:7f00:1::': '6to4',
      '2001:0:4136:e378::1': 'teredo',
      'fd00:ec2::254': 'unique-local',
      'fe80::1': 'link-local',
      'ff02::1': 'multicast',
      '2001:db8::1': 'documentation',
      localhost: 'not-an-ip-address',
    };
    for (const [address, reason] of Object.entries(refused)) expect([address, forbiddenAddressReason(address)]).toEqual([address, reason]);
    for (const address of ['93.184.216.34', '1.1.1.1', '172.32.0.1', '2606:4700:4700::1111', '::ffff:93.184.216.34']) {
      expect([address, forbiddenAddressReason(address)]).toEqual([address, null]);
    }
  });
});

describe('DID_WEB_ALLOW_PRIVATE_NETWORKS', () => {
  it('is a dev-mode allowance only, in the config and in createIssuerService', async () => {
    const { ConfigError, loadConfig } = await import('../src/config.js');
    const strong = { ISSUER_KEY_SECRET: 'Tq8#vX2!mK9$pL4@wR7z' };
    expect(loadConfig(strong).didWebAllowPrivateNetworks).toBeUndefined();
    expect(() => loadConfig({ ...strong, DID_WEB_ALLOW_PRIVATE_NETWORKS: '1' })).toThrow(ConfigError);
    expect(() => loadConfig({ ...strong, DID_WEB_ALLOW_PRIVATE_NETWORKS: '1' })).toThrow(/^DID_WEB_ALLOW_PRIVATE_NETWORKS: /);
    expect(loadConfig({ ZKKYC_DEV: '1', DID_WEB_ALLOW_PRIVATE_NETWORKS: '1' }).didWebAllowPrivateNetworks).toBe(true);
    const dir = tempDir();
    try {
      await expect(startService({ ...testConfig(dir.dbPath), didWebAllowPrivateNetworks: true })).rejects.toThrow(/dev mode/);
    } finally {
      dir.cleanup();
    }
  });
});
