/**
 * @zkkyc/credentials — what a zkkyc credential is: the attribute encoding, the holder's zk identity,
 * the leaf commitment, policies and their hash, and the W3C VC (JWT) issued with Veramo.
 * docs/protocol.md is the reference for every formula here.
 */
// Everything a browser can use, then the Veramo issuer agent and the VC verifier.
export * from './browser.js';
export * from './issuer-agent.js';
export * from './kyc-credential-schema.js';
export * from './vc.js';
