/**
 * @zkkyc/credentials — what a zkkyc credential is: the attribute encoding, the holder's zk identity,
 * the leaf commitment, policies and their hash, and the W3C VC: the 1.1 VC-JWT issued with Veramo,
 * the VC 2.0 credential secured with VC-JOSE-COSE (jose), the SD-JWT VC (@sd-jwt/sd-jwt-vc) and the
 * Bitstring Status List, all signed through the issuer agent's KMS.
 * docs/protocol.md is the reference for every formula here.
 */
// Everything a browser can use, then the Veramo issuer agent and the VC verifier.
export * from './browser.js';
export * from './issuer-agent.js';
export * from './kyc-credential-schema.js';
export * from './vc.js';
// VC 2.0 (VC-JOSE-COSE) signing with the issuer's P-256 key, SD-JWT VC, Bitstring Status List.
export * from './issuer-jose-key.js';
export * from './sd-jwt-vc.js';
export * from './credential-status.js';
