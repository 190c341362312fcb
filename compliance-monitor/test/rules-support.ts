/**
 * Builds the chain events the rule tests feed the engine: a token, wallets, investor tags and a
 * block clock, so a test reads as a story ("alice sends 950 to bob on day 2").
 */
import type { ChainEvent } from '../src/model.js';
import { parseRuleFile, type RuleFile } from '../src/rules/rule-file.js';

export const TOKEN = '0x00000000000000000000000000000000000000aa';
export const SANCTIONS = '0x00000000000000000000000000000000000000bb';
export const ZERO = '0x0000000000000000000000000000000000000000';
export const T0 = 1_800_000_000;
export const DAY = 86400;

export function wallet(n: number): string {
  return `0x${n.toString(16).padStart(40, '0')}`;
}

export function tag(n: number): string {
  return `0x${n.toString(16).padStart(48, '0')}`;
}

/** A rule file for the test token with `rules` and `playbooks` (raw JSON, checked by the parser). */
export function ruleFile(rules: unknown[], playbooks: unknown[] = [], halfLifeDays = 30): RuleFile {
  return parseRuleFile({ version: 't1', token: TOKEN, decimals: 0, rules, scoring: { halfLifeDays }, playbooks });
}

/** Events in increasing blocks; each call to a method is a new block at the given time. */
export class Chain {
  private block = 100;
  readonly events: ChainEvent[] = [];

  private push(time: number, source: ChainEvent['source'], address: string, name: string, args: Record<string, string>, tx?: string): ChainEvent {
    this.block += 1;
    const event: ChainEvent = {
      chainId: 31337,
      txHash: tx ?? `0x${this.block.toString(16).padStart(64, '0')}`,
      logIndex: 0,
      blockNumber: this.block,
      blockHash: `0x${(this.block + 0xb000).toString(16).padStart(64, '0')}`,
      blockTime: time,
      address,
      source,
      name,
      args,
    };
    this.events.push(event);
    return event;
  }

  mint(to: string, value: bigint | number, time: number): ChainEvent {
    return this.push(time, 'token', TOKEN, 'Transfer', { from: ZERO, to, value: value.toString() });
  }

  transfer(from: string, to: string, value: bigint | number, time: number): ChainEvent {
    return this.push(time, 'token', TOKEN, 'Transfer', { from, to, value: value.toString() });
  }

  burn(from: string, value: bigint | number, time: number): ChainEvent {
    return this.push(time, 'token', TOKEN, 'Transfer', { from, to: ZERO, value: value.toString() });
  }

  /** A freeze by `agent` (default: an agent other than the monitor's). */
  freeze(account: string, time: number, agent = wallet(0xa9e), tx?: string): ChainEvent {
    return this.push(time, 'token', TOKEN, 'AddressFrozen', { account, frozen: 'true', agent }, tx);
  }

  /** A lost wallet's recovery: RecoverySuccess and the freeze of the lost wallet in one transaction. */
  recover(lost: string, replacement: string, time: number): ChainEvent[] {
    const tx = `0x${(this.block + 1).toString(16).padStart(63, '0')}f`;
    return [
      this.push(time, 'token', TOKEN, 'RecoverySuccess', { lostWallet: lost, newWallet: replacement, investorOnchainID: '0x0000000000000000000000000000000000000000' }, tx),
      this.push(time, 'token', TOKEN, 'AddressFrozen', { account: lost, frozen: 'true', agent: wallet(0xa9e) }, tx),
    ];
  }

  sanction(account: string, time: number): ChainEvent {
    return this.push(time, 'sanctions', SANCTIONS, 'SanctionSet', { wallet: account, sanctioned: 'true', oracle: wallet(0x0c1) });
  }

  /** Events since index `from` (to feed a batch). */
  since(from: number): ChainEvent[] {
    return this.events.slice(from);
  }
}
