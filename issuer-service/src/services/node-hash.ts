import { buildPoseidon } from 'circomlibjs';
import { hashNode, type NodeHash } from '@zkkyc/tree';

let wasm: Promise<NodeHash> | null = null;

/**
 * The tree's node hash, Poseidon4, from circomlibjs' WebAssembly build: the same values as
 * poseidon-lite's `hashNode` (tested in tree-persistence.test.ts) at about a quarter of the cost
 * here (96 µs per hash against 353 µs), which is what an approval spends on its depth/2 nodes.
 * Built once per process; a failure to build falls back to poseidon-lite rather than refusing to start.
 */
export function wasmNodeHash(): Promise<NodeHash> {
  wasm ??= buildPoseidon().then(
    (poseidon): NodeHash =>
      (children) => {
        if (children.length !== 4) throw new RangeError(`a node has 4 children, got ${children.length}`);
        return poseidon.F.toObject(poseidon(children));
      },
    () => hashNode,
  );
  return wasm;
}
