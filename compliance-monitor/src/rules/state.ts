/**
 * What the rule engine remembers between batches, behind one small interface ({@link MonitorState})
 * so that the store can keep it in SQL later; {@link MemoryMonitorState} keeps it in memory and
 * turns it into a plain JSON snapshot and back ({@link MemoryMonitorState.toSnapshot}), which is
 * how the store can persist it today: one row per token, written in the same transaction as the
 * batch of events that produced it.
 *
 * It holds, per token: which investor each wallet belongs to, balances and supply, the frozen and
 * sanctioned wallets, each subject's recent movements (no older than the longest rule window),
 * each subject's last activity, the transfer graph (who sent to whom: per direction, the latest
 * transfer large enough to link them; links older than the exposure window are forgotten), per rule and subject a cursor (movements at or before it were already used by a
 * hit), and a few one-shot marks (an exposure already reported, an investor above a concentration
 * limit).
 *
 * A *subject* is who rules count for: `investor:<tag>` for a wallet with an investor tag (all the
 * investor's wallets count together), `wallet:<address>` for one without.
 */
import type { EventRef } from '../model.js';

/** One movement of tokens into or out of a subject, as the rules count it. */
export interface Movement {
  ref: EventRef;
  /** {@link orderKey} of `ref`: movements compare by it. */
  order: string;
  /** Block time, unix seconds. */
  time: number;
  dir: 'in' | 'out';
  /** The subject's wallet that sent or received. */
  wallet: string;
  /** The other side (the zero address for a mint). */
  counterparty: string;
  /** Base units, decimal string. */
  value: string;
}

/**
 * A transfer-graph edge seen from one wallet: the neighbour, whether the wallet sent to it (`out`)
 * or received from it (`in`), and the latest transfer that linked them that way.
 */
export interface Link {
  wallet: string;
  dir: 'out' | 'in';
  ref: EventRef;
  time: number;
  /** Base units of that transfer, decimal string. */
  value: string;
}

export interface MonitorState {
  /** The investor tag of a wallet, or null when none is known. */
  investorOf(wallet: string): string | null;
  bindInvestor(wallet: string, investorTag: string): void;
  /** The wallets known to belong to an investor tag, sorted. */
  walletsOf(investorTag: string): string[];

  balanceOf(wallet: string): bigint;
  setBalance(wallet: string, balance: bigint): void;
  totalSupply(): bigint;
  setTotalSupply(supply: bigint): void;
  /** Wallets with a balance above zero, sorted. */
  holders(): string[];

  isFrozen(wallet: string): boolean;
  setFrozen(wallet: string, frozen: boolean): void;
  isSanctioned(wallet: string): boolean;
  setSanctioned(wallet: string, sanctioned: boolean): void;

  /** A subject's movements with `time >= since`, oldest first. */
  movements(subject: string, since: number): Movement[];
  /** Appends a movement; the store may forget movements with `time < forgetBefore`. */
  addMovement(subject: string, movement: Movement, forgetBefore: number): void;
  lastActivity(subject: string): number | undefined;
  setLastActivity(subject: string, time: number): void;

  /** The transfer-graph links of a wallet (both directions), sorted by address, then `in` before `out`. */
  neighbours(wallet: string): Link[];
  /**
   * Records that `from` sent `value` to `to` (an `out` link of `from`, an `in` link of `to`); a later
   * transfer replaces the earlier one. Links of either wallet older than `forgetBefore` are dropped.
   */
  link(from: string, to: string, ref: EventRef, time: number, value: bigint, forgetBefore: number): void;

  /**
   * Drops, for every subject and wallet, movements older than `movementsBefore` and links older than
   * `linksBefore`: what no rule window reaches any more. addMovement and link forget only for the
   * subjects they touch; this is for the ones that went quiet, so the state stays the size of the
   * windows, not of the chain's history.
   */
  forget(movementsBefore: number, linksBefore: number): void;

  /** Per rule and subject: the order key of the last movement a hit used. */
  cursor(ruleId: string, subject: string): string | undefined;
  setCursor(ruleId: string, subject: string, order: string): void;

  /** One-shot marks (e.g. `exposure|rule|wallet|source`). */
  isMarked(key: string): boolean;
  setMarked(key: string, marked: boolean): void;
}

/** Sorts events on chain: block number, then log index, as fixed-width text. */
export function orderKey(ref: EventRef): string {
  return `${ref.blockNumber.toString().padStart(12, '0')}:${ref.logIndex.toString().padStart(6, '0')}`;
}

/** The subject key of a wallet given its investor tag. */
export function subjectKey(wallet: string, investorTag: string | null): string {
  return investorTag ? `investor:${investorTag}` : `wallet:${wallet}`;
}

/** {@link MemoryMonitorState} as plain JSON (amounts as decimal strings). */
export interface MonitorSnapshot {
  format: 'zkkyc-monitor-state/2';
  investors: Record<string, string>;
  balances: Record<string, string>;
  supply: string;
  frozen: string[];
  sanctioned: string[];
  movements: Record<string, Movement[]>;
  lastActivity: Record<string, number>;
  links: Record<string, Link[]>;
  cursors: Record<string, string>;
  marks: string[];
}

/** {@link MonitorState} in memory; {@link toSnapshot} / {@link fromSnapshot} for persistence. */
export class MemoryMonitorState implements MonitorState {
  private investors = new Map<string, string>();
  private members = new Map<string, Set<string>>();
  private balances = new Map<string, bigint>();
  private supply = 0n;
  private frozen = new Set<string>();
  private sanctioned = new Set<string>();
  private history = new Map<string, Movement[]>();
  private activity = new Map<string, number>();
  private links = new Map<string, Map<string, Link>>();
  private cursors = new Map<string, string>();
  private marks = new Set<string>();

  investorOf(wallet: string): string | null {
    return this.investors.get(wallet) ?? null;
  }

  bindInvestor(wallet: string, investorTag: string): void {
    const previous = this.investors.get(wallet);
    if (previous === investorTag) return;
    if (previous) this.members.get(previous)?.delete(wallet);
    this.investors.set(wallet, investorTag);
    let set = this.members.get(investorTag);
    if (!set) this.members.set(investorTag, (set = new Set()));
    set.add(wallet);
  }

  walletsOf(investorTag: string): string[] {
    return [...(this.members.get(investorTag) ?? [])].sort();
  }

  balanceOf(wallet: string): bigint {
    return this.balances.get(wallet) ?? 0n;
  }

  setBalance(wallet: string, balance: bigint): void {
    if (balance === 0n) this.balances.delete(wallet);
    else this.balances.set(wallet, balance);
  }

  totalSupply(): bigint {
    return this.supply;
  }

  setTotalSupply(supply: bigint): void {
    this.supply = supply;
  }

  holders(): string[] {
    return [...this.balances.keys()].sort();
  }

  isFrozen(wallet: string): boolean {
    return this.frozen.has(wallet);
  }

  setFrozen(wallet: string, frozen: boolean): void {
    if (frozen) this.frozen.add(wallet);
    else this.frozen.delete(wallet);
  }

  isSanctioned(wallet: string): boolean {
    return this.sanctioned.has(wallet);
  }

  setSanctioned(wallet: string, sanctioned: boolean): void {
    if (sanctioned) this.sanctioned.add(wallet);
    else this.sanctioned.delete(wallet);
  }

  movements(subject: string, since: number): Movement[] {
    return (this.history.get(subject) ?? []).filter((m) => m.time >= since);
  }

  addMovement(subject: string, movement: Movement, forgetBefore: number): void {
    const kept = (this.history.get(subject) ?? []).filter((m) => m.time >= forgetBefore);
    kept.push(movement);
    this.history.set(subject, kept);
  }

  lastActivity(subject: string): number | undefined {
    return this.activity.get(subject);
  }

  setLastActivity(subject: string, time: number): void {
    this.activity.set(subject, time);
  }

  neighbours(wallet: string): Link[] {
    return [...(this.links.get(wallet)?.values() ?? [])].sort((x, y) => (x.wallet < y.wallet ? -1 : x.wallet > y.wallet ? 1 : x.dir < y.dir ? -1 : x.dir > y.dir ? 1 : 0));
  }

  link(from: string, to: string, ref: EventRef, time: number, value: bigint, forgetBefore: number): void {
    const add = (at: string, other: string, dir: 'out' | 'in') => {
      let map = this.links.get(at);
      if (!map) this.links.set(at, (map = new Map()));
      for (const [key, l] of map) if (l.time < forgetBefore) map.delete(key);
      map.set(`${dir}|${other}`, { wallet: other, dir, ref: { ...ref }, time, value: value.toString() });
    };
    add(from, to, 'out');
    add(to, from, 'in');
  }

  forget(movementsBefore: number, linksBefore: number): void {
    for (const [subject, list] of this.history) {
      if (list.length === 0 || list[0].time >= movementsBefore) continue;
      const kept = list.filter((m) => m.time >= movementsBefore);
      if (kept.length > 0) this.history.set(subject, kept);
      else this.history.delete(subject);
    }
    for (const [wallet, map] of this.links) {
      for (const [key, l] of map) if (l.time < linksBefore) map.delete(key);
      if (map.size === 0) this.links.delete(wallet);
    }
  }

  cursor(ruleId: string, subject: string): string | undefined {
    return this.cursors.get(`${ruleId}|${subject}`);
  }

  setCursor(ruleId: string, subject: string, order: string): void {
    this.cursors.set(`${ruleId}|${subject}`, order);
  }

  isMarked(key: string): boolean {
    return this.marks.has(key);
  }

  setMarked(key: string, marked: boolean): void {
    if (marked) this.marks.add(key);
    else this.marks.delete(key);
  }

  toSnapshot(): MonitorSnapshot {
    const sortedRecord = <T>(entries: Iterable<[string, T]>) => Object.fromEntries([...entries].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
    return {
      format: 'zkkyc-monitor-state/2',
      investors: sortedRecord(this.investors),
      balances: sortedRecord([...this.balances].map(([k, v]) => [k, v.toString()] as [string, string])),
      supply: this.supply.toString(),
      frozen: [...this.frozen].sort(),
      sanctioned: [...this.sanctioned].sort(),
      movements: sortedRecord([...this.history].map(([k, v]) => [k, v.map((m) => ({ ...m, ref: { ...m.ref } }))] as [string, Movement[]])),
      lastActivity: sortedRecord(this.activity),
      links: sortedRecord([...this.links.keys()].map((k) => [k, this.neighbours(k).map((l) => ({ ...l, ref: { ...l.ref } }))] as [string, Link[]])),
      cursors: sortedRecord(this.cursors),
      marks: [...this.marks].sort(),
    };
  }

  static fromSnapshot(snapshot: MonitorSnapshot): MemoryMonitorState {
    // Format 1 kept undirected links without amounts: they are dropped (exposure re-learns them).
    const legacy = (snapshot?.format as string) === 'zkkyc-monitor-state/1';
    if (!legacy && snapshot?.format !== 'zkkyc-monitor-state/2') throw new Error(`monitor state: unknown snapshot format ${JSON.stringify(snapshot?.format)}`);
    const state = new MemoryMonitorState();
    for (const [wallet, tag] of Object.entries(snapshot.investors)) state.bindInvestor(wallet, tag);
    for (const [wallet, balance] of Object.entries(snapshot.balances)) state.setBalance(wallet, BigInt(balance));
    state.supply = BigInt(snapshot.supply);
    snapshot.frozen.forEach((w) => state.frozen.add(w));
    snapshot.sanctioned.forEach((w) => state.sanctioned.add(w));
    for (const [subject, list] of Object.entries(snapshot.movements))
      state.history.set(
        subject,
        list.map((m) => ({ ...m, ref: { ...m.ref } })),
      );
    for (const [subject, time] of Object.entries(snapshot.lastActivity)) state.activity.set(subject, time);
    if (!legacy) {
      for (const [wallet, list] of Object.entries(snapshot.links)) {
        state.links.set(wallet, new Map(list.map((l) => [`${l.dir}|${l.wallet}`, { ...l, ref: { ...l.ref } }])));
      }
    }
    for (const [key, order] of Object.entries(snapshot.cursors)) state.cursors.set(key, order);
    snapshot.marks.forEach((m) => state.marks.add(m));
    return state;
  }
}
