import { Interface, type Log, type LogDescription, type ParamType, type Result } from 'ethers';
import { ComplianceGate__factory, IssuerRegistry__factory, PermissionedToken__factory, SanctionsList__factory } from '@zkkyc/contracts/typechain';
import type { ChainEvent } from '../model.js';
import type { MonitoredContracts } from '../config.js';

/**
 * Turning raw logs of the monitored contracts into model.ts `ChainEvent`s. Every event in each
 * contract's ABI is decoded (the token's Transfer, freezes, forced transfers, recoveries and pauses;
 * the gate's registrations, revocations, bars, escrow ciphertexts and policies; the registry's
 * roots and issuers; the SanctionsList's SanctionSet), so a rule can use any of them without the
 * indexer changing. The ABIs are the compiled contracts' (typechain), never hand-written.
 */
export type EventSource = ChainEvent['source'];

const INTERFACES: Record<EventSource, Interface> = {
  token: new Interface(PermissionedToken__factory.abi),
  gate: new Interface(ComplianceGate__factory.abi),
  registry: new Interface(IssuerRegistry__factory.abi),
  sanctions: new Interface(SanctionsList__factory.abi),
};

/** The monitored addresses (lower-case) and which role each has. */
export function sourcesOf(contracts: MonitoredContracts): Map<string, EventSource> {
  const map = new Map<string, EventSource>([
    [contracts.token.toLowerCase(), 'token'],
    [contracts.gate.toLowerCase(), 'gate'],
    [contracts.registry.toLowerCase(), 'registry'],
  ]);
  if (contracts.sanctions) map.set(contracts.sanctions.toLowerCase(), 'sanctions');
  return map;
}

/** A decoded value as model.ts wants it: addresses lower-case, integers decimal, booleans "true"/"false". */
function plain(value: unknown, type: ParamType): unknown {
  if (type.isTuple()) {
    const out: Record<string, unknown> = {};
    type.components.forEach((c, i) => {
      out[c.name || String(i)] = plain((value as Result)[i], c);
    });
    return out;
  }
  if (type.isArray()) return [...(value as Result)].map((v) => plain(v, type.arrayChildren));
  if (typeof value === 'bigint') return value.toString();
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'string') return type.baseType === 'address' ? value.toLowerCase() : value;
  // Indexed dynamic values (strings, bytes) arrive as their hash.
  if (value && typeof value === 'object' && 'hash' in value) return String((value as { hash: string }).hash);
  return String(value);
}

function argsOf(parsed: LogDescription): Record<string, string> {
  const args: Record<string, string> = {};
  parsed.fragment.inputs.forEach((input, i) => {
    const v = plain(parsed.args[i], input);
    // Structs and arrays (PolicySet's params) as JSON text: args stay Record<string, string>.
    args[input.name || String(i)] = typeof v === 'string' ? v : JSON.stringify(v);
  });
  return args;
}

/**
 * Decodes `log` (from one of `sources`) with `block` (its hash and time). Null for a log of another
 * address or of an event outside the contract's ABI (an upgrade's new event): the caller logs it.
 */
export function decodeLog(log: Log, chainId: number, blockTime: number, sources: Map<string, EventSource>): ChainEvent | null {
  const source = sources.get(log.address.toLowerCase());
  if (!source) return null;
  let parsed: LogDescription | null = null;
  try {
    parsed = INTERFACES[source].parseLog({ topics: [...log.topics], data: log.data });
  } catch {
    parsed = null;
  }
  if (!parsed) return null;
  return {
    chainId,
    txHash: log.transactionHash.toLowerCase(),
    logIndex: log.index,
    blockNumber: log.blockNumber,
    blockHash: log.blockHash.toLowerCase(),
    blockTime,
    address: log.address.toLowerCase(),
    source,
    name: parsed.name,
    args: argsOf(parsed),
  };
}
