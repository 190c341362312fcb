pragma circom 2.1.6;

include "circomlib/circuits/poseidon.circom";
include "./kycPolicy.circom";
include "./lib/escrow.circom";

// kycPolicyEscrow: the kycPolicy statement for a policy that names an escrow
// key, plus "and here is my credential's leaf index, encrypted to that key".
//
// A policy may name an escrow public key E on Baby Jubjub (the transfer
// agent's, or a k-of-n key of auditors: docs/escrow.md). Its public policy
// hash then commits to E as well as to the rules:
//
//     policyHash = Poseidon3(rulesHash, E.x, E.y),
//     rulesHash  = Poseidon5(scope, jurisdictionMask, minAge, investorClassMask, minKycLevel),
//
// rulesHash being exactly the policyHash of a policy without escrow. The
// proof shows everything kycPolicy shows (the whole KycPolicy template runs
// unchanged, with rulesHash as its policy hash), and in addition:
//
//   10. escrow - the public (R, c) is an encryption to E of the leaf index
//       whose Merkle path the proof opens, made with the holder's randomness
//       r: R = r·Base8, c = leafIndex + Poseidon(r·E) (docs/escrow.md §3).
//       A holder cannot register without a ciphertext the escrow key holder
//       can open.
//
// Public, outputs first: nullifier, escrowX (R.x), escrowC (c), then root,
// policyHash and context (packed exactly as in kycPolicy). R is published as
// its x coordinate alone: of the two curve points with that x, (x, y) and
// (x, −y) = −R + (0, −1), only R is in the prime-order subgroup, which is
// where R = r·Base8 lies, so an auditor recovers R without a sign bit and
// without a constraint spent on one (docs/protocol.md, "Escrow"). Two more
// public signals than kycPolicy: ~12.3k gas at registration.
//
// Policies without escrow keep using kycPolicy: this circuit is the variant
// for escrow policies only.
template KycPolicyEscrow(depth) {
    // Public inputs.
    signal input root;
    signal input policyHash;
    signal input context;

    // Everything KycPolicy takes privately.
    signal input identitySecret;
    signal input jurisdiction;
    signal input birthDate;
    signal input investorClass;
    signal input kycLevel;
    signal input expiryDate;
    signal input salt;
    signal input leafIndex;
    signal input siblings[depth \ 2][3];
    signal input scope;
    signal input jurisdictionMask;
    signal input minAge;
    signal input investorClassMask;
    signal input minKycLevel;
    signal input wallet;
    signal input today;
    signal input validUntil;

    // The escrow part: the policy's key and the holder's fresh randomness.
    signal input escrowKey[2];
    signal input escrowRandomness;
    // Poseidon5 of the rules: KycPolicy checks it against the rules below.
    signal input rulesHash;

    signal output nullifier;
    signal output escrowX;
    signal output escrowC;

    // 10. The ciphertext, of the same leafIndex the policy component proves
    // membership at (it range-checks it to `depth` bits and walks the path
    // with those bits).
    component escrow = LeafIndexEncryption();
    escrow.r <== escrowRandomness;
    escrow.leafIndex <== leafIndex;
    escrow.escrowKey <== escrowKey;
    escrowX <== escrow.R[0];
    // R.y is not published: R.x and subgroup membership determine it.
    _ <== escrow.R[1];
    escrowC <== escrow.c;

    // 1-9. The kycPolicy statement, on the rules' hash and on the context
    // without the sign bit.
    signal escrowPolicyHash <== Poseidon(3)([rulesHash, escrowKey[0], escrowKey[1]]);
    policyHash === escrowPolicyHash;

    component policy = KycPolicy(depth);
    policy.root <== root;
    policy.policyHash <== rulesHash;
    policy.context <== context;
    policy.identitySecret <== identitySecret;
    policy.jurisdiction <== jurisdiction;
    policy.birthDate <== birthDate;
    policy.investorClass <== investorClass;
    policy.kycLevel <== kycLevel;
    policy.expiryDate <== expiryDate;
    policy.salt <== salt;
    policy.leafIndex <== leafIndex;
    policy.siblings <== siblings;
    policy.scope <== scope;
    policy.jurisdictionMask <== jurisdictionMask;
    policy.minAge <== minAge;
    policy.investorClassMask <== investorClassMask;
    policy.minKycLevel <== minKycLevel;
    policy.wallet <== wallet;
    policy.today <== today;
    policy.validUntil <== validUntil;
    nullifier <== policy.nullifier;
}
