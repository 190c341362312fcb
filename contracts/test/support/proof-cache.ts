/**
 * Proofs by their statement, kept in this process and on disk, so that every test file and jest
 * worker of a run proves a given statement once.
 *
 * A statement is the circuit plus every input of the proof; two proofs of one statement differ only
 * in the prover's random blinding, which no verifier (on chain or off) can tell apart. So a test that
 * gets a stored proof sees exactly what the gate would see from a fresh one. The directory is named
 * by a hash of what made the proof — the circuit's zkey and wasm, the prover's source and the
 * snarkjs and V8 versions — so a changed key or prover never hands out a proof it did not make.
 *
 * The repository keeps the contract suites' proofs too (contracts/test/proofs/, same layout), so a
 * fresh clone's `npm test` reads them instead of proving about fifty statements again: each is a
 * real proof made by this prover from these files, and the gate verifies it like any other. Each
 * file holds its statement beside the proof (a file under another statement's name is refused), and
 * the caller's check (fixture.ts: Groth16 verification) runs on every proof read from disk. A
 * change to the key, the wasm, the prover, the credentials or tree packages, snarkjs or Node's V8
 * gives a new directory name, so the committed proofs stop matching and are proved again; `npm run test:proofs -w
 * @zkkyc/contracts` refreshes them (ZKKYC_SAVE_PROOFS=1 writes every proof used into the repository
 * directory and drops that circuit's directories of older provenance).
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { deserialize, serialize } from 'node:v8';

/** Set to `off` to keep proofs in memory only (each test file then proves its own). */
export const DISK_CACHE_ENV = 'ZKKYC_PROOF_CACHE';
/** Set to `1` to write every proof used into the repository's directory (see above). */
export const SAVE_PROOFS_ENV = 'ZKKYC_SAVE_PROOFS';
/** The proofs kept in the repository. */
export const REPOSITORY_PROOFS = fileURLToPath(new URL('../proofs/', import.meta.url));

export interface ProofCacheStats {
  memoryHits: number;
  diskHits: number;
  proved: number;
}

/** A circuit, with the files its proofs are made from (its zkey and wasm). */
export interface CircuitIdentity {
  name: string;
  files: readonly string[];
}

const SOURCE_DIRS = ['prover', 'credentials', 'tree'].map((p) => fileURLToPath(new URL(`../../../packages/${p}/src/`, import.meta.url)));
/** The versions of the proving libraries (snarkjs, its witness calculator, its field arithmetic). */
const MANIFESTS = ['snarkjs', 'circom_runtime', 'ffjavascript'].map((p) => fileURLToPath(new URL(`../../../node_modules/${p}/package.json`, import.meta.url)));

export interface ProofCacheOptions {
  /** Where committed proofs are read from (default REPOSITORY_PROOFS). */
  repositoryRoot?: string;
  /** Write every proof used into `repositoryRoot` (default: ZKKYC_SAVE_PROOFS=1). */
  save?: boolean;
}

/**
 * Checks a proof read from disk before it is used (fixture.ts: Groth16 verification against the
 * key, and the public signals the statement fixes): a stored file that fails is proved again, so a
 * damaged or planted file cannot stand in for the proof the prover would make.
 */
export type StoredProofCheck<P> = (proof: P) => Promise<boolean>;

/** What a file holds: the statement it proves, with the proof, so a file under another statement's name is refused. */
interface StoredProof<P> {
  statement: string;
  proof: P;
}

export class ProofCache<P> {
  private readonly memory = new Map<string, P>();
  private readonly dirs = new Map<string, { run: string; repository: string } | null>();
  private readonly repositoryRoot: string;
  private readonly save: boolean;
  readonly stats: ProofCacheStats = { memoryHits: 0, diskHits: 0, proved: 0 };

  constructor(options: ProofCacheOptions = {}) {
    this.repositoryRoot = options.repositoryRoot ?? REPOSITORY_PROOFS;
    this.save = options.save ?? process.env[SAVE_PROOFS_ENV] === '1';
  }

  /** The proof of `statement` stored in `file`, if the file holds that statement and its proof passes `check`. */
  private async readChecked(file: string, statement: string, check: StoredProofCheck<P>): Promise<P | undefined> {
    const stored = readStored<StoredProof<P>>(file);
    if (!stored || stored.statement !== statement) return undefined;
    return (await check(stored.proof)) ? stored.proof : undefined;
  }

  /**
   * A copy of the proof of statement `key` for `circuit`: from memory, else from disk, else from
   * `prove` (then stored in both; a failed proof stores nothing). A copy, so a test that tampers
   * with its proof cannot spoil the next test's.
   */
  async getOrProve(circuit: CircuitIdentity, key: string, prove: () => Promise<P>, check: StoredProofCheck<P> = async () => true): Promise<P> {
    const dir = this.dirOf(circuit);
    const memoryKey = `${circuit.name}\n${key}`;
    let proof = this.memory.get(memoryKey);
    if (proof) {
      this.stats.memoryHits++;
    } else {
      const name = `${createHash('sha256').update(key).digest('hex')}.v8`;
      const runFile = dir === null ? null : join(dir.run, name);
      const repositoryFile = dir === null ? null : join(dir.repository, name);
      const statement = `${circuit.name}\n${key}`;
      proof = runFile === null ? undefined : ((await this.readChecked(runFile, statement, check)) ?? (await this.readChecked(repositoryFile!, statement, check)));
      if (proof) {
        this.stats.diskHits++;
      } else {
        proof = await prove();
        this.stats.proved++;
        if (runFile !== null) store(runFile, { statement, proof });
      }
      if (this.save && repositoryFile !== null && !existsSync(repositoryFile)) store(repositoryFile, { statement, proof });
      this.memory.set(memoryKey, proof);
    }
    return structuredClone(proof);
  }

  private dirOf(circuit: CircuitIdentity): { run: string; repository: string } | null {
    if (process.env[DISK_CACHE_ENV] === 'off') return null;
    let dir = this.dirs.get(circuit.name);
    if (dir === undefined) {
      const name = `${circuit.name}-${provenanceHash(circuit)}`;
      dir = { run: join(tmpdir(), 'zkkyc-proof-cache', name), repository: join(this.repositoryRoot, name) };
      mkdirSync(dir.run, { recursive: true });
      if (this.save) {
        mkdirSync(dir.repository, { recursive: true });
        // Proofs of an older key or prover can never match again.
        for (const other of readdirSync(this.repositoryRoot)) {
          if (other.startsWith(`${circuit.name}-`) && other !== name) rmSync(join(this.repositoryRoot, other), { recursive: true, force: true });
        }
      }
      this.dirs.set(circuit.name, dir);
    }
    return dir;
  }
}

function provenanceHash(circuit: CircuitIdentity): string {
  const hash = createHash('sha256');
  for (const file of circuit.files) hash.update(readFileSync(file));
  // The prover and what it computes inputs with (the credentials' encodings, the tree), every source file.
  for (const dir of SOURCE_DIRS) {
    for (const name of (readdirSync(dir, { recursive: true }) as string[]).sort()) {
      if (name.endsWith('.ts') && !name.endsWith('.test.ts')) hash.update(name).update(readFileSync(join(dir, name)));
    }
  }
  for (const manifest of MANIFESTS) hash.update(readFileSync(manifest));
  hash.update(`v8 ${process.versions.v8}`);
  return hash.digest('hex');
}

/** The stored proof, or undefined when there is none or it cannot be read (then it is proved again). */
function readStored<P>(file: string): P | undefined {
  try {
    return deserialize(readFileSync(file)) as P;
  } catch {
    return undefined;
  }
}

/** Writes under a name of its own, then renames: a reader sees the whole proof or none. */
function store(file: string, proof: unknown): void {
  const temp = `${file}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
  writeFileSync(temp, serialize(proof));
  renameSync(temp, file);
}
