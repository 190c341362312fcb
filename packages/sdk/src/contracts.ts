/**
 * Typed handles on a zkkyc deployment and readable refusals. `connectZkKyc` turns a deployment
 * record into typechain contract instances; `decodeRevert` turns a failed call or transaction into
 * the custom error the contracts raised (`TooManyWallets(investor, 2, 2)`), using the errors of
 * every zkkyc contract, so a wallet can tell its user which check refused them.
 */
import { Interface, type ContractRunner, type ErrorDescription } from 'ethers';
import {
  ComplianceGate__factory,
  DisclosureLog__factory,
  IssuerRegistry__factory,
  KycPolicyEscrowVerifier32__factory,
  KycPolicyVerifier20__factory,
  KycPolicyVerifier32__factory,
  LockUp__factory,
  MaxBalancePerInvestor__factory,
  MaxInvestors__factory,
  PermissionedToken__factory,
  SanctionsList__factory,
  TransferApproval__factory,
  TransferVolumePerPeriod__factory,
  ZkKycIdentityRegistry__factory,
  type ComplianceGate,
  type DisclosureLog,
  type IssuerRegistry,
  type KycPolicyEscrowVerifier32,
  type KycPolicyVerifier20,
  type KycPolicyVerifier32,
  type LockUp,
  type MaxBalancePerInvestor,
  type MaxInvestors,
  type PermissionedToken,
  type SanctionsList,
  type TransferApproval,
  type TransferVolumePerPeriod,
} from '@zkkyc/contracts/typechain';
import type { DeployedToken, ZkKycDeployment } from './deploy.js';

/** The rule contracts attached to one token, typed. */
export interface ConnectedRules {
  maxBalancePerInvestor?: MaxBalancePerInvestor;
  lockUp?: LockUp;
  maxInvestors?: MaxInvestors;
  transferVolumePerPeriod?: TransferVolumePerPeriod;
  sanctionsList?: SanctionsList;
  transferApproval?: TransferApproval;
}

export interface ConnectedToken {
  record: DeployedToken;
  token: PermissionedToken;
  rules: ConnectedRules;
}

export interface ZkKycContracts {
  issuerRegistry: IssuerRegistry;
  complianceGate: ComplianceGate;
  kycPolicyVerifier32: KycPolicyVerifier32;
  kycPolicyVerifier20?: KycPolicyVerifier20;
  kycPolicyEscrowVerifier32?: KycPolicyEscrowVerifier32;
  /** The log escrow disclosure requests must appear in before an auditor acts (docs/disclosure-log.md). */
  disclosureLog: DisclosureLog;
  sanctionsList?: SanctionsList;
  /** Tokens by symbol. */
  tokens: Record<string, ConnectedToken>;
}

/**
 * Typechain instances for every contract of `deployment`, bound to `runner` (a signer to send
 * transactions, a provider to read).
 */
export function connectZkKyc(deployment: ZkKycDeployment, runner: ContractRunner): ZkKycContracts {
  const c = deployment.contracts;
  const tokens: Record<string, ConnectedToken> = {};
  for (const record of deployment.tokens) {
    const r = record.rules;
    tokens[record.symbol] = {
      record,
      token: PermissionedToken__factory.connect(record.address, runner),
      rules: {
        ...(r.maxBalancePerInvestor ? { maxBalancePerInvestor: MaxBalancePerInvestor__factory.connect(r.maxBalancePerInvestor, runner) } : {}),
        ...(r.lockUp ? { lockUp: LockUp__factory.connect(r.lockUp, runner) } : {}),
        ...(r.maxInvestors ? { maxInvestors: MaxInvestors__factory.connect(r.maxInvestors, runner) } : {}),
        ...(r.transferVolumePerPeriod ? { transferVolumePerPeriod: TransferVolumePerPeriod__factory.connect(r.transferVolumePerPeriod, runner) } : {}),
        ...(r.sanctionsList ? { sanctionsList: SanctionsList__factory.connect(r.sanctionsList, runner) } : {}),
        ...(r.transferApproval ? { transferApproval: TransferApproval__factory.connect(r.transferApproval, runner) } : {}),
      },
    };
  }
  return {
    issuerRegistry: IssuerRegistry__factory.connect(c.issuerRegistry, runner),
    complianceGate: ComplianceGate__factory.connect(c.complianceGate, runner),
    kycPolicyVerifier32: KycPolicyVerifier32__factory.connect(c.kycPolicyVerifier32, runner),
    ...(c.kycPolicyVerifier20 ? { kycPolicyVerifier20: KycPolicyVerifier20__factory.connect(c.kycPolicyVerifier20, runner) } : {}),
    ...(c.kycPolicyEscrowVerifier32 ? { kycPolicyEscrowVerifier32: KycPolicyEscrowVerifier32__factory.connect(c.kycPolicyEscrowVerifier32, runner) } : {}),
    disclosureLog: DisclosureLog__factory.connect(c.disclosureLog, runner),
    ...(c.sanctionsList ? { sanctionsList: SanctionsList__factory.connect(c.sanctionsList, runner) } : {}),
    tokens,
  };
}

/**
 * Whether `account` (a token) is the gate's policy agent of `policyId` — may revoke and bar wallets
 * under that policy (`ComplianceGate.setPolicyAgent`). The gate has no view for it (one more
 * function would make every transfer's gate call dearer), so this replays the `PolicyAgentSet`
 * events for that pair and returns the last value (false if none). Accounts with the gate's
 * `AGENT_ROLE` act under every policy without being policy agents.
 */
export async function isPolicyAgent(gate: ComplianceGate, policyId: bigint | number, account: string): Promise<boolean> {
  const events = await gate.queryFilter(gate.filters.PolicyAgentSet(policyId, account));
  return events.length === 0 ? false : events[events.length - 1].args.allowed;
}

/**
 * The reason codes of `PermissionedToken.transferStatus` (contracts/src/libraries/TransferCodes.sol),
 * by number. Rule codes start at 16.
 */
export const TRANSFER_CODES: Readonly<Record<number, string>> = Object.freeze({
  0: 'OK',
  1: 'INVALID_RECEIVER',
  2: 'PAUSED',
  3: 'SENDER_FROZEN',
  4: 'INSUFFICIENT_BALANCE',
  5: 'INSUFFICIENT_UNFROZEN_BALANCE',
  6: 'RECEIVER_FROZEN',
  7: 'SENDER_NOT_VERIFIED',
  8: 'RECEIVER_NOT_VERIFIED',
  9: 'CHECK_FAILED',
  16: 'MAX_BALANCE_EXCEEDED',
  17: 'LOCKED_UP',
  18: 'MAX_INVESTORS_REACHED',
  19: 'VOLUME_LIMIT_EXCEEDED',
  20: 'SENDER_SANCTIONED',
  21: 'RECEIVER_SANCTIONED',
  22: 'APPROVAL_REQUIRED',
  23: 'HELD_FOR_REVIEW',
});

/** The name of a transfer reason code (`UNKNOWN_<n>` for an unassigned one). */
export function transferCodeName(code: number | bigint): string {
  return TRANSFER_CODES[Number(code)] ?? `UNKNOWN_${code}`;
}

/**
 * Why the registry holds a root unacceptable (`IIssuerRegistry.RootState`), by number: the third
 * value of the gate's `RootNotAcceptable(issuerId, root, state)`.
 */
export const ROOT_STATES: Readonly<Record<number, string>> = Object.freeze({
  0: 'UNKNOWN',
  1: 'CURRENT',
  2: 'SUPERSEDED',
  3: 'EXPIRED',
  4: 'STALE',
  5: 'REJECTED',
  6: 'ISSUER_SUSPENDED',
});

/** The name of a root state (`UNKNOWN_<n>` for an unassigned one). */
export function rootStateName(state: number | bigint): string {
  return ROOT_STATES[Number(state)] ?? `UNKNOWN_${state}`;
}

/** A decoded revert: the custom error's name and arguments, and a one-line rendering. */
export interface DecodedRevert {
  name: string;
  args: unknown[];
  /** e.g. `TooManyWallets(1234…, 2, 2)`; rule refusals add the code's name. */
  message: string;
  /** The raw revert data. */
  data: string;
}

let allErrors: Interface | undefined;

/** One interface holding every error any zkkyc contract can raise (OpenZeppelin's included). */
function errorInterface(): Interface {
  if (allErrors) return allErrors;
  const seen = new Set<string>();
  // InvalidDate comes from a library the gate uses internally; list it in case the ABI omits it.
  const fragments: string[] = [];
  seen.add('InvalidDate(uint256)');
  fragments.push('error InvalidDate(uint256 yyyymmdd)');
  for (const abi of [
    ComplianceGate__factory.abi,
    IssuerRegistry__factory.abi,
    PermissionedToken__factory.abi,
    MaxBalancePerInvestor__factory.abi,
    MaxInvestors__factory.abi,
    LockUp__factory.abi,
    TransferVolumePerPeriod__factory.abi,
    SanctionsList__factory.abi,
    TransferApproval__factory.abi,
    DisclosureLog__factory.abi,
    ZkKycIdentityRegistry__factory.abi,
  ]) {
    for (const fragment of new Interface(abi).fragments) {
      if (fragment.type !== 'error') continue;
      const signature = fragment.format('sighash');
      if (!seen.has(signature)) {
        seen.add(signature);
        fragments.push(fragment.format('full'));
      }
    }
  }
  allErrors = new Interface(fragments);
  return allErrors;
}

/** Finds revert data in the error shapes ethers, hardhat and JSON-RPC nodes produce. */
export function revertData(error: unknown): string | undefined {
  const queue: unknown[] = [error];
  const visited = new Set<unknown>();
  while (queue.length > 0) {
    const e = queue.shift();
    if (e === null || typeof e !== 'object' || visited.has(e)) continue;
    visited.add(e);
    const record = e as Record<string, unknown>;
    const data = record.data;
    if (typeof data === 'string' && /^0x[0-9a-fA-F]{8}/.test(data)) return data;
    if (typeof data === 'object') queue.push(data);
    for (const key of ['error', 'info', 'cause', 'revert']) queue.push(record[key]);
  }
  return undefined;
}

function render(value: unknown): string {
  if (typeof value === 'bigint') return value.toString();
  if (Array.isArray(value)) return `[${value.map(render).join(', ')}]`;
  return String(value);
}

/**
 * Turns a revert (an error thrown by a contract call, or raw revert data) into `{ name, args }`
 * using the errors of all zkkyc contracts. Returns undefined when the error carries no revert
 * data or the data matches no known error.
 */
export function decodeRevert(error: unknown): DecodedRevert | undefined {
  const data = typeof error === 'string' ? error : revertData(error);
  if (!data) return undefined;
  let parsed: ErrorDescription | null;
  try {
    parsed = errorInterface().parseError(data);
  } catch {
    return undefined;
  }
  if (!parsed) return undefined;
  const args = [...parsed.args];
  let message = `${parsed.name}(${args.map(render).join(', ')})`;
  if (parsed.name === 'ComplianceRuleRefused') message += ` [${transferCodeName(args[1] as bigint)}]`;
  if (parsed.name === 'RootNotAcceptable') message += ` [${rootStateName(args[2] as bigint)}]`;
  return { name: parsed.name, args, message, data };
}
