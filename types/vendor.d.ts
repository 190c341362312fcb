// Ambient declarations for the few dependencies that ship no TypeScript types.
declare module 'snarkjs';
declare module 'circom_runtime' {
  export function WitnessCalculatorBuilder(code: Uint8Array, options?: { memorySize?: number; sanityCheck?: boolean }): Promise<unknown>;
}
declare module 'r1csfile' {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the package ships no types; callers read the fields they need
  export function readR1cs(file: string | Uint8Array, options?: { loadConstraints?: boolean; loadMap?: boolean; getFieldFromPrime?: unknown }): Promise<any>;
}
