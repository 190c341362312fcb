/**
 * Circuit figures for bench/results.json `circuits.<name>`: size, artifact
 * sizes, first-proof time (loading included) and steady-state witness, prove
 * and verify times (median of RUNS after a warm-up round), with the prover
 * kept in memory as a wallet or relayer would.
 */
import { statSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateSingleKey } from '@zkkyc/escrow';
import { KycProver, type KycEscrowProof, type KycProof } from '@zkkyc/prover';
import { artifactsDir, loadArtifacts, nodeEscrowProver, type CircuitName, type EscrowCircuitName } from '@zkkyc/prover/node';
import * as snarkjs from 'snarkjs';
import { benchRequest } from './kyc-request.js';
import { semaphoreArtifacts, semaphoreProver } from './semaphore.js';
import { median, round, timed } from './stats.js';

const RUNS = 9;
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

interface Sample {
  witness: number[];
  prove: number[];
  verify: number[];
}

/**
 * First proof of each subject (loading included), then ROUNDS rounds in which
 * every subject proves and verifies once, in turn: interleaving puts the
 * circuits under the same machine conditions, which on a shared 2-core machine
 * matters more than the number of runs. The first round is a warm-up.
 */
async function measureInterleaved(subjects: Record<string, () => Promise<Measurable>>): Promise<Record<string, Timings>> {
  const loaded: Record<string, { subject: Measurable; firstProofMs: number; sample: Sample }> = {};
  for (const [name, load] of Object.entries(subjects)) {
    const first = await timed(async () => {
      const subject = await load();
      await subject.prove();
      return subject;
    });
    loaded[name] = { subject: first.result, firstProofMs: first.ms, sample: { witness: [], prove: [], verify: [] } };
  }
  for (let round = 0; round <= RUNS; round++) {
    for (const [name, { subject, sample }] of Object.entries(loaded)) {
      const p = await subject.prove();
      const v = await timed(() => subject.verify(p.proof, p.publicSignals));
      if (!v.result) throw new Error(`${name}: a bench proof did not verify`);
      if (round === 0) continue;
      sample.witness.push(p.witnessMs);
      sample.prove.push(p.proveMs);
      sample.verify.push(v.ms);
    }
  }
  const timings: Record<string, Timings> = {};
  for (const [name, { firstProofMs, sample }] of Object.entries(loaded)) {
    timings[name] = {
      firstProofMs: round(firstProofMs),
      witnessMs: round(median(sample.witness)),
      proveMs: round(median(sample.prove)),
      totalProofMs: round(median(sample.witness.map((w, i) => w + sample.prove[i]))),
      verifyMs: round(median(sample.verify)),
      runs: RUNS,
    };
  }
  return timings;
}

function kycSubject(name: CircuitName): () => Promise<Measurable> {
  return async () => {
    const manifest = JSON.parse(readFileSync(join(ROOT, 'circuits', 'artifacts', 'manifest.json'), 'utf8'));
    const request = benchRequest(manifest.circuits[name].depth);
    const prover = await KycProver.load(await loadArtifacts(name));
    return {
      async prove() {
        const p = await prover.prove(request);
        return { ...prover.lastTiming, proof: p.proof, publicSignals: p.publicSignals };
      },
      verify: (proof, publicSignals) => prover.verify({ proof: proof as KycProof['proof'], publicSignals }),
    };
  };
}

/**
 * The escrow variant on the same request as kycPolicy32, for a policy with a single escrow key
 * generated here (which key does not change the cost); a fresh `r` is drawn for every proof, as a
 * holder's prover does.
 */
function escrowSubject(name: EscrowCircuitName): () => Promise<Measurable> {
  return async () => {
    const manifest = JSON.parse(readFileSync(join(ROOT, 'circuits', 'artifacts', 'manifest.json'), 'utf8'));
    const request = { ...benchRequest(manifest.circuits[name].depth), escrowKey: generateSingleKey().publicKey };
    const prover = await nodeEscrowProver(name);
    return {
      async prove() {
        const p = await prover.prove(request);
        return { ...prover.lastTiming, proof: p.proof, publicSignals: p.publicSignals };
      },
      verify: (proof, publicSignals) => prover.verify({ proof: proof as KycEscrowProof['proof'], publicSignals }),
    };
  };
}

export type CircuitBenchFigures = CircuitFigures & { vsSemaphore32?: number; vsKycPolicy32?: number };

/**
 * Both kycPolicy circuits, the escrow variant kycPolicyEscrow32 and the DESIGN §7 reference,
 * Semaphore v4 at depth 32, measured in the same run; `vsSemaphore32` is the ratio of steady-state
 * proof times (witness + Groth16) to Semaphore's, and the escrow variant's `vsKycPolicy32` the
 * ratio to kycPolicy32's: what naming an escrow key costs a holder.
 */
export async function benchCircuits(): Promise<Record<string, CircuitBenchFigures>> {
  const manifest = JSON.parse(readFileSync(join(ROOT, 'circuits', 'artifacts', 'manifest.json'), 'utf8'));
  const semaphore = await semaphoreArtifacts();
  const timings = await measureInterleaved({
    semaphore32: async () => {
      const prover = await semaphoreProver(semaphore);
      return { prove: () => prover.prove(), verify: (proof, publicSignals) => snarkjs.groth16.verify(semaphore.vkey, publicSignals, proof) };
    },
    kycPolicy32: kycSubject('kycPolicy32'),
    kycPolicyEscrow32: escrowSubject('kycPolicyEscrow32'),
    kycPolicy20: kycSubject('kycPolicy20'),
  });
  const figures: Record<string, CircuitBenchFigures> = {
    semaphore32: { constraints: semaphore.constraints, publicSignals: 4, wasmBytes: semaphore.wasm.length, zkeyBytes: semaphore.zkey.length, ...timings.semaphore32 },
  };
  const ratio = (a: number, b: number) => Math.round((a / b) * 100) / 100;
  for (const name of ['kycPolicy32', 'kycPolicy20', 'kycPolicyEscrow32'] as const) {
    const dir = name === 'kycPolicyEscrow32' ? join(ROOT, 'circuits', 'artifacts', name) : artifactsDir(name);
    figures[name] = {
      constraints: manifest.circuits[name].constraints,
      publicSignals: manifest.circuits[name].publicSignals,
      wasmBytes: statSync(join(dir, `${name}.wasm`)).size,
      zkeyBytes: statSync(join(dir, `${name}.zkey`)).size,
      ...timings[name],
      vsSemaphore32: ratio(timings[name].totalProofMs, timings.semaphore32.totalProofMs),
      ...(name === 'kycPolicyEscrow32' ? { vsKycPolicy32: ratio(timings[name].totalProofMs, timings.kycPolicy32.totalProofMs) } : {}),
    };
  }
  return figures;
}
