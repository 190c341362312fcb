/**
 * @zkkyc/credentials — what a zkkyc credential is: the attribute encoding, the holder's zk identity,
 * the leaf commitment, policies and their hash, and the W3C VC (JWT) issued with Veramo.
 * docs/protocol.md is the reference for every formula here.
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
export * from './issuer-agent.js';
export * from './kyc-credential-schema.js';
export * from './vc.js';
