import { FetchRequest, JsonRpcProvider, Network, type Log } from 'ethers';

/**
 * What the indexer needs from a node: the chain id, the head, a block's hash and time, and the logs
 * of some addresses over a block range. The seam lets a test wrap a real node (a proxy that drops),
 * never a mock of the chain itself.
 */
export interface ChainClient {
  chainId(): Promise<number>;
  blockNumber(): Promise<number>;
  /** The block's hash (lower-case) and time (unix seconds); null when the node has no such block (yet, or any more). */
  block(number: number): Promise<{ number: number; hash: string; time: number } | null>;
  /** `topics`: the first topic must be one of these (event signatures); all logs when omitted. */
  logs(addresses: string[], fromBlock: number, toBlock: number, topics?: string[]): Promise<Log[]>;
  close(): void;
}

/** Per-request timeout (ms): a node that accepts the connection and never answers must not stall the indexer for ethers' default 5 minutes. */
export const RPC_TIMEOUT_MS = 15_000;

/**
 * A ChainClient over JSON-RPC (ethers' JsonRpcProvider). The chain id is asked once, with a plain
 * `eth_chainId` request, and then fixed (`staticNetwork`): ethers then never re-detects the network,
 * and a node that is down at start is an ordinary error the indexer retries, not a provider that
 * retries on its own behind our back.
 */
export class JsonRpcChain implements ChainClient {
  private provider: JsonRpcProvider | null = null;
  private id: number | null = null;

  constructor(
    readonly url: string,
    private readonly timeoutMs = RPC_TIMEOUT_MS,
  ) {}

  private request(): FetchRequest {
    const req = new FetchRequest(this.url);
    req.timeout = this.timeoutMs;
    return req;
  }

  async chainId(): Promise<number> {
    if (this.id !== null) return this.id;
    const req = this.request();
    req.body = { jsonrpc: '2.0', id: 1, method: 'eth_chainId', params: [] };
    req.setHeader('content-type', 'application/json');
    const res = await req.send();
    res.assertOk();
    const body = res.bodyJson as { result?: string; error?: { message?: string } };
    if (typeof body.result !== 'string') throw new Error(`eth_chainId failed: ${body.error?.message ?? 'no result'}`);
    this.id = Number(BigInt(body.result));
    const network = Network.from(this.id);
    this.provider = new JsonRpcProvider(this.request(), network, { staticNetwork: network, batchMaxCount: 1, cacheTimeout: -1 });
    return this.id;
  }

  private async connected(): Promise<JsonRpcProvider> {
    if (!this.provider) await this.chainId();
    return this.provider!;
  }

  async blockNumber(): Promise<number> {
    return (await this.connected()).getBlockNumber();
  }

  async block(number: number): Promise<{ number: number; hash: string; time: number } | null> {
    const b = await (await this.connected()).getBlock(number);
    if (!b || !b.hash) return null;
    return { number: b.number, hash: b.hash.toLowerCase(), time: b.timestamp };
  }

  async logs(addresses: string[], fromBlock: number, toBlock: number, topics?: string[]): Promise<Log[]> {
    return (await this.connected()).getLogs({ address: addresses, fromBlock, toBlock, ...(topics ? { topics: [topics] } : {}) });
  }

  close(): void {
    this.provider?.destroy();
    this.provider = null;
  }
}
