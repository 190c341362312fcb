/**
 * Risk scores per investor (per wallet for a wallet without an investor tag), decaying
 * exponentially: a score halves every `halfLifeDays` (the rule file's `scoring`). Each hit adds its
 * rule's score at the hit's block time:
 *
 *   scoreAt(t) = score · 2^(−(t − at) / halfLife)      (at: the time of the last hit added)
 *
 * Only block times are used, so scores are as deterministic as the hits. The book is plain JSON
 * ({@link RiskScores.toJSON}); the store keeps it with the engine state.
 */
import type { RuleHit } from '../model.js';
import { subjectKey } from './state.js';

const DAY = 86400;

export interface ScoreEntry {
  /** The score at `at`. */
  score: number;
  /** Unix seconds of the last hit added. */
  at: number;
}

/** Read access to scores, what playbooks need. */
export interface ScoreView {
  /** The score of `subject` (`investor:<tag>` or `wallet:<address>`) at time `t` (unix seconds). */
  scoreAt(subject: string, t: number): number;
}

/** The subject key a hit's score goes to. */
export function hitSubject(hit: RuleHit): string {
  return subjectKey(hit.subject.wallets[0] ?? '', hit.subject.investorTag);
}

export class RiskScores implements ScoreView {
  private readonly entries = new Map<string, ScoreEntry>();
  readonly halfLifeSeconds: number;

  constructor(halfLifeDays: number, entries: Record<string, ScoreEntry> = {}) {
    if (!(halfLifeDays > 0) || !Number.isFinite(halfLifeDays)) throw new Error(`RiskScores: halfLifeDays must be a number > 0, got ${halfLifeDays}`);
    this.halfLifeSeconds = halfLifeDays * DAY;
    for (const [k, v] of Object.entries(entries)) this.entries.set(k, { ...v });
  }

  /** The decayed score at `t`; a time before the last hit reads that hit's score (no growth backwards). */
  scoreAt(subject: string, t: number): number {
    const entry = this.entries.get(subject);
    if (!entry) return 0;
    const elapsed = Math.max(0, t - entry.at);
    return entry.score * Math.pow(2, -elapsed / this.halfLifeSeconds);
  }

  /** Adds a hit's score at its time; returns the subject's score right after. */
  add(hit: RuleHit): number {
    const subject = hitSubject(hit);
    const at = Math.max(hit.at, this.entries.get(subject)?.at ?? hit.at);
    const score = this.scoreAt(subject, at) + hit.score;
    this.entries.set(subject, { score, at });
    return score;
  }

  /** Adds hits in order. */
  addAll(hits: readonly RuleHit[]): void {
    for (const hit of hits) this.add(hit);
  }

  /** Subjects with their scores at `t`, highest first. */
  ranking(t: number): Array<{ subject: string; score: number }> {
    return [...this.entries.keys()].map((subject) => ({ subject, score: this.scoreAt(subject, t) })).sort((a, b) => b.score - a.score || (a.subject < b.subject ? -1 : 1));
  }

  clone(): RiskScores {
    return new RiskScores(this.halfLifeSeconds / DAY, this.toJSON());
  }

  toJSON(): Record<string, ScoreEntry> {
    return Object.fromEntries([...this.entries].sort(([a], [b]) => (a < b ? -1 : 1)).map(([k, v]) => [k, { ...v }]));
  }
}
