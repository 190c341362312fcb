// circomlibjs ships no type declarations; this is the one function the service uses.
declare module 'circomlibjs' {
  interface PoseidonField {
    toObject(element: Uint8Array): bigint;
  }
  interface Poseidon {
    (inputs: bigint[]): Uint8Array;
    F: PoseidonField;
  }
  export function buildPoseidon(): Promise<Poseidon>;
}
