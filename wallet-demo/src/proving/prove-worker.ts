/// <reference lib="webworker" />
/**
 * Proves in a Web Worker so the page stays responsive for the seconds Groth16 takes. The worker
 * fetches the circuit artifacts once (reporting bytes as they arrive), keeps the compiled prover
 * for later proofs, and answers each command with progress events and one outcome.
 */
import { KycProver, PolicyNotMetError } from '@zkkyc/prover';
import type { ProveCommand, ProverEvent } from './prover-messages.js';

declare const self: DedicatedWorkerGlobalScope;

let prover: Promise<KycProver> | undefined;

function post(event: ProverEvent): void {
  self.postMessage(event);
}

async function fetchBytes(url: string, onBytes: (n: number) => void): Promise<Uint8Array> {
  const response = await fetch(url);
  if (!response.ok || !response.body) throw new Error(`circuit artifact ${url}: HTTP ${response.status}`);
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let length = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    length += value.length;
    onBytes(value.length);
  }
  const bytes = new Uint8Array(length);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.length;
  }
  return bytes;
}

async function contentLength(url: string): Promise<number> {
  const head = await fetch(url, { method: 'HEAD' });
  return Number(head.headers.get('content-length') ?? 0);
}

async function loadProver(command: ProveCommand): Promise<KycProver> {
  const base = `${command.artifactsUrl}/${command.circuit}`;
  const urls = { wasm: `${base}/${command.circuit}.wasm`, zkey: `${base}/${command.circuit}.zkey`, vkey: `${base}/verification_key.json` };
  const totalBytes = (await Promise.all([contentLength(urls.wasm), contentLength(urls.zkey)])).reduce((a, b) => a + b, 0);
  let loadedBytes = 0;
  const onBytes = (n: number) => {
    loadedBytes += n;
    post({ type: 'progress', stage: 'loading', loadedBytes, totalBytes });
  };
  const [wasm, zkey, verificationKey] = await Promise.all([
    fetchBytes(urls.wasm, onBytes),
    fetchBytes(urls.zkey, onBytes),
    fetch(urls.vkey).then((r) => r.json() as Promise<object>),
  ]);
  return KycProver.load({ depth: command.depth, wasm, zkey, verificationKey });
}

self.onmessage = async (message: MessageEvent<ProveCommand>) => {
  const command = message.data;
  if (command?.type !== 'prove') return;
  try {
    const loadStarted = performance.now();
    const firstLoad = !prover;
    prover ??= loadProver(command);
    let ready: KycProver;
    try {
      ready = await prover;
    } catch (err) {
      prover = undefined; // let the next attempt fetch again
      throw err;
    }
    const loadMs = firstLoad ? performance.now() - loadStarted : 0;
    post({ type: 'progress', stage: 'proving' });
    const proof = await ready.prove(command.request);
    post({
      type: 'done',
      nullifier: proof.nullifier,
      solidityCalldata: proof.solidityCalldata,
      witnessMs: ready.lastTiming.witnessMs,
      proveMs: ready.lastTiming.proveMs,
      loadMs,
    });
  } catch (err) {
    if (err instanceof PolicyNotMetError) post({ type: 'not-eligible', failures: err.failures });
    else post({ type: 'error', message: err instanceof Error ? err.message : String(err) });
  }
};
