/**
 * The reference point of DESIGN §7: a Semaphore v4 depth-32 proof (the npm
 * package's circuit, compiled here and given a dev setup from our ptau),
 * proved the same way as ours — witness generator compiled once, zkey held
 * in memory — in the same process, so the comparison is like for like.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as snarkjs from 'snarkjs';
import { WitnessCalculatorBuilder } from 'circom_runtime';

const ROOT = join(import.meta.dirname, '..');
const OUT = join(ROOT, 'circuits', 'build', 'semaphore32');
const PTAU = join(ROOT, 'circuits', 'ptau', 'zkkyc-dev-insecure-2e14.ptau');

export interface SemaphoreArtifacts {
  wasm: Uint8Array;
  zkey: Uint8Array;
  vkey: object;
  constraints: number;
}

/** Compiles Semaphore(32) and runs a dev setup once; later runs reuse circuits/build/semaphore32. */
export async function semaphoreArtifacts(): Promise<SemaphoreArtifacts> {
  const zkeyPath = join(OUT, 'semaphore32.zkey');
  const wasmPath = join(OUT, 'semaphore32_js', 'semaphore32.wasm');
  const metaPath = join(OUT, 'meta.json');
  if (!existsSync(zkeyPath) || !existsSync(metaPath)) {
    mkdirSync(OUT, { recursive: true });
    const main = join(OUT, 'semaphore32.circom');
    writeFileSync(main, 'pragma circom 2.1.5;\ninclude "../../../node_modules/@semaphore-protocol/circuits/src/semaphore.circom";\ncomponent main {public [message, scope]} = Semaphore(32);\n');
    const log = execFileSync(
      'npx',
      [
        '--no-install',
        'circom2',
        'circuits/build/semaphore32/semaphore32.circom',
        '--r1cs',
        '--wasm',
        '--O2',
        '-l',
        'node_modules/circomlib/circuits',
        '-l',
        'node_modules/@zk-kit/binary-merkle-root.circom/src',
        '-o',
        'circuits/build/semaphore32',
      ],
      { cwd: ROOT, encoding: 'utf8' },
    );
    const constraints = Number(/non-linear constraints: (\d+)/.exec(log)?.[1]) + Number(/\nlinear constraints: (\d+)/.exec(log)?.[1] ?? 0);
    const zkey0 = join(OUT, 'semaphore32_0.zkey');
    await snarkjs.zKey.newZKey(join(OUT, 'semaphore32.r1cs'), PTAU, zkey0);
    await snarkjs.zKey.beacon(zkey0, zkeyPath, 'bench only', '0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f', 10);
    writeFileSync(join(OUT, 'vkey.json'), JSON.stringify(await snarkjs.zKey.exportVerificationKey(zkeyPath)));
    writeFileSync(metaPath, JSON.stringify({ constraints }));
  }
  return {
    wasm: new Uint8Array(readFileSync(wasmPath)),
    zkey: new Uint8Array(readFileSync(zkeyPath)),
    vkey: JSON.parse(readFileSync(join(OUT, 'vkey.json'), 'utf8')),
    constraints: JSON.parse(readFileSync(metaPath, 'utf8')).constraints,
  };
}

type WitnessCalculator = { calculateWTNSBin(input: object, sanityCheck: boolean): Promise<Uint8Array> };

/** A Semaphore prover with the same in-memory treatment as KycProver. */
export async function semaphoreProver(a: SemaphoreArtifacts) {
  const wc = (await WitnessCalculatorBuilder(a.wasm, { memorySize: 256 })) as WitnessCalculator;
  // Any siblings give a valid witness: the root is an output of Semaphore v4.
  const input = {
    secret: '1234567890123456789',
    merkleProofLength: '32',
    merkleProofIndex: '5',
    merkleProofSiblings: Array.from({ length: 32 }, (_, i) => String(1000 + i)),
    message: '1',
    scope: '2',
  };
  return {
    async prove() {
      const w0 = performance.now();
      const witness = await wc.calculateWTNSBin(input, true);
      const w1 = performance.now();
      const { proof, publicSignals } = await snarkjs.groth16.prove(a.zkey, witness);
      return { witnessMs: w1 - w0, proveMs: performance.now() - w1, proof, publicSignals };
    },
  };
}
