pragma circom 2.1.6;

include "circomlib/circuits/poseidon.circom";
include "circomlib/circuits/bitify.circom";
include "./lib/at_most.circom";
include "./lib/merkle.circom";
include "./lib/jurisdiction.circom";
include "./lib/investor_class.circom";

// kycPolicy: "I hold a credential from this issuer that meets this policy,
// and I am registering this wallet with it."
//
// The holder knows a secret s. Its commitment Poseidon(s) was written into a
// credential leaf by a KYC issuer, together with the holder's attributes
// (jurisdiction, birth date, investor classes, KYC level, expiry) and a salt
// that hides them. The issuer keeps the leaves in a Merkle tree and publishes
// its root on-chain; revoking a credential zeroes its leaf.
//
// The proof shows, without revealing the attributes or which leaf:
//   1. membership - the leaf built from the private values is in the tree
//      whose root is public, so an issuer really vouched for these values
//      and has not revoked them (a zero leaf can never be rebuilt);
//   2. holder binding - the leaf contains Poseidon(s), so only the person
//      who knows s can use the credential;
//   3-7. policy - the jurisdiction is in the allowed set, the holder is at
//      least minAge years old today, holds a required investor class, has
//      at least the required KYC level, and the credential is valid from
//      today through validUntil (validUntil is chosen by the holder, at most
//      the expiry, so only a bound on the expiry is revealed);
//   8. policy identity - the policy parameters hash to the public
//      policyHash, which the contract stores for the policy, and the
//      nullifier Poseidon(s, scope) is one value per person per policy
//      scope, so the contract can tell two wallets of the same investor;
//   9. wallet binding - the wallet address is part of the public context,
//      so the proof cannot be replayed for another address.
//
// Public: nullifier (output), root, policyHash, and context, which packs
// wallet + today * 2^160 + validUntil * 2^192 into one field element because
// each public input costs gas to verify (docs/protocol.md).
//
// Every value that is compared is first range-checked with Num2Bits. A
// comparison of unchecked values is unsound: field arithmetic wraps around,
// and a "negative" difference would pass as a huge positive one.
template KycPolicy(depth) {
    // The issuer tree holds up to 2^depth leaves in depth / 2 levels of four children.
    assert(depth % 2 == 0);
    var levels = depth \ 2;

    // Public inputs.
    signal input root;
    signal input policyHash;
    signal input context;

    // The holder's secret.
    signal input identitySecret;

    // The credential, as encoded in docs/protocol.md.
    signal input jurisdiction;
    signal input birthDate;
    signal input investorClass;
    signal input kycLevel;
    signal input expiryDate;
    signal input salt;
    signal input leafIndex;
    signal input siblings[levels][3];

    // The policy; bound to the public policyHash below.
    signal input scope;
    signal input jurisdictionMask;
    signal input minAge;
    signal input investorClassMask;
    signal input minKycLevel;

    // The three parts of the public context.
    signal input wallet;
    signal input today;
    signal input validUntil;

    signal output nullifier;

    // Range checks. Dates are YYYYMMDD, so 32 bits hold them and comparing
    // the integers compares the dates. Jurisdiction, the masks and the
    // investor classes are range-checked inside their own gadgets.
    _ <== Num2Bits(32)(birthDate);
    _ <== Num2Bits(32)(expiryDate);
    _ <== Num2Bits(32)(today);
    _ <== Num2Bits(32)(validUntil);
    _ <== Num2Bits(8)(kycLevel);
    _ <== Num2Bits(8)(minKycLevel);
    _ <== Num2Bits(8)(minAge);
    _ <== Num2Bits(160)(wallet);
    signal indexBits[depth] <== Num2Bits(depth)(leafIndex);

    // 9. Wallet binding. The three parts are range-checked to 160, 32 and 32
    // bits, so they fill disjoint bit ranges and the packing is unique.
    context === wallet + today * (1 << 160) + validUntil * (1 << 192);

    // 2. Holder binding, and 1. membership.
    signal identityCommitment <== Poseidon(1)([identitySecret]);
    signal leaf <== Poseidon(7)([identityCommitment, jurisdiction, birthDate, investorClass, kycLevel, expiryDate, salt]);
    signal computedRoot <== MerkleRoot4(levels)(leaf, indexBits, siblings);
    root === computedRoot;

    // 3. Jurisdiction is in the allowed set.
    component jurisdictionAllowed = JurisdictionAllowed();
    jurisdictionAllowed.index <== jurisdiction;
    jurisdictionAllowed.mask <== jurisdictionMask;

    // 4. Old enough: adding minAge years to a YYYYMMDD date adds
    // minAge * 10000. The sum is below 2^33.
    AtMost(33)(birthDate + minAge * 10000, today);

    // 5. Investor class.
    component classAllowed = InvestorClassAllowed();
    classAllowed.classes <== investorClass;
    classAllowed.requiredMask <== investorClassMask;

    // 6. KYC level.
    AtMost(8)(minKycLevel, kycLevel);

    // 7. Valid from today through validUntil, and validUntil within expiry.
    AtMost(32)(today, validUntil);
    AtMost(32)(validUntil, expiryDate);

    // 8. Policy identity and nullifier.
    signal computedPolicyHash <== Poseidon(5)([scope, jurisdictionMask, minAge, investorClassMask, minKycLevel]);
    policyHash === computedPolicyHash;
    nullifier <== Poseidon(2)([identitySecret, scope]);
}
