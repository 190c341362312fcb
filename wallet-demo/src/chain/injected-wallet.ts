import { BrowserProvider, getAddress, type Eip1193Provider, type JsonRpcSigner } from 'ethers';

/**
 * A browser wallet the holder already has (MetaMask and the like), reached through the provider it
 * injects as `window.ethereum` (EIP-1193). Connecting asks it for an account (`eth_requestAccounts`),
 * checks it is on the deployment's chain (asking it to switch, `wallet_switchEthereumChain`, when it
 * is not), and wraps it in ethers' BrowserProvider, so the account signs the consent and sends
 * transactions from the browser wallet, which keeps its key.
 */

/** What an injected provider offers: EIP-1193 requests, and its events. */
export interface InjectedProvider extends Eip1193Provider {
  on?(event: string, listener: (...args: unknown[]) => void): void;
  removeListener?(event: string, listener: (...args: unknown[]) => void): void;
}

export type InjectedWalletProblem =
  /** No `window.ethereum`: no browser wallet installed (or it is disabled for this site). */
  | 'absent'
  /** The holder declined in the browser wallet (EIP-1193 error 4001). */
  | 'rejected'
  /** It offered no account. */
  | 'no-account'
  /** It is on another chain and did not switch. */
  | 'wrong-network';

/** Why a browser wallet could not be connected, with a sentence the holder can act on. */
export class InjectedWalletError extends Error {
  constructor(
    readonly problem: InjectedWalletProblem,
    message: string,
  ) {
    super(message);
    this.name = 'InjectedWalletError';
  }
}

/** A connected account of the browser wallet. */
export interface InjectedAccount {
  address: string;
  signer: JsonRpcSigner;
  provider: BrowserProvider;
  /** Stops listening to the browser wallet's events. */
  release(): void;
}

export interface InjectedWalletEvents {
  /** The holder switched (or disconnected: empty list) accounts in the browser wallet. */
  accountsChanged(accounts: string[]): void;
  /** The browser wallet moved to another chain (hex chain id). */
  chainChanged(chainId: string): void;
}

/** The injected provider, if the page has one. */
export function injectedProvider(): InjectedProvider | undefined {
  const candidate = (globalThis as { ethereum?: unknown }).ethereum as InjectedProvider | undefined;
  return candidate && typeof candidate.request === 'function' ? candidate : undefined;
}

const errorCode = (err: unknown): number | undefined => {
  const e = err as { code?: unknown; error?: { code?: unknown } } | null;
  const code = e?.code ?? e?.error?.code;
  return typeof code === 'number' ? code : undefined;
};

/** `0x1a4` → 420; anything else → NaN. */
function chainIdOf(value: unknown): number {
  return typeof value === 'string' && /^0x[0-9a-fA-F]+$/.test(value) ? Number.parseInt(value, 16) : Number.NaN;
}

/**
 * Connects the browser wallet's first account on chain `chainId`. Throws InjectedWalletError saying
 * what to do: install a wallet, approve the request, or switch networks.
 */
export async function connectInjectedWallet(chainId: number, events: InjectedWalletEvents, ethereum: InjectedProvider | undefined = injectedProvider()): Promise<InjectedAccount> {
  if (!ethereum) throw new InjectedWalletError('absent', 'No browser wallet found: install one (for example MetaMask) or enable it for this site, then try again.');
  let accounts: unknown;
  try {
    accounts = await ethereum.request({ method: 'eth_requestAccounts' });
  } catch (err) {
    if (errorCode(err) === 4001) throw new InjectedWalletError('rejected', 'The browser wallet declined the connection. Nothing was shared.');
    throw err;
  }
  const first = Array.isArray(accounts) ? accounts[0] : undefined;
  if (typeof first !== 'string') throw new InjectedWalletError('no-account', 'The browser wallet offered no account: unlock it or create an account in it, then connect again.');
  const address = getAddress(first);

  const current = chainIdOf(await ethereum.request({ method: 'eth_chainId' }));
  if (current !== chainId) {
    try {
      await ethereum.request({ method: 'wallet_switchEthereumChain', params: [{ chainId: `0x${chainId.toString(16)}` }] });
    } catch (err) {
      const why = errorCode(err) === 4902 ? 'it does not know that network yet: add it (chain id ' + chainId + ') in the browser wallet' : 'it did not switch';
      throw new InjectedWalletError(
        'wrong-network',
        `The browser wallet is on chain ${Number.isNaN(current) ? '(unknown)' : current}, but this token is on chain ${chainId}, and ${why}. Switch networks in the browser wallet and connect again.`,
      );
    }
    const after = chainIdOf(await ethereum.request({ method: 'eth_chainId' }));
    if (after !== chainId) throw new InjectedWalletError('wrong-network', `The browser wallet is still on chain ${after}, not ${chainId}. Switch networks in it and connect again.`);
  }

  const onAccounts = (list: unknown) => events.accountsChanged(Array.isArray(list) ? list.filter((a): a is string => typeof a === 'string') : []);
  const onChain = (id: unknown) => events.chainChanged(String(id));
  ethereum.on?.('accountsChanged', onAccounts);
  ethereum.on?.('chainChanged', onChain);
  const provider = new BrowserProvider(ethereum, chainId);
  return {
    address,
    signer: await provider.getSigner(address),
    provider,
    release() {
      ethereum.removeListener?.('accountsChanged', onAccounts);
      ethereum.removeListener?.('chainChanged', onChain);
    },
  };
}
