import type { Log, Provider } from 'ethers';
import type { ChainClient } from '../indexer/chain-client.js';

/**
 * A ChainClient over any ethers Provider — for a chain that has no JSON-RPC URL, such as the demo's
 * in-process Hardhat network (`hre.ethers.provider`). The service itself uses JsonRpcChain; this
 * answers the same four questions the same way (hashes lower-case, times in unix seconds, null for
 * a block the node does not have). `close()` leaves the provider open: it belongs to the caller.
 */
export class ProviderChain implements ChainClient {
  private id: number | null = null;

  constructor(readonly provider: Provider) {}

  async chainId(): Promise<number> {
    this.id ??= Number((await this.provider.getNetwork()).chainId);
    return this.id;
  }

  async blockNumber(): Promise<number> {
    return this.provider.getBlockNumber();
  }

  async block(number: number): Promise<{ number: number; hash: string; time: number } | null> {
    const b = await this.provider.getBlock(number);
    if (!b || !b.hash) return null;
    return { number: b.number, hash: b.hash.toLowerCase(), time: b.timestamp };
  }

  async logs(addresses: string[], fromBlock: number, toBlock: number): Promise<Log[]> {
    return this.provider.getLogs({ address: addresses, fromBlock, toBlock });
  }

  close(): void {}
}
