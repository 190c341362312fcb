import type { PolicyFailure } from '@zkkyc/credentials';
import type { KycProofRequest, SolidityCalldata } from '@zkkyc/prover';
import type { ProveCommand, ProverEvent } from './prover-messages.js';

/** The credential fails the policy; raised from the worker before any proving. */
export class NotEligibleError extends Error {
  constructor(readonly failures: PolicyFailure[]) {
    super(`not eligible: ${failures.map((f) => f.message).join('; ')}`);
    this.name = 'NotEligibleError';
  }
}

export interface WorkerProof {
  nullifier: bigint;
  solidityCalldata: SolidityCalldata;
  /** Witness + Groth16 time inside the worker. */
  proveMs: number;
  witnessMs: number;
  /** Fetching and compiling the artifacts (first proof only). */
  loadMs: number;
}

export type ProgressEvent = Extract<ProverEvent, { type: 'progress' }>;

/** Runs proofs in one long-lived worker (the artifacts are loaded once per page). */
export class WorkerProver {
  private worker: Worker | undefined;
  private busy = false;

  constructor(
    private readonly artifactsUrl: string,
    private readonly circuit = 'kycPolicy32',
    private readonly depth = 32,
  ) {}

  /** Proves `request` in the worker, reporting progress; rejects with NotEligibleError when the policy is not met. */
  prove(request: KycProofRequest, onProgress: (event: ProgressEvent) => void): Promise<WorkerProof> {
    if (this.busy) return Promise.reject(new Error('a proof is already being generated'));
    this.busy = true;
    this.worker ??= new Worker(new URL('./prove-worker.ts', import.meta.url), { type: 'module', name: 'zkkyc-prover' });
    const worker = this.worker;
    return new Promise<WorkerProof>((resolve, reject) => {
      const finish = () => {
        this.busy = false;
        worker.onmessage = null;
        worker.onerror = null;
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
        this.worker = undefined;
        worker.terminate();
        reject(new Error(`the proving worker crashed: ${event.message}`));
      };
      const command: ProveCommand = { type: 'prove', request, artifactsUrl: this.artifactsUrl, circuit: this.circuit, depth: this.depth };
      worker.postMessage(command);
    });
  }
}
