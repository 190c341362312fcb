import { describe, expect, it } from '@jest/globals';
import { Interface } from 'ethers';
import { ComplianceGate__factory, PermissionedToken__factory } from '@zkkyc/contracts/typechain';
import { explainRefusal, POLICY_CHANGED } from './refusal-reasons.js';

/** The gate's own error encoding, wrapped the way ethers reports a reverted call. */
const gate = new Interface(ComplianceGate__factory.abi);
const reverted = (name: string, args: unknown[]) => ({ data: gate.encodeErrorResult(name, args) });
const token = new Interface(PermissionedToken__factory.abi);
const tokenReverted = (name: string, args: unknown[]) => ({ data: token.encodeErrorResult(name, args) });
const WALLET = '0x00000000000000000000000000000000000000aa';
const MAX_UINT64 = (1n << 64n) - 1n;

describe('refusals a holder reads', () => {
  it('says why a root was refused, from the registry state the gate reports', () => {
    const expired = explainRefusal(reverted('RootNotAcceptable', [1n, 5n, 3n]));
    expect(expired.explanation).toMatch(/newer root.*prove again/);
    expect(expired.proofRejected).toBe(true);
    expect(explainRefusal(reverted('RootNotAcceptable', [1n, 5n, 5n])).explanation).toMatch(/rejected by the registry/);
    expect(explainRefusal(reverted('RootNotAcceptable', [1n, 5n, 6n])).explanation).toMatch(/suspended/);
    expect(explainRefusal(reverted('RootNotAcceptable', [0n, 5n, 0n])).explanation).toMatch(/never published/);
  });

  it('names a bar and when it ends, in words, with no internal names', () => {
    const forever = explainRefusal(reverted('WalletBarred', [1n, WALLET, MAX_UINT64]));
    expect(forever.explanation).toBe('this wallet is barred from registering for this token until the agent lifts the bar');
    expect(forever.proofRejected).toBe(false);
    const timed = explainRefusal(reverted('InvestorBarred', [1n, 7n, 1_798_761_600n]));
    expect(timed.explanation).toBe("the token's agent has barred this investor from registering until 2027-01-01 00:00 UTC");
  });
  it('says when a proof carries, or lacks, the sealed reference an escrow policy asks for, and that the policy changed', () => {
    const required = explainRefusal(reverted('EscrowProofRequired', [3n]));
    expect(required.explanation).toBe('the token’s policy now asks for a sealed reference to your credential, which this proof does not carry');
    expect(required.proofRejected).toBe(true);
    const notEnabled = explainRefusal(reverted('EscrowNotEnabled', [1n]));
    expect(notEnabled.explanation).toMatch(/no longer asks for a sealed reference/);
    expect(notEnabled.proofRejected).toBe(true);
    for (const name of ['EscrowProofRequired', 'EscrowNotEnabled', 'PolicyHashMismatch']) expect(POLICY_CHANGED.has(name)).toBe(true);
  });

  it('states token amounts in the token’s units, never in its smallest unit', () => {
    const units = { decimals: 18, symbol: 'AREF' };
    const balance = explainRefusal(tokenReverted('ERC20InsufficientBalance', [WALLET, 25n * 10n ** 18n, 1000n * 10n ** 18n + 5n * 10n ** 17n]), units);
    expect(balance.explanation).toBe('the balance (25 AREF) is less than the amount (1000.5 AREF)');
    expect(balance.explanation).not.toMatch(/\d{10}/);
    // Without the token, the figure is at least labelled for what it is.
    expect(explainRefusal(tokenReverted('ERC20InsufficientBalance', [WALLET, 7n, 9n])).explanation).toBe('the balance (7 (smallest units)) is less than the amount (9 (smallest units))');
  });

  it('names no internal identifiers for a refusal a holder cannot act on by number', () => {
    expect(explainRefusal(reverted('PolicyNotFound', [4n])).explanation).not.toMatch(/policy 4|PolicyNotFound/);
  });
});
