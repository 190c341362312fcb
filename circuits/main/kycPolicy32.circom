pragma circom 2.1.6;

include "../src/kycPolicy.circom";

// Issuer trees of depth 32 (up to 2^32 credentials per tree).
component main {public [root, policyHash, context]} = KycPolicy(32);
