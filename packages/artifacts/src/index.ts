/**
 * @zkkyc/artifacts — the kycPolicy circuits' proving and verification keys, exactly the ones the
 * verifiers in @zkkyc/contracts were generated from. Every file is checked against the sha256 in
 * the manifest when it is loaded, so a corrupted, truncated or edited single file fails loudly
 * instead of producing proofs the chain rejects (or accepts from someone else's setup).
 *
 * What the hash check does not protect against: a compromised package. The manifest ships in the
 * same tarball as the keys, so whoever can change the keys can change the manifest too; trust in the
 * package comes from where it was installed from (registry, lockfile integrity), not from this check.
 * To pin the keys independently, compare `devArtifactsManifest()` (or the verifier's bytecode) with
 * a copy you trust, or load your own ceremony's files with `directory`.
 *
 * The shipped keys come from an INSECURE, deterministic dev setup: anyone can forge proofs they
 * accept. A manifest of that setup loads only when NODE_ENV is development/dev/test, or when the
 * caller says `allowInsecureDevKeys: true`; a caller's own `directory` whose manifest names another
 * setup (its `setup` field, e.g. your ceremony's name) loads without either.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export type DevCircuitName = 'kycPolicy32' | 'kycPolicy20' | 'kycPolicyEscrow32';
export const DEV_CIRCUITS: readonly DevCircuitName[] = ['kycPolicy32', 'kycPolicy20', 'kycPolicyEscrow32'];

/** NODE_ENV values under which the insecure dev keys load without being asked explicitly. */
export const DEV_NODE_ENVS: readonly string[] = Object.freeze(['development', 'dev', 'test']);

export interface ManifestFile {
  file: string;
  sha256: string;
}

export interface ManifestCircuit {
  depth: number;
  constraints: number;
  publicSignals: number;
  security: string;
  wasm: ManifestFile;
  zkey: ManifestFile;
  verificationKey: ManifestFile;
  verifier: ManifestFile & { contract: string };
  /** kycPolicy32 in the packed manifest: the batch verifier generated from the same key. */
  batchVerifier?: ManifestFile & { contract: string };
}

export interface DevArtifactsManifest {
  security: string;
  /** `insecure-dev` for the shipped keys; a ceremony's own manifest names its setup here. */
  setup?: string;
  circuits: Record<DevCircuitName, ManifestCircuit>;
}

export interface LoadOptions {
  /** Load the insecure dev keys whatever NODE_ENV says (a throwaway test network, an integration test). */
  allowInsecureDevKeys?: boolean;
  /**
   * A directory holding a manifest.json and the files it names (relative to it), instead of the
   * copy shipped in this package.
   */
  directory?: string;
}

/** What @zkkyc/prover's `KycProver.load` takes, plus the circuit's name. */
export interface DevArtifacts {
  circuit: DevCircuitName;
  depth: number;
  wasm: Uint8Array;
  zkey: Uint8Array;
  verificationKey: object;
}

/** A file whose bytes are not the ones the manifest records. */
export class ArtifactHashMismatchError extends Error {
  constructor(
    readonly file: string,
    readonly expected: string,
    readonly actual: string,
  ) {
    super(`${file} does not match the manifest: expected sha256 ${expected}, got ${actual}`);
    this.name = 'ArtifactHashMismatchError';
  }
}

/** Loading the insecure dev keys outside development without `allowInsecureDevKeys: true`. */
export class InsecureDevKeysRefusedError extends Error {
  constructor(circuit: string, nodeEnv: string | undefined) {
    super(
      `refusing to load the INSECURE dev keys of ${circuit}: NODE_ENV is ${nodeEnv === undefined ? 'unset' : `'${nodeEnv}'`}, ` +
        `not one of ${DEV_NODE_ENVS.join('/')}. Anyone can forge proofs these keys accept; ` +
        'pass allowInsecureDevKeys: true only for a throwaway test network.',
    );
    this.name = 'InsecureDevKeysRefusedError';
  }
}

interface Location {
  manifestPath: string;
  /** Files named in the manifest are relative to this directory. */
  base: string;
}

const here = dirname(fileURLToPath(import.meta.url));

// Running from this repository's TypeScript source (tsx, jest), not from the built package.
const fromSource = import.meta.url.endsWith('.ts');

// The published package carries insecure-dev/ (staged by scripts/stage.mjs at pack time, file
// paths relative to it); inside the zkkyc repository the source of truth is circuits/artifacts,
// whose manifest names files relative to the repository root. Only the source falls back to it: from
// an installed dist/, `../../..` is node_modules, and node_modules/circuits/artifacts is a path any
// other installed package can fill.
function locate(directory?: string): Location {
  if (directory) return { manifestPath: join(directory, 'manifest.json'), base: directory };
  const staged = join(here, '..', 'insecure-dev');
  if (existsSync(join(staged, 'manifest.json'))) return { manifestPath: join(staged, 'manifest.json'), base: staged };
  if (!fromSource) throw new Error(`@zkkyc/artifacts: no manifest.json in ${staged} (the package was packed without its keys)`);
  const repoRoot = join(here, '..', '..', '..');
  const repoManifest = join(repoRoot, 'circuits', 'artifacts', 'manifest.json');
  if (existsSync(repoManifest)) return { manifestPath: repoManifest, base: repoRoot };
  throw new Error(`@zkkyc/artifacts: no manifest.json in ${staged} (the package was packed without its keys)`);
}

/** The manifest: each circuit's files with their sha256, its depth and the setup's security note. */
export function devArtifactsManifest(options: Pick<LoadOptions, 'directory'> = {}): DevArtifactsManifest {
  return JSON.parse(readFileSync(locate(options.directory).manifestPath, 'utf8')) as DevArtifactsManifest;
}

/**
 * Whether a manifest describes the insecure dev setup: the copy shipped in this package always does;
 * a caller's `directory` does unless its manifest names another setup and does not call itself insecure.
 */
function isInsecureSetup(manifest: DevArtifactsManifest, options: LoadOptions): boolean {
  if (!options.directory) return true;
  return manifest.setup === undefined || manifest.setup === 'insecure-dev' || /insecure/i.test(manifest.security ?? '');
}

function assertDevKeysAllowed(circuit: string, manifest: DevArtifactsManifest, options: LoadOptions): void {
  if (!isInsecureSetup(manifest, options) || options.allowInsecureDevKeys === true) return;
  const nodeEnv = process.env.NODE_ENV;
  if (nodeEnv === undefined || !DEV_NODE_ENVS.includes(nodeEnv)) throw new InsecureDevKeysRefusedError(circuit, nodeEnv);
}

function circuitEntry(manifest: DevArtifactsManifest, circuit: string): ManifestCircuit {
  if (!(DEV_CIRCUITS as readonly string[]).includes(circuit)) {
    throw new Error(`circuit must be one of ${DEV_CIRCUITS.join(', ')}; got ${JSON.stringify(circuit)}`);
  }
  const entry = manifest.circuits[circuit as DevCircuitName];
  if (!entry) throw new Error(`circuit ${circuit} is not in the manifest`);
  return entry;
}

/** Reads one manifest file and checks its sha256; throws ArtifactHashMismatchError naming it. */
async function readChecked(location: Location, entry: ManifestFile): Promise<Buffer> {
  const bytes = await readFile(join(location.base, entry.file));
  const actual = createHash('sha256').update(bytes).digest('hex');
  if (actual !== entry.sha256) throw new ArtifactHashMismatchError(entry.file, entry.sha256, actual);
  return bytes;
}

function prepare(circuit: DevCircuitName, options: LoadOptions): { location: Location; entry: ManifestCircuit } {
  const location = locate(options.directory);
  const manifest = JSON.parse(readFileSync(location.manifestPath, 'utf8')) as DevArtifactsManifest;
  assertDevKeysAllowed(circuit, manifest, options);
  return { location, entry: circuitEntry(manifest, circuit) };
}

/**
 * A circuit's wasm, proving key and verification key, each checked against the manifest. The
 * result goes straight into `KycProver.load` / `KycEscrowProver.load` of @zkkyc/prover.
 */
export async function loadDevArtifacts(circuit: DevCircuitName, options: LoadOptions = {}): Promise<DevArtifacts> {
  const { location, entry } = prepare(circuit, options);
  const [wasm, zkey, vkey] = await Promise.all([readChecked(location, entry.wasm), readChecked(location, entry.zkey), readChecked(location, entry.verificationKey)]);
  return { circuit, depth: entry.depth, wasm: new Uint8Array(wasm), zkey: new Uint8Array(zkey), verificationKey: JSON.parse(vkey.toString('utf8')) as object };
}

/** The verification key alone (what an off-chain verifier needs), checked against the manifest. */
export async function loadDevVerificationKey(circuit: DevCircuitName, options: LoadOptions = {}): Promise<object> {
  const { location, entry } = prepare(circuit, options);
  return JSON.parse((await readChecked(location, entry.verificationKey)).toString('utf8')) as object;
}

/** The Solidity verifier generated from the circuit's zkey (the one @zkkyc/contracts compiles), checked. */
export async function loadDevVerifierSource(circuit: DevCircuitName, options: LoadOptions = {}): Promise<{ contract: string; source: string }> {
  const { location, entry } = prepare(circuit, options);
  return { contract: entry.verifier.contract, source: (await readChecked(location, entry.verifier)).toString('utf8') };
}
