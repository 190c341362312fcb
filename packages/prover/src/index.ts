/**
 * @zkkyc/prover — turning a credential into a proof: the kycPolicy circuit's
 * witness, Groth16 proving and verification with snarkjs, and the calldata for
 * ComplianceGate. Browser-safe. Keys come from `@zkkyc/artifacts` (hash-checked) or your ceremony;
 * inside this repository `@zkkyc/prover/node` (not published) loads the committed artifacts from disk.
 */
export * from './context.js';
export * from './calldata.js';
export * from './request.js';
export * from './kyc-prover.js';
export * from './generate-proof.js';
export * from './escrow-request.js';
export * from './escrow-prover.js';
export * from './relying-party.js';
