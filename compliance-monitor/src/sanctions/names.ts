/**
 * Names as screening compares them. A list writes "MÜLLER", "MUELLER" or "Волков"; a passport
 * "Müller" or "Volkov". `nameVariants` reduces a name to lower-case Latin letters and digits, in
 * every spelling the rules below allow, and `tokenSimilarity` compares two such words with
 * Jaro–Winkler, also on a looser key that folds common transliteration differences.
 *
 * The steps, in order: lower-case (NFC); German ä/ö/ü become both "ae/oe/ue" and "a/o/u" (two
 * variants: the machine-readable zone of a German passport writes MUELLER, many lists MULLER);
 * й → y; Unicode NFKD and every combining mark removed (é → e, ά → α); Cyrillic and Greek letters
 * transliterated with the table below; ß → ss, æ → ae, ø → o, ł → l and a few more; everything that
 * is not a letter or digit separates words ("Jean-Luc" → jean luc).
 */

/** Cyrillic (Russian, Ukrainian, Belarusian, Serbian, Bulgarian) and Greek to Latin, after marks are removed. */
const TRANSLIT: Record<string, string> = {
  а: 'a',
  б: 'b',
  в: 'v',
  г: 'g',
  д: 'd',
  е: 'e',
  ж: 'zh',
  з: 'z',
  и: 'i',
  к: 'k',
  л: 'l',
  м: 'm',
  н: 'n',
  о: 'o',
  п: 'p',
  р: 'r',
  с: 's',
  т: 't',
  у: 'u',
  ф: 'f',
  х: 'kh',
  ц: 'ts',
  ч: 'ch',
  ш: 'sh',
  щ: 'shch',
  ъ: '',
  ы: 'y',
  ь: '',
  э: 'e',
  ю: 'yu',
  я: 'ya',
  і: 'i',
  є: 'ye',
  ґ: 'g',
  ђ: 'dj',
  ј: 'j',
  љ: 'lj',
  њ: 'nj',
  ћ: 'c',
  џ: 'dz',
  α: 'a',
  β: 'v',
  γ: 'g',
  δ: 'd',
  ε: 'e',
  ζ: 'z',
  η: 'i',
  θ: 'th',
  ι: 'i',
  κ: 'k',
  λ: 'l',
  μ: 'm',
  ν: 'n',
  ξ: 'x',
  ο: 'o',
  π: 'p',
  ρ: 'r',
  σ: 's',
  ς: 's',
  τ: 't',
  υ: 'y',
  φ: 'f',
  χ: 'ch',
  ψ: 'ps',
  ω: 'o',
  ß: 'ss',
  æ: 'ae',
  œ: 'oe',
  ø: 'o',
  ł: 'l',
  đ: 'd',
  ð: 'd',
  þ: 'th',
  ı: 'i',
  ŋ: 'ng',
};

/** Greek letter pairs read as one sound: ου is "ou" (Παπαδόπουλος → papadopoulos), not "oy". */
const GREEK_PAIRS: Array<[RegExp, string]> = [
  [/ου/g, 'ou'],
  [/αυ/g, 'av'],
  [/ευ/g, 'ev'],
  [/μπ/g, 'b'],
  [/ντ/g, 'd'],
  [/γγ/g, 'ng'],
];

function fold(lowerNfc: string): string {
  let s = lowerNfc.replace(/й/g, 'y').normalize('NFKD').replace(/\p{M}/gu, '');
  for (const [re, to] of GREEK_PAIRS) s = s.replace(re, to);
  s = [...s].map((c) => TRANSLIT[c] ?? c).join('');
  return s
    .replace(/[^\p{L}\p{N}]+/gu, ' ')
    .trim()
    .replace(/\s+/g, ' ');
}

/**
 * Every normalised spelling of `name` (one, or two when it holds ä/ö/ü), each a string of
 * lower-case words separated by single spaces.
 */
export function nameVariants(name: string): string[] {
  const lower = name.normalize('NFC').toLowerCase();
  const variants = new Set([fold(lower.replace(/ä/g, 'ae').replace(/ö/g, 'oe').replace(/ü/g, 'ue')), fold(lower)]);
  variants.delete('');
  return [...variants];
}

/** The words of a name in its first (ä → ae) spelling. */
export function nameTokens(name: string): string[] {
  return nameVariants(name)[0]?.split(' ') ?? [];
}

/**
 * A looser key for one word: spellings transliteration systems disagree on fold together
 * (x/ks, y/i, w/v, ph/f, kh/h, ck/k) and doubled letters count once. Aleksandr and Alexander,
 * Sergei and Sergey, Dmitri and Dmitry come closer; it is only ever used alongside the exact word.
 */
export function looseKey(word: string): string {
  return word
    .replace(/x/g, 'ks')
    .replace(/ph/g, 'f')
    .replace(/kh/g, 'h')
    .replace(/ck/g, 'k')
    .replace(/w/g, 'v')
    .replace(/y/g, 'i')
    .replace(/(.)\1+/g, '$1');
}

/** Jaro–Winkler similarity of two strings, 0..1 (prefix scale 0.1, up to 4 characters). */
export function jaroWinkler(a: string, b: string): number {
  if (a === b) return 1;
  if (a.length === 0 || b.length === 0) return 0;
  const window = Math.max(0, Math.floor(Math.max(a.length, b.length) / 2) - 1);
  const aMatched = new Array<boolean>(a.length).fill(false);
  const bMatched = new Array<boolean>(b.length).fill(false);
  let matches = 0;
  for (let i = 0; i < a.length; i++) {
    const from = Math.max(0, i - window);
    const to = Math.min(b.length - 1, i + window);
    for (let j = from; j <= to; j++) {
      if (bMatched[j] || a[i] !== b[j]) continue;
      aMatched[i] = bMatched[j] = true;
      matches++;
      break;
    }
  }
  if (matches === 0) return 0;
  let transpositions = 0;
  for (let i = 0, j = 0; i < a.length; i++) {
    if (!aMatched[i]) continue;
    while (!bMatched[j]) j++;
    if (a[i] !== b[j]) transpositions++;
    j++;
  }
  const m = matches;
  const jaro = (m / a.length + m / b.length + (m - transpositions / 2) / m) / 3;
  let prefix = 0;
  while (prefix < 4 && prefix < a.length && prefix < b.length && a[prefix] === b[prefix]) prefix++;
  return jaro + prefix * 0.1 * (1 - jaro);
}

/** Similarity of two normalised words: the better of Jaro–Winkler on the words and on their loose keys. */
export function tokenSimilarity(a: string, b: string): number {
  if (a === b) return 1;
  return Math.max(jaroWinkler(a, b), jaroWinkler(looseKey(a), looseKey(b)));
}
