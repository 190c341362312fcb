/**
 * Circuit figures for bench/results.json `circuits.<name>`: size, artifact
 * sizes, first-proof time (loading included) and steady-state witness, prove
 * and verify times (median of RUNS after a warm-up), with the prover kept in
 * memory as a wallet or relayer would.
 */
import { statSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { KycProver, type KycProof } from '@zkkyc/prover';
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

/** One proving setup to measure: how to make a proof (with its timing) and check it. */
interface Measurable {
  prove(): Promise<{ witnessMs: number; proveMs: number; proof: object; publicSignals: string[] }>;
  verify(proof: object, publicSignals: string[]): Promise<boolean>;
}

type Timings = Pick<CircuitFigures, 'firstProofMs' | 'witnessMs' | 'proveMs' | 'totalProofMs' | 'verifyMs' | 'runs'>;

/** First proof (loading included), then the median of RUNS proofs after a warm-up, each verified. */
async function measure(name: string, load: () => Promise<Measurable>): Promise<Timings> {
  const first = await timed(async () => {
    const subject = await load();
    await subject.prove();
    return subject;
  });
  const subject = first.result;
  const witness: number[] = [];
  const prove: number[] = [];
  const verify: number[] = [];
  for (let i = 0; i <= RUNS; i++) {
    const p = await subject.prove();
    const v = await timed(() => subject.verify(p.proof, p.publicSignals));
    if (!v.result) throw new Error(`${name}: a bench proof did not verify`);
    if (i === 0) continue; // warm-up
    witness.push(p.witnessMs);
    prove.push(p.proveMs);
    verify.push(v.ms);
  }
  return {
    firstProofMs: round(first.ms),
    witnessMs: round(median(witness)),
    proveMs: round(median(prove)),
    totalProofMs: round(median(witness.map((w, i) => w + prove[i]))),
    verifyMs: round(median(verify)),
    runs: RUNS,
  };
}

export async function benchKycCircuit(name: CircuitName): Promise<CircuitFigures> {
  const manifest = JSON.parse(readFileSync(join(ROOT, 'circuits', 'artifacts', 'manifest.json'), 'utf8'));
  const entry = manifest.circuits[name];
  const dir = artifactsDir(name);
  const request = benchRequest(entry.depth);
  const timings = await measure(name, async () => {
    const prover = await KycProver.load(await loadArtifacts(name));
    return {
      async prove() {
        const p = await prover.prove(request);
        return { ...prover.lastTiming, proof: p.proof, publicSignals: p.publicSignals };
      },
      verify: (proof, publicSignals) => prover.verify({ proof: proof as KycProof['proof'], publicSignals }),
    };
  });
  return {
    constraints: entry.constraints,
    publicSignals: entry.publicSignals,
    wasmBytes: statSync(join(dir, `${name}.wasm`)).size,
    zkeyBytes: statSync(join(dir, `${name}.zkey`)).size,
    ...timings,
  };
}

/** The same measurements for Semaphore v4 at depth 32, the DESIGN §7 reference. */
export async function benchSemaphore32(): Promise<CircuitFigures> {
  const artifacts = await semaphoreArtifacts();
  const timings = await measure('semaphore32', async () => {
    const prover = await semaphoreProver(artifacts);
    return { prove: () => prover.prove(), verify: (proof, publicSignals) => snarkjs.groth16.verify(artifacts.vkey, publicSignals, proof) };
  });
  return { constraints: artifacts.constraints, publicSignals: 4, wasmBytes: artifacts.wasm.length, zkeyBytes: artifacts.zkey.length, ...timings };
}
