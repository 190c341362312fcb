import type { PolicyFailure } from '@zkkyc/credentials';
import type { KycEscrowProofRequest, KycProofRequest } from '@zkkyc/prover';
import type { ProveCommand, ProvenStatement, ProverEvent, ProveStatement } from './prover-messages.js';

/** The credential fails the policy; raised from the worker before any proving. */
export class NotEligibleError extends Error {
  constructor(readonly failures: PolicyFailure[]) {
    super(`not eligible: ${failures.map((f) => f.message).join('; ')}`);
    this.name = 'NotEligibleError';
  }
}

/** The worker was stopped ({@link WorkerProver.terminate}) while it proved: no proof comes. */
export class ProvingStoppedError extends Error {
  constructor() {
    super('proving stopped: the proving worker was shut down (the wallet was locked)');
    this.name = 'ProvingStoppedError';
  }
}

/** A proof from the worker: its calldata (kycPolicy or escrow variant) and where the time went. */
export type WorkerProof = ProvenStatement & {
  nullifier: bigint;
  /** Groth16 time inside the worker. */
  proveMs: number;
  /** Witness time inside the worker. */
  witnessMs: number;
  /** Fetching and compiling this circuit's artifacts (its first proof only). */
  loadMs: number;
};

export type KycWorkerProof = Extract<WorkerProof, { kind: 'kyc' }>;
export type EscrowWorkerProof = Extract<WorkerProof, { kind: 'escrow' }>;

export type ProgressEvent = Extract<ProverEvent, { type: 'progress' }>;

/** A circuit the worker can load from the artifacts URL: its name and issuer-tree depth. */
export interface CircuitChoice {
  name: string;
  depth: number;
}

/**
 * Runs proofs in one worker, kept between proofs so that each circuit's artifacts load once. A
 * kycPolicy statement goes to `circuits.kyc`, an escrow one (a policy with an escrow key) to
 * `circuits.escrow`. {@link terminate} ends the worker — its WebAssembly memory holds the last
 * witness (identity secret, salt, attributes, Merkle path) — and the next proof starts a new one.
 */
export class WorkerProver {
  private worker: Worker | undefined;
  private busy = false;
  /** Rejects the proof in flight, if any. */
  private abandon: ((err: Error) => void) | undefined;

  constructor(
    private readonly artifactsUrl: string,
    private readonly circuits: { kyc: CircuitChoice; escrow: CircuitChoice } = {
      kyc: { name: 'kycPolicy32', depth: 32 },
      escrow: { name: 'kycPolicyEscrow32', depth: 32 },
    },
  ) {}

  /** Proves a kycPolicy statement in the worker, reporting progress; rejects with NotEligibleError when the policy is not met. */
  async prove(request: KycProofRequest, onProgress: (event: ProgressEvent) => void): Promise<KycWorkerProof> {
    const proof = await this.run({ kind: 'kyc', request }, onProgress);
    if (proof.kind !== 'kyc') throw new Error('the worker answered with an escrow proof');
    return proof;
  }

  /**
   * Proves the escrow variant for a policy with an escrow key, like `prove`; the worker's prover
   * also refuses a key outside the prime-order subgroup.
   */
  async proveEscrow(request: KycEscrowProofRequest, onProgress: (event: ProgressEvent) => void): Promise<EscrowWorkerProof> {
    const proof = await this.run({ kind: 'escrow', request }, onProgress);
    if (proof.kind !== 'escrow') throw new Error('the worker answered with a proof without escrow');
    return proof;
  }

  /**
   * Ends the worker now, and with it the memory that held the last witness; a proof in flight
   * rejects with ProvingStoppedError. The next prove() starts a fresh worker (and reloads the circuit).
   */
  terminate(): void {
    const worker = this.worker;
    this.worker = undefined;
    worker?.terminate();
    this.abandon?.(new ProvingStoppedError());
  }

  /** Whether a worker is running (one stays between proofs until {@link terminate}). */
  get hasWorker(): boolean {
    return this.worker !== undefined;
  }

  private run(statement: ProveStatement, onProgress: (event: ProgressEvent) => void): Promise<WorkerProof> {
    if (this.busy) return Promise.reject(new Error('a proof is already being generated'));
    this.busy = true;
    this.worker ??= new Worker(new URL('./prove-worker.ts', import.meta.url), { type: 'module', name: 'zkkyc-prover' });
    const worker = this.worker;
    return new Promise<WorkerProof>((resolve, reject) => {
      const finish = () => {
        this.busy = false;
        this.abandon = undefined;
        worker.onmessage = null;
        worker.onerror = null;
      };
      this.abandon = (err) => {
        finish();
        reject(err);
      };
      worker.onmessage = (message: MessageEvent<ProverEvent>) => {
        const event = message.data;
        if (event.type === 'progress') return onProgress(event);
        finish();
        if (event.type === 'done') resolve(event);
        else if (event.type === 'not-eligible') reject(new NotEligibleError(event.failures));
        else reject(new Error(`proving failed: ${event.message}`));
      };
      worker.onerror = (event) => {
        finish();
        if (this.worker === worker) this.worker = undefined;
        worker.terminate();
        reject(new Error(`the proving worker crashed: ${event.message}`));
      };
      const circuit = this.circuits[statement.kind];
      const command = { ...statement, type: 'prove', artifactsUrl: this.artifactsUrl, circuit: circuit.name, depth: circuit.depth } as ProveCommand;
      worker.postMessage(command);
    });
  }
}
