import { commitToPolynomial } from './feldman.js';
import { multiplyBase, randomScalar } from './group.js';
import { openShare, sealShare } from './share-transport.js';

describe('share transport (ECDH on Baby Jubjub, HKDF-SHA256, AES-256-GCM)', () => {
  const t = randomScalar();
  const T = multiplyBase(t);
  const context = { dkgId: '11'.repeat(32), dealer: 1, recipient: 2, commitments: commitToPolynomial([5n, 6n]) };

  it('opens for the recipient, with a fresh ephemeral key per box', () => {
    const a = sealShare(777n, T, context);
    const b = sealShare(777n, T, context);
    expect(a.ephemeralKey).not.toEqual(b.ephemeralKey);
    expect(a.box).not.toBe(b.box);
    expect(a.box).toMatch(/^[0-9a-f]{96}$/);
    expect(openShare(t, a, context)).toBe(777n);
  });

  it('refuses another key, another dealing, another DKG, another recipient slot, and a tampered box', () => {
    const sealed = sealShare(777n, T, context);
    const refuses = (f: () => unknown) => expect(f).toThrow(expect.objectContaining({ field: 'share', rule: 'decrypts' }));
    refuses(() => openShare(randomScalar(), sealed, context));
    refuses(() => openShare(t, sealed, { ...context, commitments: commitToPolynomial([5n, 7n]) }));
    refuses(() => openShare(t, sealed, { ...context, dkgId: '22'.repeat(32) }));
    refuses(() => openShare(t, sealed, { ...context, recipient: 3 }));
    refuses(() => openShare(t, { ...sealed, box: sealed.box.slice(0, -2) + (sealed.box.endsWith('00') ? '01' : '00') }, context));
    refuses(() => openShare(t, { ...sealed, box: 'zz' }, context));
  });
});
