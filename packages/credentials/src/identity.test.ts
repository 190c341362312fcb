import { concat, getBytes, keccak256, toUtf8Bytes, Wallet } from 'ethers';
import { poseidon1 } from 'poseidon-lite';
import { ValidationError } from './errors.js';
import { IDENTITY_MESSAGE, identityCommitment, identitySecretFromSeed, identitySecretFromSignature, randomIdentitySecret } from './identity.js';

describe('holder identity', () => {
  const seed = new Uint8Array(32).fill(7);

  it('derives s = keccak256("zkkyc/identity-secret/v1" ‖ seed) >> 8', () => {
    const expected = BigInt(keccak256(concat([toUtf8Bytes('zkkyc/identity-secret/v1'), seed]))) >> 8n;
    expect(identitySecretFromSeed(seed)).toBe(expected);
    expect(identitySecretFromSeed(seed) < 1n << 248n).toBe(true);
  });

  it('recovers the same identity from the same wallet signature', async () => {
    const wallet = new Wallet('0x' + '42'.repeat(32));
    const signature = await wallet.signMessage(IDENTITY_MESSAGE);
    const again = await wallet.signMessage(IDENTITY_MESSAGE);
    const s = identitySecretFromSignature(signature);
    expect(identitySecretFromSignature(again)).toBe(s);
    expect(s).toBe(identitySecretFromSeed(getBytes(keccak256(signature))));
    const other = await new Wallet('0x' + '43'.repeat(32)).signMessage(IDENTITY_MESSAGE);
    expect(identitySecretFromSignature(other)).not.toBe(s);
  });

  it('commits with Poseidon1', () => {
    const s = randomIdentitySecret();
    expect(identityCommitment(s)).toBe(poseidon1([s]));
    expect(randomIdentitySecret()).not.toBe(s);
  });

  it('rejects malformed seeds, signatures and secrets', () => {
    expect(() => identitySecretFromSeed(new Uint8Array(31))).toThrow(expect.objectContaining({ field: 'seed', rule: 'bytes32' }));
    expect(() => identitySecretFromSignature('0x1234')).toThrow(expect.objectContaining({ field: 'signature', rule: 'hex65' }));
    expect(() => identityCommitment(-1n)).toThrow(ValidationError);
    expect(() => identityCommitment(21888242871839275222246405745257275088548364400416034343698204186575808495617n)).toThrow(
      expect.objectContaining({ field: 'identitySecret', rule: 'field-element' }),
    );
  });
});
