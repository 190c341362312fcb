import { getDidKeyResolver } from '@veramo/did-provider-key';
import { Resolver, type DIDResolver, type ResolverRegistry } from 'did-resolver';
import { getResolver as getEthrResolver } from 'ethr-did-resolver';
import { getResolver as getWebResolver } from 'web-did-resolver';
import type { Provider } from 'ethers';
import { invalidField } from '../api-error.js';

/**
 * Which DID methods a holder may apply with, and the one resolver that checks their signatures.
 *
 * - did:key always: the key is the identifier, nothing to fetch.
 * - did:web always: the document is fetched from `https://<host>/…/did.json` (web-did-resolver).
 * - did:ethr only when a chain is configured: the document is read from an ERC-1056
 *   EthereumDIDRegistry on that chain, so key rotations and revocations there take effect.
 *   DIDs naming any other network are refused up front rather than failing resolution later.
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
  /** Replaces web-did-resolver (tests point did:web at a local server). */
  webResolver?: DIDResolver;
}

// did:key with a base58btc multibase key; length bounds cover Ed25519 through P-384 keys.
const DID_KEY = /^did:key:z[1-9A-HJ-NP-Za-km-z]{40,200}$/;
const DID_ANY = /^did:[a-z0-9]+:[A-Za-z0-9._:%-]+$/;
// did:web: a host (optionally with a %3A-encoded port), then optional :path segments.
const DID_WEB = /^did:web:[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*(%3A\d{1,5})?(:[A-Za-z0-9._~-]+)*$/i;
// did:ethr:[network:]<address or compressed public key>
const DID_ETHR = /^did:ethr:(?:([A-Za-z0-9]+(?::[A-Za-z0-9]+)?):)?(0x[0-9a-fA-F]{40}|0x[0-9a-fA-F]{66})$/;

/** The accepted holder DID methods and a resolver for all of them. */
export class HolderDidMethods {
  readonly resolver: Resolver;
  private readonly ethrNetworks: Set<string>;

  constructor(private readonly options: HolderDidMethodOptions = {}) {
    const registry: ResolverRegistry = { ...getDidKeyResolver(), web: options.webResolver ?? getWebResolver().web };
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
    if (typeof did !== 'string' || did.length > 256 || !DID_ANY.test(did)) {
      throw invalidField(field, 'did-syntax', 'must be a DID (did:<method>:<id>)');
    }
    const method = did.split(':')[1];
    if (method === 'key') {
      if (!DID_KEY.test(did)) throw invalidField(field, 'did-key', 'must be a did:key with a base58btc multibase key');
      return;
    }
    if (method === 'web') {
      if (!DID_WEB.test(did)) throw invalidField(field, 'did-web', 'must be did:web:<host>[%3A<port>][:<path>…]');
      return;
    }
    if (method === 'ethr' && this.options.ethr) {
      const match = DID_ETHR.exec(did);
      if (!match) throw invalidField(field, 'did-ethr', 'must be did:ethr:[<network>:]<0x address or compressed public key>');
      if (!this.ethrNetworks.has(match[1] ?? '')) {
        throw invalidField(field, 'did-ethr-network', `did:ethr network "${match[1] ?? 'mainnet'}" is not the configured chain (accepted: ${this.describe()})`);
      }
      return;
    }
    throw invalidField(field, 'did-method', `holder DID method "${method}" is not supported (accepted: ${this.describe()})`);
  }
}
