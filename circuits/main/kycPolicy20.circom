pragma circom 2.1.6;

include "../src/kycPolicy.circom";

// Issuer trees of depth 20 (up to 2^20 credentials per tree).
component main {public [root, policyHash, context]} = KycPolicy(20);
