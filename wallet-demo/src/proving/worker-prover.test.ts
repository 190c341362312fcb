/**
 * The prover's worker holds the last witness (identity secret, salt, attributes) in its memory:
 * terminate() must end it, fail a proof in flight, and let the next proof start a new worker.
 * The Worker here is a stand-in that records what it was asked and answers when told to.
 */
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import type { KycProofRequest } from '@zkkyc/prover';
import { ProvingStoppedError, WorkerProver } from './worker-prover.js';

class RecordingWorker {
  static made: RecordingWorker[] = [];
  onmessage: ((event: { data: unknown }) => void) | null = null;
  onerror: ((event: { message: string }) => void) | null = null;
  posted: unknown[] = [];
  terminated = false;
  constructor() {
    RecordingWorker.made.push(this);
  }
  postMessage(message: unknown): void {
    this.posted.push(message);
  }
  terminate(): void {
    this.terminated = true;
  }
  answer(data: unknown): void {
    this.onmessage?.({ data });
  }
}

const request = { wallet: '0x0000000000000000000000000000000000000001' } as unknown as KycProofRequest;
const done = { type: 'done', kind: 'kyc', nullifier: 1n, proveMs: 1, witnessMs: 1, loadMs: 0 };

describe('WorkerProver.terminate', () => {
  const global = globalThis as unknown as { Worker?: unknown };
  let saved: unknown;
  beforeEach(() => {
    saved = global.Worker;
    global.Worker = RecordingWorker;
    RecordingWorker.made = [];
  });
  afterEach(() => {
    global.Worker = saved;
  });

  it('ends the worker, fails the proof in flight, and the next proof starts a new worker', async () => {
    const prover = new WorkerProver('http://127.0.0.1/artifacts');
    const first = prover.prove(request, () => undefined);
    expect(RecordingWorker.made).toHaveLength(1);
    expect(prover.hasWorker).toBe(true);

    prover.terminate();
    expect(RecordingWorker.made[0].terminated).toBe(true);
    expect(prover.hasWorker).toBe(false);
    await expect(first).rejects.toBeInstanceOf(ProvingStoppedError);

    // Not "a proof is already being generated": the stopped proof freed the prover.
    const second = prover.prove(request, () => undefined);
    expect(RecordingWorker.made).toHaveLength(2);
    RecordingWorker.made[1].answer(done);
    await expect(second).resolves.toMatchObject({ kind: 'kyc', nullifier: 1n });
    // A late answer from the ended worker changes nothing.
    RecordingWorker.made[0].answer(done);
  });

  it('keeps one worker between proofs until terminated, and terminating an idle prover ends it', async () => {
    const prover = new WorkerProver('http://127.0.0.1/artifacts');
    for (let i = 0; i < 2; i++) {
      const proof = prover.prove(request, () => undefined);
      RecordingWorker.made[0].answer(done);
      await proof;
    }
    expect(RecordingWorker.made).toHaveLength(1);
    prover.terminate();
    expect(RecordingWorker.made[0].terminated).toBe(true);
    prover.terminate(); // twice is harmless
  });
});
