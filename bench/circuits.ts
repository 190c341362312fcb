/**
 * Circuit figures for bench/results.json `circuits.<name>`: size, artifact
 * sizes, first-proof time (loading included) and steady-state witness, prove
 * and verify times (median of RUNS after a warm-up), with the prover kept in
 * memory as a wallet or relayer would.
 */
import { statSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { KycProver } from '@zkkyc/prover';
import { artifactsDir, loadArtifacts, type CircuitName } from '@zkkyc/prover/node';
import * as snarkjs from 'snarkjs';
import { benchRequest } from './kyc-request.js';
import { semaphoreArtifacts, semaphoreProver } from './semaphore.js';
import { median, round, timed } from './stats.js';

const RUNS = 5;
const ROOT = join(import.meta.dirname, '..');

export interface CircuitFigures {
  constraints: number;
  publicSignals: number;
  wasmBytes: number;
  zkeyBytes: number;
  firstProofMs: number;
  witnessMs: number;
  proveMs: number;
  totalProofMs: number;
  verifyMs: number;
  runs: number;
}

export async function benchKycCircuit(name: CircuitName): Promise<CircuitFigures> {
  const manifest = JSON.parse(readFileSync(join(ROOT, 'circuits', 'artifacts', 'manifest.json'), 'utf8'));
  const entry = manifest.circuits[name];
  const dir = artifactsDir(name);
  const request = benchRequest(entry.depth);

  const first = await timed(async () => {
    const prover = await KycProver.load(await loadArtifacts(name));
    return { prover, proof: await prover.prove(request) };
  });
  const { prover } = first.result;
  const witness: number[] = [];
  const prove: number[] = [];
  const verify: number[] = [];
  for (let i = 0; i <= RUNS; i++) {
    const proof = await prover.prove(request);
    const v = await timed(() => prover.verify(proof));
    if (!v.result) throw new Error(`${name}: a bench proof did not verify`);
    if (i === 0) continue; // warm-up
    witness.push(prover.lastTiming.witnessMs);
    prove.push(prover.lastTiming.proveMs);
    verify.push(v.ms);
  }
  return {
    constraints: entry.constraints,
    publicSignals: entry.publicSignals,
    wasmBytes: statSync(join(dir, `${name}.wasm`)).size,
    zkeyBytes: statSync(join(dir, `${name}.zkey`)).size,
    firstProofMs: round(first.ms),
    witnessMs: round(median(witness)),
    proveMs: round(median(prove)),
    totalProofMs: round(median(witness.map((w, i) => w + prove[i]))),
    verifyMs: round(median(verify)),
    runs: RUNS,
  };
}

/** The same measurements for Semaphore v4 at depth 32, the DESIGN §7 reference. */
export async function benchSemaphore32(): Promise<CircuitFigures> {
  const artifacts = await semaphoreArtifacts();
  const first = await timed(async () => {
    const prover = await semaphoreProver(artifacts);
    await prover.prove();
    return prover;
  });
  const prover = first.result;
  const witness: number[] = [];
  const prove: number[] = [];
  const verify: number[] = [];
  for (let i = 0; i <= RUNS; i++) {
    const p = await prover.prove();
    const v = await timed(() => snarkjs.groth16.verify(artifacts.vkey, p.publicSignals, p.proof));
    if (!v.result) throw new Error('semaphore32: a bench proof did not verify');
    if (i === 0) continue;
    witness.push(p.witnessMs);
    prove.push(p.proveMs);
    verify.push(v.ms);
  }
  return {
    constraints: artifacts.constraints,
    publicSignals: 4,
    wasmBytes: artifacts.wasm.length,
    zkeyBytes: artifacts.zkey.length,
    firstProofMs: round(first.ms),
    witnessMs: round(median(witness)),
    proveMs: round(median(prove)),
    totalProofMs: round(median(witness.map((w, i) => w + prove[i]))),
    verifyMs: round(median(verify)),
    runs: RUNS,
  };
}
