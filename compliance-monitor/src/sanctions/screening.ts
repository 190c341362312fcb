import { countryCode } from './countries.js';
import type { ListSource, ListedDate, SanctionsEntry } from './entries.js';
import { nameVariants, tokenSimilarity } from './names.js';

/**
 * Person-level screening: which list entries could be a person the issuer verified? Ongoing
 * screening, as KYC providers do it: every verified person against every import, and the officer
 * (in issuer-service) decides. A candidate is scored on three things, each with its reason:
 *
 * - **Name** (0..1): the person's words (given names and family name) are paired one-to-one with
 *   the words of each name and alias of the entry, best pairs first, each pair scored by
 *   `tokenSimilarity` (Jaro–Winkler over normalised, transliterated words — names.ts). The score is
 *   the mean over the person's words; a family-name word that finds no pair of at least
 *   `FAMILY_FLOOR` caps it at 0.6 (a shared first name is not a match); words of the entry left over
 *   (middle names, patronymics) take off 0.02 each, at most 0.06. The best name or alias counts.
 * - **Birth date**: +0.10 when a listed date equals the person's, +0.04 when the person's year is
 *   within a listed year or range (a list that gives only the year), +0.02 within one year of a
 *   "circa" date, −0.05 for the same year and another day, −0.25 for another year. No date listed: 0.
 * - **Nationality**: +0.05 when the person's nationality or document country is listed, −0.05 when
 *   the entry lists others. Nothing listed: 0.
 *
 * The sum, clamped to 0..1, is the score; candidates at or above `minScore` are returned. Only
 * entries of type individual are screened against people.
 */

/** A person as issuer-service's reviewer verified it (its VerifiedPerson), with the credential it stands behind. */
export interface ScreenedPerson {
  /** The issuer's credential id: what a confirmed match revokes. */
  credentialId: string;
  familyName: string;
  /** May be empty (people with a single name). */
  givenNames: string;
  /** YYYY-MM-DD. */
  birthDate: string;
  /** ISO 3166-1 alpha-2 of the document's issuing state. */
  issuingCountry?: string;
  /** ISO 3166-1 alpha-2, when the document states a nationality other than its issuer. */
  nationality?: string;
}

export interface MatchReason {
  factor: 'name' | 'birth-date' | 'nationality';
  /** What this factor adds to (or takes from) the score; for `name`, the name score itself. */
  effect: number;
  detail: string;
}

/**
 * What the monitor hands to issuer-service for one candidate: the person (by credential id), the
 * list entry (source and uid), the score and why. A reviewer confirms or dismisses it there; a
 * confirmed match revokes the credential.
 */
export interface ScreeningMatch {
  credentialId: string;
  source: ListSource;
  entryUid: string;
  /** The entry's primary name, and the name or alias that matched. */
  entryName: string;
  matchedName: string;
  /** 0..1, three decimals. */
  score: number;
  reasons: MatchReason[];
}

export interface ScreeningOptions {
  /** Candidates scoring below are dropped (default 0.8). */
  minScore?: number;
  /** At most this many candidates per person, best first (default 5). */
  maxPerPerson?: number;
}

/** A person refused before screening: `field` names it (`persons[2].birthDate`), `rule` what it broke. */
export class ScreeningInputError extends Error {
  constructor(
    readonly field: string,
    readonly rule: string,
    detail: string,
  ) {
    super(`${field}: ${rule}: ${detail}`);
    this.name = 'ScreeningInputError';
  }
}

const FAMILY_FLOOR = 0.85;
const PAIR_FLOOR = 0.75;

interface IndexedName {
  text: string;
  /** Each spelling variant's words. */
  variants: string[][];
}

interface IndexedEntry {
  source: ListSource;
  entry: SanctionsEntry;
  names: IndexedName[];
}

/** The entries of the current lists, names normalised once. */
export interface ScreeningIndex {
  entries: IndexedEntry[];
}

export function buildScreeningIndex(lists: Array<{ source: ListSource; entries: SanctionsEntry[] }>): ScreeningIndex {
  const entries: IndexedEntry[] = [];
  for (const { source, entries: listEntries } of lists) {
    for (const entry of listEntries) {
      if (entry.type !== 'individual') continue;
      entries.push({
        source,
        entry,
        names: entry.names.map((n) => ({ text: n.wholeName, variants: nameVariants(n.wholeName).map((v) => v.split(' ')) })),
      });
    }
  }
  return { entries };
}

/** Scores person words against entry words; the pairing and penalties described above. */
function nameScore(given: string[], family: string[], entryWords: string[]): number {
  const person = [...given.map((w) => ({ w, family: false })), ...family.map((w) => ({ w, family: true }))];
  const pairs: Array<{ p: number; e: number; s: number }> = [];
  person.forEach(({ w }, p) => entryWords.forEach((e, ei) => pairs.push({ p, e: ei, s: tokenSimilarity(w, e) })));
  pairs.sort((x, y) => y.s - x.s);
  const personUsed = new Map<number, number>();
  const entryUsed = new Set<number>();
  for (const { p, e, s } of pairs) {
    if (s < PAIR_FLOOR || personUsed.has(p) || entryUsed.has(e)) continue;
    personUsed.set(p, s);
    entryUsed.add(e);
  }
  let score = [...personUsed.values()].reduce((a, b) => a + b, 0) / person.length;
  const familyOk = person.every(({ family }, p) => !family || (personUsed.get(p) ?? 0) >= FAMILY_FLOOR);
  if (!familyOk) score = Math.min(score, 0.6);
  score -= Math.min(0.06, 0.02 * (entryWords.length - entryUsed.size));
  return Math.max(0, score);
}

function birthDateEffect(birthDate: string, dates: ListedDate[]): MatchReason {
  if (dates.length === 0) return { factor: 'birth-date', effect: 0, detail: 'the list states no birth date' };
  const [y, m, d] = birthDate.split('-').map(Number);
  let best: MatchReason | undefined;
  for (const date of dates) {
    let r: MatchReason;
    const to = date.yearTo ?? date.year;
    if (date.day !== undefined && date.month !== undefined && date.year === y && date.month === m && date.day === d) {
      r = { factor: 'birth-date', effect: 0.1, detail: `birth date ${birthDate} equals the listed "${date.text}"` };
    } else if (date.day === undefined && y >= date.year && y <= to && (date.month === undefined || date.month === m)) {
      r = { factor: 'birth-date', effect: 0.04, detail: `birth year ${y} is within the listed "${date.text}"` };
    } else if (date.circa && y >= date.year - 1 && y <= to + 1) {
      r = { factor: 'birth-date', effect: 0.02, detail: `birth year ${y} is near the listed "circa ${date.text.replace(/^circa\s+/i, '')}"` };
    } else if (y >= date.year && y <= to) {
      r = { factor: 'birth-date', effect: -0.05, detail: `birth date ${birthDate} has the listed year but not the listed day ("${date.text}")` };
    } else {
      const off = y < date.year ? date.year - y : y - to;
      r = { factor: 'birth-date', effect: -0.25, detail: `birth year ${y} is ${off} year(s) from the listed "${date.text}"` };
    }
    if (!best || r.effect > best.effect) best = r;
  }
  return best!;
}

function nationalityEffect(person: ScreenedPerson, listed: string[]): MatchReason {
  if (listed.length === 0) return { factor: 'nationality', effect: 0, detail: 'the list states no nationality' };
  const mine = [person.nationality, person.issuingCountry].filter((c): c is string => !!c).map(countryCode);
  const hit = mine.find((c) => listed.includes(c));
  if (hit) return { factor: 'nationality', effect: 0.05, detail: `${hit} is a listed nationality` };
  return { factor: 'nationality', effect: -0.05, detail: `listed nationality ${listed.join(', ')}; the person's documents say ${mine.join(', ') || 'nothing'}` };
}

/** Candidates for one (validated) person, best first. */
export function screenPerson(person: ScreenedPerson, index: ScreeningIndex, options: ScreeningOptions = {}): ScreeningMatch[] {
  const minScore = options.minScore ?? 0.8;
  const givenVariants = person.givenNames.trim() === '' ? [''] : nameVariants(person.givenNames);
  const familyVariants = nameVariants(person.familyName);
  const out: ScreeningMatch[] = [];
  for (const { source, entry, names } of index.entries) {
    let best = { score: -1, name: '' };
    for (const n of names) {
      for (const ev of n.variants) {
        for (const gv of givenVariants) {
          for (const fv of familyVariants) {
            const s = nameScore(gv === '' ? [] : gv.split(' '), fv.split(' '), ev);
            if (s > best.score) best = { score: s, name: n.text };
          }
        }
      }
    }
    // Dates and nationality only ever move a name that is already close.
    if (best.score < minScore - 0.15) continue;
    const reasons: MatchReason[] = [
      { factor: 'name', effect: round(best.score), detail: `"${[person.givenNames, person.familyName].filter(Boolean).join(' ')}" ~ "${best.name}"` },
      birthDateEffect(person.birthDate, entry.birthDates),
      nationalityEffect(person, entry.nationalities),
    ];
    const score = round(
      Math.min(
        1,
        Math.max(
          0,
          reasons.reduce((a, r) => a + r.effect, 0),
        ),
      ),
    );
    if (score < minScore) continue;
    out.push({ credentialId: person.credentialId, source, entryUid: entry.uid, entryName: entry.names[0].wholeName, matchedName: best.name, score, reasons });
  }
  return out.sort((a, b) => b.score - a.score).slice(0, options.maxPerPerson ?? 5);
}

/**
 * Screens a batch of persons (validated first: a bad one refuses the batch, naming
 * `persons[i].field`) against the lists; all candidates, grouped by person in input order.
 */
export function screenPersons(persons: unknown, lists: ScreeningIndex | Array<{ source: ListSource; entries: SanctionsEntry[] }>, options: ScreeningOptions = {}): ScreeningMatch[] {
  const valid = validatePersons(persons);
  const index = Array.isArray(lists) ? buildScreeningIndex(lists) : lists;
  return valid.flatMap((p) => screenPerson(p, index, options));
}

/** Checks the shape of a batch of persons; errors name `persons[i].field` and the rule. */
export function validatePersons(persons: unknown): ScreenedPerson[] {
  if (!Array.isArray(persons)) throw new ScreeningInputError('persons', 'array', 'expected an array of persons');
  return persons.map((p, i) => {
    const at = `persons[${i}]`;
    if (typeof p !== 'object' || p === null) throw new ScreeningInputError(at, 'object', 'expected an object');
    const o = p as Record<string, unknown>;
    const str = (k: string, optional = false): string | undefined => {
      const v = o[k];
      if (v === undefined && optional) return undefined;
      if (typeof v !== 'string') throw new ScreeningInputError(`${at}.${k}`, 'string', `${k} must be a string`);
      return v;
    };
    const credentialId = str('credentialId')!;
    if (credentialId.trim() === '') throw new ScreeningInputError(`${at}.credentialId`, 'non-empty', 'credentialId must not be empty');
    const familyName = str('familyName')!;
    if (!/\p{L}/u.test(familyName)) throw new ScreeningInputError(`${at}.familyName`, 'name', 'familyName must contain at least one letter');
    const givenNames = str('givenNames')!;
    const birthDate = str('birthDate')!;
    const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(birthDate);
    const day = m ? new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]))) : null;
    if (!m || !day || day.getUTCMonth() !== Number(m[2]) - 1 || day.getUTCDate() !== Number(m[3])) {
      throw new ScreeningInputError(`${at}.birthDate`, 'date', `"${birthDate}" is not a YYYY-MM-DD calendar date`);
    }
    const person: ScreenedPerson = { credentialId, familyName, givenNames, birthDate };
    for (const k of ['issuingCountry', 'nationality'] as const) {
      const v = str(k, true);
      if (v === undefined) continue;
      if (!/^[A-Za-z]{2}$/.test(v)) throw new ScreeningInputError(`${at}.${k}`, 'iso3166-alpha2', `"${v.slice(0, 8)}" is not an ISO 3166-1 alpha-2 code`);
      person[k] = v.toUpperCase();
    }
    return person;
  });
}

function round(x: number): number {
  return Math.round(x * 1000) / 1000;
}
