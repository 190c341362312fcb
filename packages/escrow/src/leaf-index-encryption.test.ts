import { mulPointEscalar } from '@zk-kit/baby-jubjub';
import { poseidon2 } from 'poseidon-lite';
import { EscrowError } from './errors.js';
import { BASE8, multiply, SNARK_FIELD, SUBGROUP_ORDER, type Point } from './group.js';
import { decryptLeafIndex, encryptLeafIndex, LEAF_INDEX_BOUND, leafIndexFromSharedPoint, maskFromSharedPoint } from './leaf-index-encryption.js';
import { generateSingleKey, publicKeyOf } from './single-key.js';

describe('leaf index encryption (single holder)', () => {
  const { secretKey: e, publicKey: E } = generateSingleKey();

  it('computes R = r·Base8 and c = leafIndex + Poseidon(K.x, K.y) mod p with K = r·E, as the circuit will', () => {
    const r = 987654321987654321n;
    const { ciphertext, r: used } = encryptLeafIndex(E, 7, r);
    expect(used).toBe(r);
    expect(ciphertext.R).toEqual(mulPointEscalar(BASE8, r));
    const K = mulPointEscalar(E, r);
    expect(ciphertext.c).toBe((7n + poseidon2([K[0], K[1]])) % SNARK_FIELD);
    expect(maskFromSharedPoint(K as Point)).toBe(poseidon2([K[0], K[1]]));
    expect(publicKeyOf(e)).toEqual(E);
  });

  it('matches the test vector in docs/escrow.md', () => {
    const vector = encryptLeafIndex(publicKeyOf(1234567890123456789n), 42, 987654321987654321n).ciphertext;
    expect(publicKeyOf(1234567890123456789n)).toEqual([
      6921140157146341856952207703800109194198222041584329850188192674304805134065n,
      19315036694604867924412484447665190374303888916962616112358246501479826895183n,
    ]);
    expect(vector.R).toEqual([11233779823827025333124745391473272996298223301003553909582395956573732389204n, 12372795718610595677933506946398358506934555046145787008498045001673471964333n]);
    expect(vector.c).toBe(19720681205613410680251485499982234029570213727205370986174402074401809770209n);
    expect(decryptLeafIndex(1234567890123456789n, vector)).toBe(42);
  });

  it('round-trips leaf indices from 0 to 2^32 − 1, with fresh r each time', () => {
    for (const leafIndex of [0, 1, 42, 2 ** 31, 2 ** 32 - 1]) {
      const a = encryptLeafIndex(E, leafIndex);
      const b = encryptLeafIndex(E, BigInt(leafIndex));
      expect(a.r).not.toBe(b.r);
      expect(a.ciphertext.R).not.toEqual(b.ciphertext.R);
      expect(decryptLeafIndex(e, a.ciphertext)).toBe(leafIndex);
      expect(decryptLeafIndex(e, b.ciphertext)).toBe(leafIndex);
    }
  });

  it('refuses a leaf index outside [0, 2^32) and a bad r or E', () => {
    expect(() => encryptLeafIndex(E, 2 ** 32)).toThrow(expect.objectContaining({ field: 'leafIndex', rule: 'leaf-index-range' }));
    expect(() => encryptLeafIndex(E, LEAF_INDEX_BOUND)).toThrow(expect.objectContaining({ rule: 'leaf-index-range' }));
    expect(() => encryptLeafIndex(E, -1)).toThrow(expect.objectContaining({ rule: 'leaf-index-range' }));
    expect(() => encryptLeafIndex(E, 1.5)).toThrow(expect.objectContaining({ rule: 'integer' }));
    expect(() => encryptLeafIndex(E, 1, 0n)).toThrow(expect.objectContaining({ field: 'r', rule: 'scalar-range' }));
    expect(() => encryptLeafIndex(E, 1, SUBGROUP_ORDER)).toThrow(expect.objectContaining({ field: 'r' }));
    expect(() => encryptLeafIndex([0n, SNARK_FIELD - 1n], 1)).toThrow(expect.objectContaining({ field: 'E', rule: 'subgroup' }));
  });

  it('fails cleanly for a ciphertext made for another key, or a corrupted one', () => {
    const other = generateSingleKey();
    const { ciphertext } = encryptLeafIndex(other.publicKey, 5);
    expect(() => decryptLeafIndex(e, ciphertext)).toThrow('ciphertext is not for this key (or corrupted) (rule: decrypts-to-leaf-index)');
    const mine = encryptLeafIndex(E, 5).ciphertext;
    expect(() => decryptLeafIndex(e, { R: mine.R, c: (mine.c + LEAF_INDEX_BOUND) % SNARK_FIELD })).toThrow(EscrowError);
    expect(() => leafIndexFromSharedPoint(multiply(mine.R, e + 1n), mine)).toThrow(expect.objectContaining({ rule: 'decrypts-to-leaf-index' }));
  });

  it('refuses R off the curve, of low order, or outside the subgroup, and c outside the field', () => {
    const { ciphertext } = encryptLeafIndex(E, 5);
    const G_FULL: Point = [995203441582195749578291179787384436505546430278305826713579947235728471134n, 5472060717959818805561601436314318772137091100104008585924551046643952123905n];
    const order4 = mulPointEscalar(G_FULL, 2n * SUBGROUP_ORDER) as Point;
    const cases: [Point, string][] = [
      [[1n, 1n], 'on-curve'],
      [[0n, SNARK_FIELD - 1n], 'subgroup'],
      [order4, 'subgroup'],
      [G_FULL, 'subgroup'],
      [[0n, 1n], 'not-identity'],
    ];
    for (const [R, rule] of cases) {
      expect(() => decryptLeafIndex(e, { R, c: ciphertext.c })).toThrow(expect.objectContaining({ field: 'R', rule }));
    }
    expect(() => decryptLeafIndex(e, { R: ciphertext.R, c: SNARK_FIELD })).toThrow(expect.objectContaining({ field: 'c', rule: 'field-element' }));
    expect(() => decryptLeafIndex(0n, ciphertext)).toThrow(expect.objectContaining({ field: 'e' }));
  });
});
