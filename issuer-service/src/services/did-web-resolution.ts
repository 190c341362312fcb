import { lookup as dnsLookup } from 'node:dns/promises';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { BlockList, isIP } from 'node:net';
import type { Duplex } from 'node:stream';
import { connect as tlsConnect, type ConnectionOptions } from 'node:tls';
import type { DIDResolutionResult, DIDResolver } from 'did-resolver';

/**
 * Resolving a holder's did:web without letting a stranger aim the issuer at its own network.
 *
 * `POST /challenges` and `POST /applications` are unauthenticated, and a did:web names a host the
 * service must fetch `https://<host>/…/did.json` from: a textbook server-side request forgery
 * (cloud metadata at 169.254.169.254, an admin port on 127.0.0.1, anything on 10/8). So:
 *
 * 1. https only; the URL is built from the DID, never taken from the request or a redirect.
 * 2. The host name is resolved here, once; every address it resolves to must be public (see
 *    `forbiddenAddressReason`: loopback, private, link-local, carrier-grade NAT, multicast,
 *    reserved and documentation ranges, and IPv6 forms that embed or translate to IPv4 — mapped,
 *    compatible, NAT64, 6to4, Teredo). The connection then goes to that checked address (TLS still
 *    verifies the certificate against the host name), so a second DNS answer — DNS rebinding —
 *    never gets a say.
 * 3. No redirects (any 3xx is a refusal), a deadline for the whole exchange, a cap on the body.
 * 4. A failure tells the client only that the document could not be retrieved; the reason
 *    (address, network error, status) goes to `didResolutionMetadata.detail`, for the server log.
 *
 * `allowPrivateNetworks` lifts rule 2 for a local dev setup (`DID_WEB_ALLOW_PRIVATE_NETWORKS=1`,
 * dev mode only). `lookup`, `connect` and `ca` are seams for tests.
 */

export interface DidWebResolutionOptions {
  /** Dev only: allow loopback and private targets (a did:web served from the developer's machine). */
  allowPrivateNetworks?: boolean;
  /** Deadline for DNS + connect + TLS + response, in ms (default 5000). */
  timeoutMs?: number;
  /** Largest document accepted, in bytes (default 64 KiB). */
  maxBytes?: number;
  /** DNS: every address `hostname` resolves to (default: the system resolver, all addresses). */
  lookup?: (hostname: string) => Promise<Array<{ address: string; family: 4 | 6 }>>;
  /** Opens the TLS connection to a checked address (default `tls.connect`). */
  connect?: (options: ConnectionOptions) => Duplex;
  /** Trusted CA certificates instead of Node's defaults (tests). */
  ca?: string[];
}

export const DID_WEB_DEFAULT_TIMEOUT_MS = 5000;
export const DID_WEB_DEFAULT_MAX_BYTES = 64 * 1024;

/** What the client is told whenever a did:web document cannot be had, whatever the reason. */
export const DID_WEB_UNAVAILABLE = 'the did:web document could not be retrieved over https from a public address';

// Special-purpose ranges (IANA IPv4/IPv6 special-purpose address registries) that a did:web host
// on the public internet never uses.
const FORBIDDEN_V4: Array<[string, number, string]> = [
  ['0.0.0.0', 8, 'this-network'],
  ['10.0.0.0', 8, 'private'],
  ['100.64.0.0', 10, 'carrier-grade-nat'],
  ['127.0.0.0', 8, 'loopback'],
  ['169.254.0.0', 16, 'link-local'],
  ['172.16.0.0', 12, 'private'],
  ['192.0.0.0', 24, 'ietf-protocol'],
  ['192.0.2.0', 24, 'documentation'],
  ['192.88.99.0', 24, '6to4-relay'],
  ['192.168.0.0', 16, 'private'],
  ['198.18.0.0', 15, 'benchmarking'],
  ['198.51.100.0', 24, 'documentation'],
  ['203.0.113.0', 24, 'documentation'],
  ['224.0.0.0', 4, 'multicast'],
  ['240.0.0.0', 4, 'reserved'],
];
const FORBIDDEN_V6: Array<[string, number, string]> = [
  ['::', 96, 'ipv4-compatible'], // includes :: and ::1
  ['64:ff9b::', 96, 'nat64'],
  ['64:ff9b:1::', 48, 'nat64-local'],
  ['100::', 64, 'discard'],
  ['2001::', 32, 'teredo'],
  ['2001:db8::', 32, 'documentation'],
  ['2002::', 16, '6to4'],
  ['fc00::', 7, 'unique-local'],
  ['fe80::', 10, 'link-local'],
  ['fec0::', 10, 'site-local'],
  ['ff00::', 8, 'multicast'],
];

const blocked = new Map<string, BlockList>();
for (const [net, prefix, reason] of [...FORBIDDEN_V4, ...FORBIDDEN_V6]) {
  const list = blocked.get(reason) ?? new BlockList();
  list.addSubnet(net, prefix, net.includes(':') ? 'ipv6' : 'ipv4');
  blocked.set(reason, list);
}

/**
 * Why `address` may not be fetched from (`'loopback'`, `'private'`, `'ipv4-mapped'`, …), or null
 * for a public unicast address. Anything that is not a parseable IP address is refused too.
 */
export function forbiddenAddressReason(address: string): string | null {
  const family = isIP(address);
  if (family === 0) return 'not-an-ip-address';
  for (const [reason, list] of blocked) {
    // Node's BlockList matches an IPv4 rule against the IPv4-mapped IPv6 form too (::ffff:10.0.0.1,
    // ::ffff:a00:1), so a mapped address is judged by the IPv4 address it carries.
    if (list.check(address, family === 6 ? 'ipv6' : 'ipv4')) return reason;
  }
  return null;
}

/** Where a did:web's document lives: `did:web:<host>[%3A<port>][:<path>…]`. */
export function didWebLocation(did: string): { hostname: string; port: number; path: string } {
  const [host, ...segments] = did.slice('did:web:'.length).split(':');
  const [hostname, portText] = host.split(/%3A/i);
  const port = portText === undefined ? 443 : Number(portText);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new Error(`port ${portText} out of range`);
  if (segments.some((s) => s === '.' || s === '..' || s === '')) throw new Error('empty or dot path segment');
  const path = segments.length > 0 ? `/${segments.map(decodeURIComponent).join('/')}/did.json` : '/.well-known/did.json';
  return { hostname: hostname.toLowerCase(), port, path };
}

class Refusal extends Error {}

async function systemLookup(hostname: string): Promise<Array<{ address: string; family: 4 | 6 }>> {
  const answers = await dnsLookup(hostname, { all: true, verbatim: true });
  return answers.map((a) => ({ address: a.address, family: a.family === 6 ? 6 : 4 }));
}

/** Resolves `hostname` and returns one address to connect to, after checking every answer. */
async function checkedAddress(hostname: string, options: DidWebResolutionOptions): Promise<{ address: string; family: 4 | 6 }> {
  const literal = isIP(hostname);
  const answers = literal ? [{ address: hostname, family: literal as 4 | 6 }] : await (options.lookup ?? systemLookup)(hostname);
  if (answers.length === 0) throw new Refusal(`${hostname} has no address`);
  if (!options.allowPrivateNetworks) {
    for (const a of answers) {
      const reason = forbiddenAddressReason(a.address);
      // One bad answer refuses the name: which one a client would get is not ours to choose.
      if (reason) throw new Refusal(`${hostname} resolves to ${a.address} (${reason})`);
    }
  }
  return answers[0];
}

/** GET over one TLS connection to the checked address; no redirects, capped body, one deadline. */
function fetchDocument(target: { address: string; family: 4 | 6 }, location: { hostname: string; port: number; path: string }, options: DidWebResolutionOptions, signal: AbortSignal): Promise<string> {
  const maxBytes = options.maxBytes ?? DID_WEB_DEFAULT_MAX_BYTES;
  const tlsOptions: ConnectionOptions = {
    host: target.address,
    port: location.port,
    // Certificate and SNI are checked against the host name, whatever address we connect to.
    servername: isIP(location.hostname) ? undefined : location.hostname,
    ALPNProtocols: ['http/1.1'],
    ...(options.ca ? { ca: options.ca } : {}),
  };
  return new Promise<string>((resolve, reject) => {
    const socket = (options.connect ?? tlsConnect)(tlsOptions);
    const hostHeader = location.port === 443 ? location.hostname : `${location.hostname}:${location.port}`;
    const req = httpRequest({
      createConnection: () => socket as never,
      method: 'GET',
      path: location.path,
      headers: { host: hostHeader, accept: 'application/did+json, application/did+ld+json, application/json', connection: 'close' },
      signal,
    });
    req.on('error', (err) => {
      socket.destroy();
      reject(err);
    });
    req.on('response', (res: IncomingMessage) => {
      const status = res.statusCode ?? 0;
      if (status !== 200) {
        res.resume();
        req.destroy();
        reject(new Refusal(status >= 300 && status < 400 ? `redirect (${status}) refused` : `answered ${status}`));
        return;
      }
      const declared = Number(res.headers['content-length'] ?? '0');
      if (declared > maxBytes) {
        req.destroy();
        reject(new Refusal(`document of ${declared} bytes exceeds ${maxBytes}`));
        return;
      }
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > maxBytes) {
          req.destroy();
          reject(new Refusal(`document exceeds ${maxBytes} bytes`));
          return;
        }
        chunks.push(chunk);
      });
      res.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
      res.on('error', reject);
    });
    req.end();
  });
}

/** Same DID up to the case rules of did:web (host case-insensitive, path case-sensitive). */
function sameDidWeb(a: string, b: string): boolean {
  const norm = (d: string) => {
    const [host, ...rest] = d.slice('did:web:'.length).split(':');
    return ['did:web', host.toLowerCase().replace(/%3a/g, '%3A'), ...rest].join(':');
  };
  return a.toLowerCase().startsWith('did:web:') && b.toLowerCase().startsWith('did:web:') && norm(a) === norm(b);
}

/** A did-resolver `DIDResolver` for `web` that follows the rules above. */
export function safeDidWebResolver(options: DidWebResolutionOptions = {}): DIDResolver {
  const timeoutMs = options.timeoutMs ?? DID_WEB_DEFAULT_TIMEOUT_MS;
  return async (did: string): Promise<DIDResolutionResult> => {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(new Refusal(`no document within ${timeoutMs} ms`)), timeoutMs);
    try {
      const location = didWebLocation(did);
      const deadline = new Promise<never>((_, reject) => controller.signal.addEventListener('abort', () => reject(controller.signal.reason), { once: true }));
      const target = await Promise.race([checkedAddress(location.hostname, options), deadline]);
      const body = await Promise.race([fetchDocument(target, location, options, controller.signal), deadline]);
      let document: unknown;
      try {
        document = JSON.parse(body);
      } catch {
        throw new Refusal('document is not JSON');
      }
      if (typeof document !== 'object' || document === null || Array.isArray(document)) throw new Refusal('document is not a JSON object');
      const id = (document as { id?: unknown }).id;
      if (typeof id !== 'string' || !sameDidWeb(id, did)) throw new Refusal(`document id ${String(id).slice(0, 100)} is not ${did}`);
      return {
        didDocument: document as DIDResolutionResult['didDocument'],
        didDocumentMetadata: {},
        didResolutionMetadata: { contentType: 'application/did+json' },
      };
    } catch (err) {
      return {
        didDocument: null,
        didDocumentMetadata: {},
        didResolutionMetadata: { error: 'notFound', message: DID_WEB_UNAVAILABLE, detail: (err as Error)?.message ?? String(err) },
      };
    } finally {
      clearTimeout(timer);
    }
  };
}
