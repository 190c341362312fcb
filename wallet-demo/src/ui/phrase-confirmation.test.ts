import { describe, expect, it } from '@jest/globals';
import { mismatchedPositions, ordinal, positionsToConfirm } from './phrase-confirmation.js';

describe('recovery phrase confirmation', () => {
  it('asks for 3 distinct positions, spread over the whole phrase across draws', () => {
    const seen = new Set<number>();
    for (let draw = 0; draw < 200; draw++) {
      const positions = positionsToConfirm(24);
      expect(positions).toHaveLength(3);
      expect(new Set(positions).size).toBe(3);
      expect(positions).toEqual([...positions].sort((a, b) => a - b));
      for (const p of positions) {
        expect(p).toBeGreaterThanOrEqual(0);
        expect(p).toBeLessThan(24);
        seen.add(p);
      }
    }
    expect(seen.size).toBe(24);
  });

  it('names the positions whose typed word is wrong, ignoring case and spaces', () => {
    const words = ['legal', 'winner', 'thank', 'year'];
    expect(
      mismatchedPositions(
        words,
        new Map([
          [0, ' Legal '],
          [3, 'year'],
        ]),
      ),
    ).toEqual([]);
    expect(
      mismatchedPositions(
        words,
        new Map([
          [1, 'winter'],
          [2, 'thank'],
          [3, ''],
        ]),
      ),
    ).toEqual([1, 3]);
  });

  it('reads positions as ordinals', () => {
    expect([1, 2, 3, 4, 11, 12, 13, 21, 22, 23, 24].map(ordinal)).toEqual(['1st', '2nd', '3rd', '4th', '11th', '12th', '13th', '21st', '22nd', '23rd', '24th']);
  });
});
