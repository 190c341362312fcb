import { deal, finalizeDkg, rosterOf, startDkg, type KeyShare, type ParticipantSecrets, type Roster, type ThresholdPublicKey, type Dealing } from './dkg.js';

/** For tests: an honest k-of-n DKG run in one process, every participant's results. */
export interface HonestDkg {
  roster: Roster;
  secrets: ParticipantSecrets[];
  dealings: Dealing[];
  shares: KeyShare[];
  publicKey: ThresholdPublicKey;
}

export function runHonestDkg(n: number, k: number): HonestDkg {
  const started = Array.from({ length: n }, (_, i) => startDkg(i + 1, n, k));
  const roster = rosterOf(started.map((s) => s.announcement));
  const secrets = started.map((s) => s.secrets);
  const dealings = secrets.map((s) => deal(s, roster));
  const finals = secrets.map((s) => finalizeDkg(s, roster, dealings, []));
  return { roster, secrets, dealings, shares: finals.map((f) => f.keyShare), publicKey: finals[0].publicKey };
}

/** All subsets of `items` of size `size`. */
export function subsets<T>(items: readonly T[], size: number): T[][] {
  if (size === 0) return [[]];
  if (items.length < size) return [];
  const [first, ...rest] = items;
  return [...subsets(rest, size - 1).map((s) => [first, ...s]), ...subsets(rest, size)];
}
