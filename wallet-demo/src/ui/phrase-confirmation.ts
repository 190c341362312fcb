/**
 * The recovery phrase's confirmation: the holder types the words at a few positions chosen at
 * random, so a phrase that was not written down is caught before the wallet depends on it.
 */
export const WORDS_TO_CONFIRM = 3;

/** `count` distinct positions (0-based) out of `length`, in increasing order, from the CSPRNG. */
export function positionsToConfirm(length: number, count = WORDS_TO_CONFIRM): number[] {
  const chosen = new Set<number>();
  const random = new Uint32Array(1);
  while (chosen.size < Math.min(count, length)) {
    crypto.getRandomValues(random);
    // Rejection sampling: only values below the largest multiple of `length` map evenly.
    if (random[0] < Math.floor(0x1_0000_0000 / length) * length) chosen.add(random[0] % length);
  }
  return [...chosen].sort((a, b) => a - b);
}

/**
 * The positions (0-based) where the typed word differs from the phrase's; empty when all match.
 * Case and surrounding spaces do not matter.
 */
export function mismatchedPositions(words: string[], typed: Map<number, string>): number[] {
  return [...typed].filter(([i, word]) => word.trim().toLowerCase() !== words[i]).map(([i]) => i);
}

/** 1 → "1st", 22 → "22nd": positions as the holder reads them. */
export function ordinal(n: number): string {
  const suffix = n % 100 >= 11 && n % 100 <= 13 ? 'th' : (['th', 'st', 'nd', 'rd'][n % 10] ?? 'th');
  return `${n}${suffix}`;
}
