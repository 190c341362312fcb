import type { ChainEvent } from '../../src/model.js';

/** Synthetic decoded events for the store tests (the indexer tests read real ones from a node). */
export const TOKEN = '0x' + '7'.repeat(40);
export const GATE = '0x' + '6'.repeat(40);

let tx = 0;
export function event(blockNumber: number, name: string, args: Record<string, string>, source: ChainEvent['source'] = 'token', logIndex = 0): ChainEvent {
  tx++;
  return {
    chainId: 31337,
    txHash: '0x' + tx.toString(16).padStart(64, '0'),
    logIndex,
    blockNumber,
    blockHash: '0x' + blockNumber.toString(16).padStart(64, 'b'),
    blockTime: 1_700_000_000 + blockNumber * 12,
    address: source === 'gate' ? GATE : TOKEN,
    source,
    name,
    args,
  };
}

export function block(n: number) {
  return { number: n, hash: '0x' + n.toString(16).padStart(64, 'b'), time: 1_700_000_000 + n * 12 };
}

export function cursorAt(n: number) {
  return { chainId: 31337, blockNumber: n, blockHash: block(n).hash };
}
