/**
 * The rule engine: turns final chain events into rule hits, one batch at a time.
 *
 * `evaluate(rules, state, events)` reads the events in chain order (block, then log index), updates
 * the {@link MonitorState} (balances, flags, movements, the transfer graph) and returns the hits the
 * events completed, in the order they were completed (per event, in the rule file's order). It
 * reads no clock: every time is a block time, so the same events on the same state give the same
 * hits, and replaying a batch on the state from before it gives them again.
 *
 * What counts:
 * - A *movement* is a holder's transfer (`Transfer` with neither side zero) or a mint (an inbound
 *   movement of the receiver). Burns, and the transfers of an agent's forced transfer or recovery
 *   (a transaction that also logs `ForcedTransfer` or `RecoverySuccess`), change balances only.
 * - A transfer between two wallets of one investor changes balances, the transfer graph and the
 *   last activity, but is no movement of that investor: moving between one's own wallets is
 *   neither volume nor structuring.
 * - Investors come from `options.investors` (the indexer's wallet → investor tag map) and, when
 *   `options.policyId` is given, from the gate's `WalletVerified` events of that policy (the tag is
 *   the nullifier's low 192 bits, as the gate stores it). A wallet without a tag counts alone.
 * - Exposure follows funds downstream of a *source*: a wallet sanctioned (SanctionSet) or frozen by
 *   an agent not in `options.ownAgents` (the monitor's own freezes are never sources, nor the freeze
 *   of a lost wallet in a recovery transaction). A transfer of at least the rule's `minAmount` links
 *   sender → receiver; links older than the rule's `windowSeconds` are forgotten. When a source
 *   appears, the wallets that received from it (within `hops`) are reported, at most
 *   `maxActionsPerSource` of them; when a wallet receives from one that is within `hops − 1` of a
 *   source, it is reported then. A wallet that only sent to a source is not exposed.
 * - A hit that counts several movements (structuring, velocity, rapid in-and-out) moves the rule's
 *   cursor for the subject past them: the next hit of that rule needs new movements.
 */
import type { ChainEvent, EventRef, RuleHit } from '../model.js';
import type { ConcentrationRule, DormantReactivatedRule, ExposureRule, LargeTransferRule, RapidInOutRule, Rule, RuleFile, StructuringRule, VelocityRule } from './rule-file.js';
import { MemoryMonitorState, orderKey, subjectKey, type MonitorSnapshot, type MonitorState, type Movement } from './state.js';

export interface EvaluateOptions {
  /** Wallet (lower-case) → investor tag (0x + 48 hex) or null, as the indexer knows them. */
  investors?: Map<string, string | null> | Record<string, string | null>;
  /** Learn investor tags from the gate's `WalletVerified` events of this policy. */
  policyId?: string;
  /** The monitor's own agent addresses: their freezes are not exposure sources (any case). */
  ownAgents?: readonly string[];
}

const ZERO = '0x0000000000000000000000000000000000000000';
const TAG_MASK = (1n << 192n) - 1n;
const DAY = 86400;

/** The investor tag the gate stores for a registration's nullifier: its low 192 bits, 0x + 48 hex. */
export function investorTagOf(nullifier: string | bigint): string {
  return `0x${(BigInt(nullifier) & TAG_MASK).toString(16).padStart(48, '0')}`;
}

/** Evaluates `rules` over `events` (final, in chain order), updating `state`; returns the hits. */
export function evaluate(rules: RuleFile, state: MonitorState, events: readonly ChainEvent[], options: EvaluateOptions = {}): RuleHit[] {
  const investors = options.investors instanceof Map ? options.investors : new Map(Object.entries(options.investors ?? {}));
  for (const [wallet, tag] of investors) if (tag) state.bindInvestor(wallet.toLowerCase(), tag.toLowerCase());
  const sorted = [...events].sort((a, b) => (orderKey(a) < orderKey(b) ? -1 : orderKey(a) > orderKey(b) ? 1 : 0));
  const agentTxs = new Set(sorted.filter((e) => e.source === 'token' && (e.name === 'ForcedTransfer' || e.name === 'RecoverySuccess')).map((e) => e.txHash));
  const recoveryTxs = new Set(sorted.filter((e) => e.source === 'token' && e.name === 'RecoverySuccess').map((e) => e.txHash));
  const ownAgents = new Set((options.ownAgents ?? []).map((a) => a.toLowerCase()));
  const run = new Evaluation(rules, state, options.policyId, ownAgents);
  for (const event of sorted) run.event(event, agentTxs.has(event.txHash), recoveryTxs.has(event.txHash));
  run.forgetOld();
  return run.hits;
}

/**
 * {@link evaluate} over a stored snapshot, for the indexer's batch transaction: load the snapshot the
 * store keeps (null the first time, or to rebuild after a reorg by replaying every stored event),
 * evaluate the batch, and store the snapshot it returns with the hits, in the same transaction.
 */
export function evaluateBatch(rules: RuleFile, snapshot: MonitorSnapshot | null, events: readonly ChainEvent[], options: EvaluateOptions = {}): { hits: RuleHit[]; snapshot: MonitorSnapshot } {
  const state = snapshot ? MemoryMonitorState.fromSnapshot(snapshot) : new MemoryMonitorState();
  const hits = evaluate(rules, state, events, options);
  return { hits, snapshot: state.toSnapshot() };
}

/** A hit being assembled. */
interface Draft {
  rule: Rule;
  subject: string;
  wallets: string[];
  summary: string;
  events: Array<{ ref: EventRef; time: number }>;
  amounts: string[];
  details: Record<string, unknown>;
  at: number;
}

class Evaluation {
  readonly hits: RuleHit[] = [];
  /** Movements older than this many seconds before the newest are never needed again. */
  private readonly horizon: number;
  private readonly exposureRules: ExposureRule[];
  /** The smallest transfer that links two wallets (for any exposure rule), and the longest link window. */
  private readonly linkMin: bigint;
  private readonly linkWindow: number;
  /** The newest block time evaluated: what the windows count back from. */
  private newest = 0;

  constructor(
    private readonly file: RuleFile,
    private readonly state: MonitorState,
    private readonly policyId: string | undefined,
    private readonly ownAgents: ReadonlySet<string>,
  ) {
    this.horizon = Math.max(0, ...file.rules.map((r) => (r.kind !== 'exposure' && 'windowSeconds' in r ? r.windowSeconds : 0)));
    this.exposureRules = file.rules.filter((r): r is ExposureRule => r.kind === 'exposure');
    this.linkMin = this.exposureRules.reduce((m, r) => (r.minAmount < m ? r.minAmount : m), this.exposureRules[0]?.minAmount ?? 0n);
    this.linkWindow = Math.max(0, ...this.exposureRules.map((r) => r.windowSeconds));
  }

  /** After a batch: what no window reaches from the newest event is forgotten for every subject (MonitorState.forget). */
  forgetOld(): void {
    if (this.newest > 0) this.state.forget(this.newest - this.horizon, this.newest - this.linkWindow);
  }

  event(e: ChainEvent, agentMove: boolean, recovery: boolean): void {
    const token = this.file.token;
    if (e.blockTime > this.newest) this.newest = e.blockTime;
    if (e.source === 'gate' && e.name === 'WalletVerified' && this.policyId !== undefined && e.args.policyId === this.policyId) {
      this.state.bindInvestor(e.args.wallet.toLowerCase(), investorTagOf(e.args.nullifier));
      return;
    }
    if (e.source === 'sanctions' && e.name === 'SanctionSet') {
      const wallet = e.args.wallet.toLowerCase();
      const on = e.args.sanctioned === 'true';
      this.state.setSanctioned(wallet, on);
      if (on) this.exposureFromFlag(e, wallet, 'sanctioned');
      return;
    }
    if (e.source !== 'token' || e.address.toLowerCase() !== token) return;
    if (e.name === 'AddressFrozen') {
      const wallet = e.args.account.toLowerCase();
      const on = e.args.frozen === 'true';
      this.state.setFrozen(wallet, on);
      // A source only when someone else froze it: never the monitor's own freeze, never a recovery.
      const source = on && !recovery && !this.ownAgents.has((e.args.agent ?? '').toLowerCase());
      this.state.setMarked(frozenSourceMark(wallet), source);
      if (source) this.exposureFromFlag(e, wallet, 'frozen');
      return;
    }
    if (e.name === 'Transfer') this.transfer(e, agentMove);
  }

  private subjectOf(wallet: string): string {
    return subjectKey(wallet, this.state.investorOf(wallet));
  }

  private tagOf(subject: string): string | null {
    return subject.startsWith('investor:') ? subject.slice('investor:'.length) : null;
  }

  private transfer(e: ChainEvent, agentMove: boolean): void {
    const from = e.args.from.toLowerCase();
    const to = e.args.to.toLowerCase();
    const value = BigInt(e.args.value);
    const s = this.state;
    if (from !== ZERO) s.setBalance(from, s.balanceOf(from) - value);
    if (to !== ZERO) s.setBalance(to, s.balanceOf(to) + value);
    if (from === ZERO) s.setTotalSupply(s.totalSupply() + value);
    if (to === ZERO) s.setTotalSupply(s.totalSupply() - value);

    if (to === ZERO) {
      // A burn makes every other holder's share larger.
      const subjects = new Set(s.holders().map((w) => this.subjectOf(w)));
      for (const subject of [...subjects].sort()) this.concentration(e, subject);
      return;
    }
    if (agentMove) {
      for (const subject of new Set([this.subjectOf(from), this.subjectOf(to)])) this.concentration(e, subject);
      return;
    }
    const movement = (dir: 'in' | 'out', wallet: string, counterparty: string): Movement => ({
      ref: refOf(e),
      order: orderKey(e),
      time: e.blockTime,
      dir,
      wallet,
      counterparty,
      value: value.toString(),
    });
    const receiver = this.subjectOf(to);
    if (from === ZERO) {
      s.addMovement(receiver, movement('in', to, from), e.blockTime - this.horizon);
      for (const rule of this.file.rules) {
        if (rule.kind === 'velocity' && rule.direction !== 'out') this.velocity(rule, e, receiver);
        if (rule.kind === 'concentration') this.concentration(e, receiver, rule);
      }
      return;
    }
    const sender = this.subjectOf(from);
    if (this.exposureRules.length > 0 && value >= this.linkMin) s.link(from, to, refOf(e), e.blockTime, value, e.blockTime - this.linkWindow);
    const senderLastActive = s.lastActivity(sender);
    s.setLastActivity(sender, e.blockTime);
    s.setLastActivity(receiver, e.blockTime);
    const ownWallets = sender === receiver;
    if (!ownWallets) {
      s.addMovement(sender, movement('out', from, to), e.blockTime - this.horizon);
      s.addMovement(receiver, movement('in', to, from), e.blockTime - this.horizon);
    }
    for (const rule of this.file.rules) {
      switch (rule.kind) {
        case 'large-transfer':
          if (!ownWallets) this.largeTransfer(rule, e, sender, from, to, value);
          break;
        case 'structuring':
          if (!ownWallets) this.structuring(rule, e, sender, value);
          break;
        case 'velocity':
          if (!ownWallets && rule.direction !== 'in') this.velocity(rule, e, sender);
          if (!ownWallets && rule.direction !== 'out') this.velocity(rule, e, receiver);
          break;
        case 'rapid-in-out':
          if (!ownWallets) this.rapidInOut(rule, e, sender);
          break;
        case 'dormant-reactivated':
          if (!ownWallets) this.dormant(rule, e, sender, from, to, value, senderLastActive);
          break;
        case 'exposure':
          this.exposureFromTransfer(rule, e, from, to, value);
          break;
        case 'concentration':
          this.concentration(e, receiver, rule);
          if (!ownWallets) this.concentration(e, sender, rule);
          break;
      }
    }
  }

  // ─── the rules ──────────────────────────────────────────────────────────────────────────

  private largeTransfer(rule: LargeTransferRule, e: ChainEvent, sender: string, from: string, to: string, value: bigint): void {
    if (value < rule.threshold) return;
    this.emit({
      rule,
      subject: sender,
      wallets: [from],
      summary: `${from} sent ${this.units(value)} to ${to}, at or above the large-transfer threshold of ${this.units(rule.threshold)}.`,
      events: [{ ref: refOf(e), time: e.blockTime }],
      amounts: [value.toString()],
      details: { threshold: rule.threshold.toString(), to, total: value.toString() },
      at: e.blockTime,
    });
  }

  private structuring(rule: StructuringRule, e: ChainEvent, sender: string, value: bigint): void {
    const floor = (rule.threshold * BigInt(10000 - Math.round(rule.margin * 10000))) / 10000n;
    const inBand = (v: bigint) => v >= floor && v < rule.threshold;
    if (!inBand(value)) return;
    const list = this.fresh(rule, sender, e.blockTime - rule.windowSeconds).filter((m) => m.dir === 'out' && inBand(BigInt(m.value)));
    if (list.length < rule.count) return;
    const total = sum(list);
    this.emit({
      rule,
      subject: sender,
      wallets: walletsOf(list),
      summary: `${list.length} transfers out, each just under ${this.units(rule.threshold)} (from ${this.units(floor)}), totalling ${this.units(total)} within ${duration(rule.windowSeconds)}.`,
      events: list.map((m) => ({ ref: m.ref, time: m.time })),
      amounts: list.map((m) => m.value),
      details: { threshold: rule.threshold.toString(), floor: floor.toString(), count: list.length, windowSeconds: rule.windowSeconds, total: total.toString() },
      at: e.blockTime,
    });
    this.state.setCursor(rule.id, sender, orderKey(e));
  }

  private velocity(rule: VelocityRule, e: ChainEvent, subject: string): void {
    const list = this.fresh(rule, subject, e.blockTime - rule.windowSeconds).filter((m) => rule.direction === 'both' || m.dir === rule.direction);
    const volume = sum(list);
    const overVolume = rule.maxVolume !== undefined && volume > rule.maxVolume;
    const overCount = rule.maxCount !== undefined && list.length > rule.maxCount;
    if (!overVolume && !overCount) return;
    const what = rule.direction === 'out' ? 'sent' : rule.direction === 'in' ? 'received' : 'moved';
    this.emit({
      rule,
      subject,
      wallets: walletsOf(list),
      summary: `${what} ${this.units(volume)} in ${list.length} transfers within ${duration(rule.windowSeconds)}, above the limit of ${[
        rule.maxVolume !== undefined ? this.units(rule.maxVolume) : null,
        rule.maxCount !== undefined ? `${rule.maxCount} transfers` : null,
      ]
        .filter(Boolean)
        .join(' or ')}.`,
      events: list.map((m) => ({ ref: m.ref, time: m.time })),
      amounts: list.map((m) => m.value),
      details: {
        windowSeconds: rule.windowSeconds,
        direction: rule.direction,
        volume: volume.toString(),
        count: list.length,
        maxVolume: rule.maxVolume?.toString() ?? null,
        maxCount: rule.maxCount ?? null,
        exceeded: [overVolume ? 'volume' : null, overCount ? 'count' : null].filter(Boolean),
        total: volume.toString(),
      },
      at: e.blockTime,
    });
    this.state.setCursor(rule.id, subject, orderKey(e));
  }

  private rapidInOut(rule: RapidInOutRule, e: ChainEvent, sender: string): void {
    const recent = this.fresh(rule, sender, e.blockTime - rule.windowSeconds);
    const firstIn = recent.findIndex((m) => m.dir === 'in');
    if (firstIn < 0) return;
    const ins = recent.filter((m) => m.dir === 'in');
    const outs = recent.slice(firstIn).filter((m) => m.dir === 'out');
    const received = sum(ins);
    const sent = sum(outs);
    if (received < rule.minAmount || outs.length === 0) return;
    const bps = BigInt(Math.round(rule.minFraction * 10000));
    if (sent * 10000n < received * bps) return;
    const list = [...ins, ...outs].sort((a, b) => (a.order < b.order ? -1 : 1));
    this.emit({
      rule,
      subject: sender,
      wallets: walletsOf(list),
      summary: `received ${this.units(received)} and sent ${this.units(sent)} on within ${duration(rule.windowSeconds)} (${percent(sent, received)} of it).`,
      events: list.map((m) => ({ ref: m.ref, time: m.time })),
      amounts: list.map((m) => m.value),
      details: {
        windowSeconds: rule.windowSeconds,
        received: received.toString(),
        sent: sent.toString(),
        minFraction: rule.minFraction,
        directions: list.map((m) => m.dir),
        total: (sent < received ? sent : received).toString(),
      },
      at: e.blockTime,
    });
    this.state.setCursor(rule.id, sender, orderKey(e));
  }

  private dormant(rule: DormantReactivatedRule, e: ChainEvent, sender: string, from: string, to: string, value: bigint, lastActive: number | undefined): void {
    if (lastActive === undefined || value < rule.minAmount) return;
    const idle = e.blockTime - lastActive;
    if (idle < rule.dormantDays * DAY) return;
    this.emit({
      rule,
      subject: sender,
      wallets: [from],
      summary: `no activity for ${duration(idle)}, then ${from} sent ${this.units(value)} to ${to}.`,
      events: [{ ref: refOf(e), time: e.blockTime }],
      amounts: [value.toString()],
      details: { dormantDays: rule.dormantDays, idleSeconds: idle, lastActivity: lastActive, to, total: value.toString() },
      at: e.blockTime,
    });
  }

  /** A transfer: did the receiver get funds that came, within `hops` transfers, from a source? */
  private exposureFromTransfer(rule: ExposureRule, e: ChainEvent, from: string, to: string, value: bigint): void {
    if (value < rule.minAmount || this.flag(rule, to)) return;
    const found = this.nearestSource(rule, to, e.blockTime);
    if (found) this.reportExposure(rule, e, to, found.source, found.path, value);
  }

  /** A wallet just became a source: the wallets downstream of it within `hops` are exposed. */
  private exposureFromFlag(e: ChainEvent, flagged: string, flag: 'frozen' | 'sanctioned'): void {
    for (const rule of this.exposureRules) {
      if (!rule.flags.includes(flag)) continue;
      // Breadth first along what the flagged wallet sent; sorted neighbours keep the paths deterministic.
      const seen = new Map<string, Array<{ ref: EventRef; time: number }>>([[flagged, []]]);
      let frontier = [flagged];
      for (let hop = 1; hop <= rule.hops && frontier.length > 0; hop++) {
        const next: string[] = [];
        for (const wallet of frontier) {
          for (const link of this.links(rule, wallet, 'out', e.blockTime)) {
            if (seen.has(link.wallet)) continue;
            seen.set(link.wallet, [...seen.get(wallet)!, { ref: link.ref, time: link.time }]);
            next.push(link.wallet);
          }
        }
        frontier = next;
      }
      // Nearest first (breadth-first order; neighbours sorted by address within a hop), capped.
      let reported = 0;
      for (const [wallet, path] of seen) {
        if (reported >= rule.maxActionsPerSource) break;
        if (wallet === flagged || this.flag(rule, wallet)) continue;
        if (this.reportExposure(rule, e, wallet, { wallet: flagged, flag }, path, 0n)) reported++;
      }
    }
  }

  /** Whether a wallet is a source for the rule: sanctioned, or frozen by another agent. */
  private flag(rule: ExposureRule, wallet: string): 'frozen' | 'sanctioned' | null {
    if (rule.flags.includes('sanctioned') && this.state.isSanctioned(wallet)) return 'sanctioned';
    if (rule.flags.includes('frozen') && this.state.isMarked(frozenSourceMark(wallet))) return 'frozen';
    return null;
  }

  /** A wallet's links in one direction that the rule counts at `now`: large enough, recent enough. */
  private links(rule: ExposureRule, wallet: string, dir: 'in' | 'out', now: number) {
    return this.state.neighbours(wallet).filter((l) => l.dir === dir && BigInt(l.value) >= rule.minAmount && l.time >= now - rule.windowSeconds);
  }

  /** Breadth first upstream (what `start` received, and what its senders received…) to the nearest source within the rule's hops. */
  private nearestSource(rule: ExposureRule, start: string, now: number): { source: { wallet: string; flag: 'frozen' | 'sanctioned' }; path: Array<{ ref: EventRef; time: number }> } | null {
    const seen = new Map<string, Array<{ ref: EventRef; time: number }>>([[start, []]]);
    let frontier = [start];
    for (let hop = 1; hop <= rule.hops && frontier.length > 0; hop++) {
      const next: string[] = [];
      for (const wallet of frontier) {
        for (const link of this.links(rule, wallet, 'in', now)) {
          if (seen.has(link.wallet)) continue;
          const path = [...seen.get(wallet)!, { ref: link.ref, time: link.time }];
          const flag = this.flag(rule, link.wallet);
          if (flag) return { source: { wallet: link.wallet, flag }, path };
          seen.set(link.wallet, path);
          next.push(link.wallet);
        }
      }
      frontier = next;
    }
    return null;
  }

  /** Reports a wallet's exposure to a source once; false when it was reported before. */
  private reportExposure(
    rule: ExposureRule,
    e: ChainEvent,
    wallet: string,
    source: { wallet: string; flag: 'frozen' | 'sanctioned' },
    path: Array<{ ref: EventRef; time: number }>,
    value: bigint,
  ): boolean {
    const mark = `exposure|${rule.id}|${wallet}|${source.wallet}`;
    if (this.state.isMarked(mark)) return false;
    this.state.setMarked(mark, true);
    const evidence = [...path];
    const trigger = { ref: refOf(e), time: e.blockTime };
    if (!evidence.some((x) => sameRef(x.ref, trigger.ref))) evidence.push(trigger);
    evidence.sort((a, b) => (orderKey(a.ref) < orderKey(b.ref) ? -1 : 1));
    const hops = path.length;
    this.emit({
      rule,
      subject: this.subjectOf(wallet),
      wallets: [wallet],
      summary: `${wallet} received funds ${hops} ${hops === 1 ? 'transfer' : 'transfers'} downstream of ${source.flag} wallet ${source.wallet}.`,
      events: evidence,
      amounts: value > 0n ? [value.toString()] : [],
      details: { hops, maxHops: rule.hops, source: source.wallet, flag: source.flag, total: value.toString() },
      at: e.blockTime,
    });
    return true;
  }

  /** Checks a subject's share of supply; hits once on crossing above, re-arms below. */
  private concentration(e: ChainEvent, subject: string, only?: ConcentrationRule): void {
    const rules = only ? [only] : this.file.rules.filter((r): r is ConcentrationRule => r.kind === 'concentration');
    const supply = this.state.totalSupply();
    for (const rule of rules) {
      const tag = this.tagOf(subject);
      const wallets = tag ? this.state.walletsOf(tag) : [subject.slice('wallet:'.length)];
      const balance = wallets.reduce((acc, w) => acc + this.state.balanceOf(w), 0n);
      const limit = BigInt(Math.round(rule.maxSharePercent * 10000));
      const above = supply > 0n && balance * 1_000_000n > supply * limit;
      const mark = `concentration|${rule.id}|${subject}`;
      if (!above) {
        this.state.setMarked(mark, false);
        continue;
      }
      if (this.state.isMarked(mark)) continue;
      this.state.setMarked(mark, true);
      const holding = wallets.filter((w) => this.state.balanceOf(w) > 0n);
      this.emit({
        rule,
        subject,
        wallets: holding,
        summary: `holds ${this.units(balance)}, ${percent(balance, supply)} of the supply of ${this.units(supply)}, above ${rule.maxSharePercent}%.`,
        events: [{ ref: refOf(e), time: e.blockTime }],
        amounts: holding.map((w) => this.state.balanceOf(w).toString()),
        details: {
          balance: balance.toString(),
          supply: supply.toString(),
          maxSharePercent: rule.maxSharePercent,
          total: (balance - (supply * limit) / 1_000_000n).toString(),
        },
        at: e.blockTime,
      });
    }
  }

  // ─── shared ─────────────────────────────────────────────────────────────────────────────

  /** A subject's movements since `since` that no earlier hit of `rule` used. */
  private fresh(rule: Rule, subject: string, since: number): Movement[] {
    const cursor = this.state.cursor(rule.id, subject);
    return this.state.movements(subject, since).filter((m) => cursor === undefined || m.order > cursor);
  }

  private emit(d: Draft): void {
    this.hits.push({
      ruleId: d.rule.id,
      rulesVersion: this.file.version,
      token: this.file.token,
      subject: { investorTag: this.tagOf(d.subject), wallets: [...new Set(d.wallets)].sort() },
      severity: d.rule.severity,
      score: d.rule.score,
      summary: d.summary,
      evidence: {
        events: d.events.map((x) => ({ ...x.ref })),
        amounts: d.amounts,
        times: d.events.map((x) => x.time),
        details: { kind: d.rule.kind, ...d.details },
      },
      at: d.at,
    });
  }

  private units(value: bigint): string {
    return formatUnits(value, this.file.decimals);
  }
}

/** The mark of a wallet frozen by someone other than the monitor (an exposure source). */
function frozenSourceMark(wallet: string): string {
  return `exposure-source|frozen|${wallet}`;
}

function refOf(e: EventRef): EventRef {
  return { txHash: e.txHash, logIndex: e.logIndex, blockNumber: e.blockNumber };
}

function sameRef(a: EventRef, b: EventRef): boolean {
  return a.txHash === b.txHash && a.logIndex === b.logIndex;
}

function sum(list: Movement[]): bigint {
  return list.reduce((acc, m) => acc + BigInt(m.value), 0n);
}

function walletsOf(list: Movement[]): string[] {
  return [...new Set(list.map((m) => m.wallet))].sort();
}

/** `value` base units as a decimal number of tokens, trailing zeros dropped. */
export function formatUnits(value: bigint, decimals: number): string {
  const negative = value < 0n;
  const abs = negative ? -value : value;
  const base = 10n ** BigInt(decimals);
  const whole = abs / base;
  const frac = decimals === 0 ? '' : (abs % base).toString().padStart(decimals, '0').replace(/0+$/, '');
  return `${negative ? '-' : ''}${whole}${frac ? `.${frac}` : ''}`;
}

function percent(part: bigint, whole: bigint): string {
  if (whole === 0n) return '0%';
  return `${Number((part * 10000n) / whole) / 100}%`;
}

function duration(seconds: number): string {
  if (seconds % DAY === 0) return `${seconds / DAY} ${seconds === DAY ? 'day' : 'days'}`;
  if (seconds >= DAY) return `${(seconds / DAY).toFixed(1)} days`;
  if (seconds % 3600 === 0) return `${seconds / 3600} h`;
  return `${seconds} s`;
}
