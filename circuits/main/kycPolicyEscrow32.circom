pragma circom 2.1.6;

include "../src/kycPolicyEscrow.circom";

// Issuer trees of depth 32, for policies with an escrow key.
component main {public [root, policyHash, context]} = KycPolicyEscrow(32);
