import { JsonRpcProvider, Wallet, type Signer } from 'ethers';
import { connectZkKyc, type ZkKycContracts, type ZkKycDeployment } from '@zkkyc/sdk';

/** The JSON-RPC node did not answer (down, wrong URL) or serves another chain. */
export class ChainUnreachableError extends Error {
  constructor(
    readonly rpcUrl: string,
    reason: string,
  ) {
    super(`chain unreachable at ${rpcUrl}: ${reason}`);
    this.name = 'ChainUnreachableError';
  }
}

export interface ChainConnection {
  provider: JsonRpcProvider;
  /** Contracts bound to the holder's wallet: reads and the holder's own transactions. */
  contracts: ZkKycContracts;
}

const PROBE_TIMEOUT_MS = 4000;

/**
 * Connects to the deployment's chain as the holder's wallet: one of its own accounts (a Wallet,
 * connected to the node here) or a browser wallet's account (a signer that keeps its own
 * connection, injected-wallet.ts). Probes the node first so an unreachable chain is reported as
 * such instead of as ethers' endless network detection.
 */
export async function connectChain(rpcUrl: string, deployment: ZkKycDeployment, wallet: Wallet | Signer): Promise<ChainConnection> {
  const provider = new JsonRpcProvider(rpcUrl, deployment.chainId, { staticNetwork: true, batchMaxCount: 1 });
  // A local dev node mines on every transaction; ethers' default 4 s poll would be most of the wait.
  provider.pollingInterval = 250;
  let chainId: bigint;
  try {
    chainId = await withTimeout(provider.send('eth_chainId', []).then(BigInt), PROBE_TIMEOUT_MS);
  } catch (err) {
    provider.destroy();
    throw new ChainUnreachableError(rpcUrl, err instanceof Error ? err.message : String(err));
  }
  if (chainId !== BigInt(deployment.chainId)) {
    provider.destroy();
    throw new ChainUnreachableError(rpcUrl, `the node is chain ${chainId}, the deployment is on chain ${deployment.chainId}`);
  }
  return { provider, contracts: connectZkKyc(deployment, wallet instanceof Wallet ? wallet.connect(provider) : wallet) };
}

/** Whether an error means the node could not be reached (as opposed to a contract refusal). */
export function isConnectionFailure(err: unknown): boolean {
  const e = err as { code?: string; message?: string } | null;
  if (!e) return false;
  if (e.code === 'NETWORK_ERROR' || e.code === 'TIMEOUT') return true;
  return /failed to fetch|fetch failed|ECONNREFUSED|NetworkError|timed out/i.test(e.message ?? '');
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
    promise.then(
      (v) => {
        clearTimeout(timer);
        resolve(v);
      },
      (e) => {
        clearTimeout(timer);
        reject(e);
      },
    );
  });
}
