import { getDidKeyResolver } from '@veramo/did-provider-key';
import { Resolver, type DIDResolver, type ResolverRegistry } from 'did-resolver';
import { getResolver as getEthrResolver } from 'ethr-did-resolver';
import type { Provider } from 'ethers';
import { invalidField } from '../api-error.js';
import { safeDidWebResolver, type DidWebResolutionOptions } from './did-web-resolution.js';

/**
 * Which DID methods a holder may apply with, and the one resolver that checks their signatures.
 *
 * - did:key always: the key is the identifier, nothing to fetch.
 * - did:web always: the document is fetched from `https://<host>/…/did.json`, by the guarded
 *   fetch of did-web-resolution.ts (public addresses only, no redirects, time and size bounds).
 * - did:ethr only when a chain is configured: the document is read from an ERC-1056
 *   EthereumDIDRegistry on that chain, so key rotations and revocations there take effect.
 *   DIDs naming any other network are refused up front rather than failing resolution later.
 *
 * **One DID, one spelling.** Every DID is normalised before it is stored or compared (`normalise`),
 * so case variants of the same identifier cannot open several applications:
 * - `did:` and the method name are case-insensitive (DID Core writes them in lower case): lowered.
 * - did:key: the multibase key is case-sensitive (base58btc): kept exactly.
 * - did:web: the host is a DNS name, case-insensitive: lowered, and the port separator written
 *   `%3A`; path segments are URL path parts, case-sensitive: kept.
 * - did:ethr: the network is written as its hex chain id (`0x7a69`; a configured name or bare
 *   mainnet form maps to it), the address or public key in lower-case hex (an EIP-55 checksum is
 *   only a spelling of the same account).
 */

/** The ERC-1056 registry holder did:ethr DIDs are resolved against. */
export interface EthrHolderChain {
  provider: Provider;
  registryAddress: string;
  /** The chain's id; the accepted DIDs are `did:ethr:<0x-hex chain id>:…` (plus bare `did:ethr:0x…` on mainnet). */
  chainId: bigint;
  /** Optional network name also accepted in DIDs (`did:ethr:<name>:…`). */
  name?: string;
}

export interface HolderDidMethodOptions {
  ethr?: EthrHolderChain;
  /** Rules and test seams for fetching did:web documents (did-web-resolution.ts). */
  web?: DidWebResolutionOptions;
  /** Replaces the did:web resolver altogether. */
  webResolver?: DIDResolver;
}

// did:key with a base58btc multibase key; length bounds cover Ed25519 through P-384 keys.
const DID_KEY = /^did:key:z[1-9A-HJ-NP-Za-km-z]{40,200}$/;
const DID_ANY = /^did:[a-z0-9]+:[A-Za-z0-9._:%-]+$/i;
// did:web: a host (optionally with a %3A-encoded port), then optional :path segments (not "." or "..").
const DID_WEB = /^did:web:[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*(%3A\d{1,5})?(:(?!\.{1,2}(:|$))[A-Za-z0-9._~-]+)*$/i;
// did:ethr:[network:]<address or compressed public key>
const DID_ETHR = /^did:ethr:(?:([A-Za-z0-9]+(?::[A-Za-z0-9]+)?):)?(0x[0-9a-fA-F]{40}|0x[0-9a-fA-F]{66})$/;

/** The accepted holder DID methods and a resolver for all of them. */
export class HolderDidMethods {
  readonly resolver: Resolver;
  private readonly ethrNetworks: Set<string>;

  constructor(private readonly options: HolderDidMethodOptions = {}) {
    const registry: ResolverRegistry = { ...getDidKeyResolver(), web: options.webResolver ?? safeDidWebResolver(options.web) };
    this.ethrNetworks = new Set();
    if (options.ethr) {
      const { provider, registryAddress, chainId, name } = options.ethr;
      const hexId = `0x${chainId.toString(16)}`;
      this.ethrNetworks.add(hexId);
      if (name) this.ethrNetworks.add(name);
      if (chainId === 1n) this.ethrNetworks.add('');
      // ethr-did-resolver's types come from ethers' CommonJS build and its own did-resolver copy;
      // the runtime shapes are the same, only the declarations differ.
      const network = { name: name ?? hexId, chainId: hexId, provider: provider as never, registry: registryAddress };
      Object.assign(registry, getEthrResolver({ networks: [network] }) as ResolverRegistry);
    }
    this.resolver = new Resolver(registry);
  }

  /** Human-readable list for error messages and docs, e.g. `did:key, did:web, did:ethr:0x7a69`. */
  describe(): string {
    const ethr = [...this.ethrNetworks].map((n) => (n ? `did:ethr:${n}` : 'did:ethr'));
    return ['did:key', 'did:web', ...ethr].join(', ');
  }

  /** Throws a 400 naming `field` unless `did` is well-formed and of an accepted method (and, for did:ethr, network). */
  assertSupported(did: unknown, field = 'did'): asserts did is string {
    this.normalise(did, field);
  }

  /**
   * The one spelling under which `did` is stored and compared (rules in the module comment).
   * Throws a 400 naming `field` unless `did` is well-formed and of an accepted method (and, for
   * did:ethr, network).
   */
  normalise(did: unknown, field = 'did'): string {
    if (typeof did !== 'string' || did.length > 256 || !DID_ANY.test(did)) {
      throw invalidField(field, 'did-syntax', 'must be a DID (did:<method>:<id>)');
    }
    const [, rawMethod, ...rest] = did.split(':');
    const method = rawMethod.toLowerCase();
    const lowered = `did:${method}:${rest.join(':')}`;
    if (method === 'key') {
      if (!DID_KEY.test(lowered)) throw invalidField(field, 'did-key', 'must be a did:key with a base58btc multibase key');
      return lowered;
    }
    if (method === 'web') {
      if (!DID_WEB.test(lowered)) throw invalidField(field, 'did-web', 'must be did:web:<host>[%3A<port>][:<path>…]');
      const [host, ...path] = rest;
      return ['did:web', host.toLowerCase().replace(/%3a/g, '%3A'), ...path].join(':');
    }
    if (method === 'ethr' && this.options.ethr) {
      const match = DID_ETHR.exec(lowered);
      if (!match) throw invalidField(field, 'did-ethr', 'must be did:ethr:[<network>:]<0x address or compressed public key>');
      const network = this.ethrNetworkOf(match[1] ?? '');
      if (network === null) {
        throw invalidField(field, 'did-ethr-network', `did:ethr network "${match[1] ?? 'mainnet'}" is not the configured chain (accepted: ${this.describe()})`);
      }
      return `did:ethr:${network}:${match[2].toLowerCase()}`;
    }
    throw invalidField(field, 'did-method', `holder DID method "${method}" is not supported (accepted: ${this.describe()})`);
  }

  /** The configured chain's hex id when `network` (hex id, name, or '' for mainnet) names it, else null. */
  private ethrNetworkOf(network: string): string | null {
    const chain = this.options.ethr;
    if (!chain) return null;
    const hexId = `0x${chain.chainId.toString(16)}`;
    if (/^0x[0-9a-f]+$/i.test(network)) return BigInt(network) === chain.chainId ? hexId : null;
    if (network === '') return chain.chainId === 1n ? hexId : null;
    return chain.name !== undefined && network.toLowerCase() === chain.name.toLowerCase() ? hexId : null;
  }
}
