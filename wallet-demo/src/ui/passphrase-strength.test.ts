/**
 * The passphrase bar: zxcvbn's score of at least 3, with the library's feedback in the refusal.
 */
import { describe, expect, it } from '@jest/globals';
import { MIN_PASSPHRASE_SCORE, passphraseStrength, strengthRefusal } from './passphrase-strength.js';

describe('passphrase strength', () => {
  it('refuses aaaaaaaa and password123, naming the rule and saying why', async () => {
    for (const weak of ['aaaaaaaa', 'password123', 'qwertyuiop']) {
      const strength = await passphraseStrength(weak);
      expect(strength.score).toBeLessThan(MIN_PASSPHRASE_SCORE);
      expect(strengthRefusal(strength)).toMatch(/^passphrase: too easy to guess — it scores [0-2] of 4 and needs at least 3\./);
    }
    const repeated = strengthRefusal(await passphraseStrength('aaaaaaaa'))!;
    expect(repeated).toContain('Repeated characters');
    expect(strengthRefusal(await passphraseStrength('password123'))).toContain('commonly used password');
  });

  it('accepts a long passphrase of unrelated words', async () => {
    const strength = await passphraseStrength('correct horse battery staple');
    expect(strength.score).toBeGreaterThanOrEqual(MIN_PASSPHRASE_SCORE);
    expect(strengthRefusal(strength)).toBeNull();
  });
});
