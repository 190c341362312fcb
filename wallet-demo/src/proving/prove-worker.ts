/// <reference lib="webworker" />
/**
 * Proves in a Web Worker so the page stays responsive for the seconds Groth16 takes. The worker
 * fetches a circuit's artifacts once (reporting bytes as they arrive), keeps the compiled prover
 * for later proofs, and answers each command with progress events and one outcome. It serves both
 * statements: kycPolicy, and the escrow variant for a policy that names an escrow key, each from
 * the circuit the command names.
 */
import { KycEscrowProver, KycProver, PolicyNotMetError, type KycArtifacts } from '@zkkyc/prover';
import type { ProveCommand, ProvenStatement, ProverEvent } from './prover-messages.js';

declare const self: DedicatedWorkerGlobalScope;

/** Loaded provers by statement kind and circuit name: each circuit is fetched and compiled once. */
const provers = new Map<string, Promise<KycProver | KycEscrowProver>>();

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

async function loadArtifacts(command: ProveCommand): Promise<KycArtifacts> {
  const base = `${command.artifactsUrl}/${command.circuit}`;
  const urls = { wasm: `${base}/${command.circuit}.wasm`, zkey: `${base}/${command.circuit}.zkey`, vkey: `${base}/verification_key.json` };
  const totalBytes = (await Promise.all([contentLength(urls.wasm), contentLength(urls.zkey)])).reduce((a, b) => a + b, 0);
  let loadedBytes = 0;
  const onBytes = (n: number) => {
    loadedBytes += n;
    post({ type: 'progress', stage: 'loading', loadedBytes, totalBytes });
  };
  const [wasm, zkey, verificationKey] = await Promise.all([fetchBytes(urls.wasm, onBytes), fetchBytes(urls.zkey, onBytes), fetch(urls.vkey).then((r) => r.json() as Promise<object>)]);
  return { depth: command.depth, wasm, zkey, verificationKey };
}

async function loadProver(command: ProveCommand): Promise<KycProver | KycEscrowProver> {
  const artifacts = await loadArtifacts(command);
  return command.kind === 'escrow' ? KycEscrowProver.load(artifacts) : KycProver.load(artifacts);
}

/** Proves with the prover loaded for the command's kind; the escrow prover refuses a key outside the subgroup. */
async function prove(ready: KycProver | KycEscrowProver, command: ProveCommand): Promise<{ nullifier: bigint } & ProvenStatement> {
  if (command.kind === 'escrow' && ready instanceof KycEscrowProver) {
    const proof = await ready.prove(command.request);
    return { kind: 'escrow', nullifier: proof.nullifier, solidityCalldata: proof.solidityCalldata, escrow: proof.escrow };
  }
  if (command.kind === 'kyc' && ready instanceof KycProver) {
    const proof = await ready.prove(command.request);
    return { kind: 'kyc', nullifier: proof.nullifier, solidityCalldata: proof.solidityCalldata };
  }
  throw new Error(`circuit ${command.circuit} is loaded for another statement than ${command.kind}`);
}

self.onmessage = async (message: MessageEvent<ProveCommand>) => {
  const command = message.data;
  if (command?.type !== 'prove') return;
  try {
    const loadStarted = performance.now();
    const key = `${command.kind}:${command.circuit}`;
    let loading = provers.get(key);
    const firstLoad = !loading;
    if (!loading) {
      loading = loadProver(command);
      provers.set(key, loading);
    }
    let ready: KycProver | KycEscrowProver;
    try {
      ready = await loading;
    } catch (err) {
      provers.delete(key); // let the next attempt fetch again
      throw err;
    }
    const loadMs = firstLoad ? performance.now() - loadStarted : 0;
    post({ type: 'progress', stage: 'proving' });
    const proven = await prove(ready, command);
    post({ type: 'done', ...proven, witnessMs: ready.lastTiming.witnessMs, proveMs: ready.lastTiming.proveMs, loadMs });
  } catch (err) {
    if (err instanceof PolicyNotMetError) post({ type: 'not-eligible', failures: err.failures });
    else post({ type: 'error', message: err instanceof Error ? err.message : String(err) });
  }
};
