// Types for circom.mjs, so TypeScript tests can import the one place that
// knows how the circuits are compiled.

export const CIRCUITS_DIR: string;
export const REPO_ROOT: string;
export const BUILD_DIR: string;
export const ARTIFACTS_DIR: string;
export const MANIFEST_PATH: string;
export const PTAU_PATH: string;
export const VERIFIERS_DIR: string;

export interface CircuitSpec {
  name: 'kycPolicy32' | 'kycPolicy20' | 'kycPolicyEscrow32';
  depth: number;
  verifierContract: string;
  /** The escrow variant (circuits/src/kycPolicyEscrow.circom): two more public outputs, R.x and c. */
  escrow?: boolean;
}

export const CIRCUITS: CircuitSpec[];

export interface CompiledCircuit {
  r1cs: string;
  wasm: string;
  sym: string;
  constraints: number;
  /** The compiler's stdout, then a `--- stderr ---` line and its stderr (where --inspect warns). */
  log: string;
}

/** The problems --inspect (or the compiler) reported in a build that exited 0; empty when clean. */
export function inspectFindings(stdout: string, stderr: string): string[];

export function sha256File(path: string): string;
export function compiler(): { command: string; args: string[]; version: string };
export function compile(circuit: CircuitSpec, options?: { wasm?: boolean }): CompiledCircuit;
