import { JsonRpcProvider } from 'ethers';

/**
 * One agent key, one queue of sends. The monitor's playbook actions, its transfer holds and the
 * officers' approvals in the console all sign with the same agent key; each picks its nonce when it
 * sends (the executor picks and records it first, so that a crash cannot freeze twice). Two of them
 * picking at once would pick the same nonce, and one transaction would be refused or replace the
 * other. Every sender in the process runs "pick the nonce … broadcast" inside `run`, one at a time;
 * waiting for the receipt happens outside, so a slow block does not hold the others up.
 *
 * It orders the sends of one process only: two monitors sharing a key would still race, which is
 * one reason a database takes only one monitor (the instance lock).
 */
export class AgentSendLock {
  private tail: Promise<unknown> = Promise.resolve();

  /** Runs `send` after every send queued before it has settled; resolves or rejects as `send` does. */
  run<T>(send: () => Promise<T>): Promise<T> {
    const result = this.tail.then(send, send);
    this.tail = result.catch(() => undefined);
    return result;
  }
}

/**
 * The JSON-RPC provider for the agent's signer. ethers answers a request it saw in the last 250 ms
 * from its cache; for the signer that would hand the second of two quick sends the nonce the first
 * one already used (the send queue lets the next sender in right after a broadcast). No cache: each
 * nonce is asked of the node, which counts the transaction just sent.
 */
export function agentProvider(rpcUrl: string): JsonRpcProvider {
  return new JsonRpcProvider(rpcUrl, undefined, { staticNetwork: true, cacheTimeout: -1 });
}
