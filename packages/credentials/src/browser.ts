/**
 * The browser-safe part of @zkkyc/credentials: encoding, identity, leaf and
 * policy, without the Veramo issuer agent and the VC verifier (Node-only
 * dependencies). Bundlers pick it through the package's `browser` export
 * condition; the wallet and the prover in its worker use it.
 */
export * from './errors.js';
export * from './field.js';
export * from './jurisdictions.js';
export * from './investor-classes.js';
export * from './dates.js';
export * from './attributes.js';
export * from './identity.js';
export * from './leaf.js';
export * from './policy.js';
export * from './escrow-policy.js';
// Reading a credential: VC 2.0 (VC-JOSE-COSE, jose) and the 1.1 VC-JWT (did-jwt-vc), one reader.
export * from './credential-facts.js';
export * from './vc2-jose.js';
export * from './credential-reader.js';
