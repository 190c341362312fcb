import { getAddress, type Provider, type Signer } from 'ethers';
import { caseRefHash, derivedCaseSalt } from './case-hash.js';
import { ChainDisclosureLogCheck, gateOfLog, type DisclosureSubject } from './disclosure-log-chain.js';
import { openRequestsOf, recordDisclosureRequest, type LoggedDisclosureRequest } from './disclosure-requests.js';
import { EscrowError } from './errors.js';
import { keyInForceAt, readPolicyEscrowKeyHistory } from './escrow-key-history.js';
import { ciphertextOfEvent } from './gate-events.js';
import { multiply, pointsEqual } from './group.js';
import { readRegistrations, readTokenHolders, readVerifiedUntil, type GateRegistration } from './holders-chain.js';
import type { DisclosedRecord, IssuerDisclosures } from './issuer-disclosure.js';
import { leafIndexFromSharedPoint } from './leaf-index-encryption.js';
import { publicKeyOf } from './single-key.js';

/**
 * The register of holders (DESIGN §9, issue 10 item 6): the transfer agent, who holds a policy's
 * escrow key alone, opens every registration of a token's holders and, with the issuer's
 * disclosure endpoint, writes down who holds what — person, wallets, balances, verified-until.
 *
 * Opening a registration is a disclosure like any other, so the register follows the same rules:
 * every registration it opens is first recorded in the on-chain disclosure log (one request per
 * registration, for the case "register of holders <date>" or whatever the caller names), and it
 * decrypts only once the request is open and confirmed, the ciphertext is the registration's and the
 * key is the policy's (ChainDisclosureLogCheck). The issuer, in turn, discloses only the record of a
 * logged registration. Running it again for the same case reuses the open requests it already
 * logged, so a run that stopped halfway records nothing twice.
 *
 * Steps: (1) the as-of block, the gate behind the log, the history of the policy's escrow key
 * (refused unless `e·Base8` is one of its versions); (2) the token's holders (Transfer events, `balanceOf`) and the policy's
 * registrations (the gate's WalletVerified / EscrowCiphertext / WalletRevoked events, the latest
 * per wallet, `verifiedUntil` for the current state); (3) every wallet with a balance or a current
 * registration enters the register, and the latest registration of each is opened if it was made
 * under this key (the key a rotation may since have replaced; one made under another version is
 * listed with that version as its problem): logged, confirmed, checked, decrypted, disclosed by the
 * issuer; (4) wallets are grouped into holders by
 * the person the issuer's record names, with the investor tag as a second key (wallets that share
 * a tag are one holder even when a record is missing).
 */

/** What {@link buildRegisterOfHolders} needs. */
export interface RegisterOfHoldersOptions {
  /** The chain. */
  provider: Provider;
  /** The ComplianceGate. Must be the disclosure log's `gate()`. */
  gate: string;
  /** The ERC-20 token whose holders are listed. */
  token: string;
  /** The token's policy on the gate; `secretKey·Base8` must be one of its escrow keys (the current one or an earlier one). */
  policyId: bigint;
  /** The escrow secret `e` of the single-holder key (a `zkkyc-escrow-secret-key` document's `secretKey`). */
  secretKey: bigint;
  /** The DisclosureLog the requests are recorded in. */
  log: string;
  /** Signs the disclosure requests: a requester of `policyId` in the log. */
  requester: Signer;
  /** The issuer's disclosure endpoint (HttpIssuerDisclosures for issuer-service). */
  issuer: IssuerDisclosures;
  /** The case the requests are for, e.g. "register of holders 2026-12-01". Hashed, never on chain. */
  caseReference: string;
  /** The case hash's salt (0x + 64 hex). Default: derived from `secretKey` and the case reference, so a rerun finds its requests. */
  caseSalt?: string;
  /** The first block to read events from (the gate's and the token's deployment or earlier). Default 0. */
  fromBlock?: number;
  /** The block the register is as of. Default: the latest block when the run starts. */
  asOfBlock?: number;
  /** Blocks a request must be deep before the registration is opened (the request's block counts). Default 1. */
  confirmations?: number;
  /** Blocks per eth_getLogs call. Default 10,000. */
  logChunk?: number;
  /** How often to look for new blocks while waiting for confirmations. Default 4 s. */
  pollIntervalMs?: number;
  /** How long to wait for confirmations before giving up. Default 30 minutes. */
  confirmationTimeoutMs?: number;
  /** Progress lines (one per step and registration), e.g. to stderr. */
  onProgress?: (line: string) => void;
}

/** Where a wallet stands under the policy as of the register's block. */
export type WalletStatus = 'current' | 'expired' | 'revoked' | 'unregistered';

/** One wallet in the register. */
export interface RegisterWallet {
  address: string;
  balance: bigint;
  status: WalletStatus;
  /** The gate's `verifiedUntil` (unix seconds; 0 when the wallet has no registration now). */
  verifiedUntil: number;
  /** The latest registration, when there is one. */
  registration?: {
    transaction: string;
    blockNumber: number;
    /** logIndex of its EscrowCiphertext event (what the disclosure request names), or of WalletVerified without escrow. */
    logIndex: number;
    /** The policy version whose escrow key the registration was made under (escrow-key-history.ts). */
    escrowKeyVersion?: number;
    investorTag: bigint;
    issuerId: bigint;
    /** What the event said the registration lasts until (unix seconds). */
    registeredUntil: number;
    leafIndex?: number;
    /** The disclosure request it was opened for. */
    request?: { id: bigint; reference: string; created: boolean };
  };
  /** Why the wallet is not tied to a person, when it is not. */
  problem?: string;
}

/** A person (or, without a record, one investor tag) and their wallets. */
export interface RegisterHolder {
  /** The grouping key: the record's person id, or document country + type + number, or `tag:<hex>`. */
  key: string;
  /** The issuer's record of the person; undefined when no wallet of this holder was disclosed. */
  person?: Record<string, unknown>;
  attributes?: Record<string, unknown>;
  credentials: DisclosedRecord['credential'][];
  investorTags: bigint[];
  wallets: RegisterWallet[];
  balance: bigint;
}

/** The register. */
export interface RegisterOfHolders {
  chainId: bigint;
  gate: string;
  log: string;
  policyId: bigint;
  token: { address: string; name: string; symbol: string; decimals: number; totalSupply: bigint };
  asOf: { block: number; timestamp: number };
  case: { reference: string; salt: string; hash: string };
  /** Identified holders first (by family name, given names, key), then those without a record. */
  holders: RegisterHolder[];
  totals: { holders: number; identified: number; wallets: number; balance: bigint; unidentifiedBalance: bigint };
  /** Everything that kept a wallet from being tied to a person; empty when the register is complete. */
  problems: string[];
}

/** Builds the register of holders; see the module comment for the steps. */
export async function buildRegisterOfHolders(options: RegisterOfHoldersOptions): Promise<RegisterOfHolders> {
  const { provider, policyId, secretKey } = options;
  const progress = options.onProgress ?? (() => {});
  const confirmations = options.confirmations ?? 1;
  if (!Number.isInteger(confirmations) || confirmations < 1) throw new EscrowError('confirmations', 'integer', 'must be an integer ≥ 1');
  const gate = getAddress(options.gate);
  const log = getAddress(options.log);

  // (1) As of which block, which gate, which key.
  const { chainId } = await provider.getNetwork();
  const asOfBlock = options.asOfBlock ?? (await provider.getBlockNumber());
  const block = await provider.getBlock(asOfBlock);
  if (!block) throw new EscrowError('asOfBlock', 'block', `block ${asOfBlock} is not known to the RPC node`);
  const logGate = await gateOfLog(provider, log);
  if (logGate !== gate) throw new EscrowError('--log', 'same-gate', `${log} is the disclosure log of the gate ${logGate}, not of ${gate}`);
  const publicKey = publicKeyOf(secretKey);
  // Every key the policy had from --from-block to the as-of block: a registration is opened with
  // the key in force when it was made, which a rotation may since have replaced.
  const keyRange = { fromBlock: options.fromBlock ?? 0, toBlock: asOfBlock, chunk: options.logChunk };
  const keyHistory = await readPolicyEscrowKeyHistory(provider, gate, policyId, keyRange);
  if (keyHistory.length === 0) throw new EscrowError('--policy-id', 'policy-escrow-key', `policy ${policyId} has no escrow key on the gate ${gate} (as of block ${asOfBlock})`);
  const ours = keyHistory.filter((k) => pointsEqual(k.key, publicKey)).map((k) => k.version);
  if (ours.length === 0) {
    throw new EscrowError(
      '--key',
      'policy-escrow-key',
      `is not the escrow key of policy ${policyId} on the gate ${gate}, in any version (${keyHistory.map((k) => k.version).join(', ')}): a register is made with a single-holder key the policy has or had`,
    );
  }
  const caseSalt = options.caseSalt ?? derivedCaseSalt(secretKey, options.caseReference);
  const caseHash = caseRefHash(options.caseReference, caseSalt);
  progress(`register of policy ${policyId} on chain ${chainId} as of block ${asOfBlock}; case hash ${caseHash}`);

  // (2) Holders and registrations.
  const range = { fromBlock: options.fromBlock ?? 0, toBlock: asOfBlock, chunk: options.logChunk };
  const token = await readTokenHolders(provider, options.token, range);
  const registrations = await readRegistrations(provider, gate, policyId, range);
  const candidates = [...new Set([...token.balances.keys(), ...registrations.keys()])];
  const until = await readVerifiedUntil(provider, gate, policyId, candidates, asOfBlock);
  progress(`${token.balances.size} wallet(s) hold ${token.symbol}; ${registrations.size} wallet(s) registered under the policy`);

  // (3) The wallets in the register, and the registrations to open.
  const wallets: RegisterWallet[] = [];
  const toOpen: { wallet: RegisterWallet; registration: GateRegistration }[] = [];
  const problems: string[] = [];
  for (const address of candidates) {
    const balance = token.balances.get(address) ?? 0n;
    const verifiedUntil = until.get(address) ?? 0;
    const known = registrations.get(address);
    const current = verifiedUntil > block.timestamp;
    if (balance === 0n && !current) continue;
    const wallet: RegisterWallet = {
      address,
      balance,
      verifiedUntil,
      status: current ? 'current' : !known ? 'unregistered' : known.revokedAfter ? 'revoked' : 'expired',
    };
    wallets.push(wallet);
    if (!known) {
      wallet.problem = 'never registered under the policy';
      continue;
    }
    const r = known.latest;
    wallet.registration = {
      transaction: r.transaction,
      blockNumber: r.blockNumber,
      logIndex: r.escrow?.logIndex ?? r.logIndex,
      investorTag: r.investorTag,
      issuerId: r.issuerId,
      registeredUntil: r.verifiedUntil,
    };
    if (!r.escrow) {
      wallet.problem = 'its registration carries no escrow ciphertext (made without escrow)';
      continue;
    }
    const inForce = keyInForceAt(keyHistory, { blockNumber: r.blockNumber, logIndex: r.escrow.logIndex });
    if (!inForce) {
      wallet.problem = `no escrow key of the policy was set before its registration (is --from-block after the policy's key was set?)`;
      continue;
    }
    wallet.registration.escrowKeyVersion = inForce.version;
    if (!pointsEqual(inForce.key, publicKey)) {
      wallet.problem = `registered under escrow key version ${inForce.version}, not this key`;
      continue;
    }
    toOpen.push({ wallet, registration: r });
  }

  // Log one request per registration (or find the open one a previous run logged).
  const requester = await options.requester.getAddress();
  const already = await openRequestsOf(provider, log, requester, policyId, options.fromBlock ?? 0, options.logChunk);
  const logged: { wallet: RegisterWallet; registration: GateRegistration; subject: DisclosureSubject; request: LoggedDisclosureRequest }[] = [];
  for (const { wallet, registration } of toOpen) {
    const subject: DisclosureSubject = {
      policyId,
      registrationTx: registration.transaction.toLowerCase(),
      registrationLogIndex: registration.escrow!.logIndex,
      caseRefHash: caseHash,
    };
    try {
      const request = already.find(subject) ?? (await recordDisclosureRequest(options.requester, log, subject));
      wallet.registration!.request = { id: request.id, reference: request.reference, created: request.created };
      progress(`${wallet.address}: ${request.created ? 'logged' : 'already logged as'} request ${request.id}`);
      logged.push({ wallet, registration, subject, request });
    } catch (error) {
      if (!(error instanceof EscrowError)) throw error;
      wallet.problem = `no disclosure request: ${error.message}`;
    }
  }

  // Wait until the newest request is deep enough.
  if (logged.length > 0) {
    const needed = Math.max(...logged.map((l) => l.request.blockNumber)) + confirmations - 1;
    await waitForBlock(provider, needed, options.pollIntervalMs ?? 4_000, options.confirmationTimeoutMs ?? 30 * 60_000, progress);
  }

  // Check, decrypt, disclose.
  const records = new Map<RegisterWallet, DisclosedRecord>();
  for (const { wallet, registration, subject, request } of logged) {
    try {
      const ciphertext = ciphertextOfEvent(registration.escrow!);
      const check = new ChainDisclosureLogCheck(provider, subject, { gate, log, confirmations, fromBlock: options.fromBlock, logChunk: options.logChunk });
      await check.assertLogged({ request: request.reference, publicKey, ciphertext, auditor: 0 });
      const sharedPoint = multiply(ciphertext.R, secretKey);
      const leafIndex = leafIndexFromSharedPoint(sharedPoint, ciphertext);
      wallet.registration!.leafIndex = leafIndex;
      const { record } = await options.issuer.disclose({ request: { chainId, log: log.toLowerCase(), id: request.id }, sharedPoint, leafIndex });
      records.set(wallet, record);
      if (!hasPerson(record)) wallet.problem = 'disclosed, but the issuer holds no verified person for the credential';
      progress(`${wallet.address}: disclosed (request ${request.id})`);
    } catch (error) {
      if (!(error instanceof EscrowError)) throw error;
      wallet.problem = `not disclosed: ${error.message}`;
    }
  }
  for (const wallet of wallets) if (wallet.problem) problems.push(`${wallet.address}: ${wallet.problem}`);

  // (4) Group.
  const holders = groupHolders(wallets, records);
  const balance = wallets.reduce((sum, w) => sum + w.balance, 0n);
  const unidentifiedBalance = holders.filter((h) => !h.person).reduce((sum, h) => sum + h.balance, 0n);
  return {
    chainId,
    gate,
    log,
    policyId,
    token: { address: token.address, name: token.name, symbol: token.symbol, decimals: token.decimals, totalSupply: token.totalSupply },
    asOf: { block: asOfBlock, timestamp: block.timestamp },
    case: { reference: options.caseReference, salt: caseSalt, hash: caseHash },
    holders,
    totals: { holders: holders.length, identified: holders.filter((h) => h.person).length, wallets: wallets.length, balance, unidentifiedBalance },
    problems,
  };
}

async function waitForBlock(provider: Provider, target: number, intervalMs: number, timeoutMs: number, progress: (line: string) => void): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let head = await provider.getBlockNumber();
  if (head < target) progress(`waiting for block ${target} (at ${head})`);
  while (head < target) {
    if (Date.now() > deadline) throw new EscrowError('confirmations', 'confirmed', `block ${target} did not arrive within ${Math.round(timeoutMs / 1000)} s (at ${head})`);
    await new Promise((done) => setTimeout(done, intervalMs));
    head = await provider.getBlockNumber();
  }
}

/** Whether the issuer's record names a person (issuer-service sends none for a dev auto-approval). */
function hasPerson(record: DisclosedRecord): boolean {
  return Object.keys(record.person).length > 0;
}

/** The person key of a record: a person id it carries, else document country + type + number. */
export function personKeyOf(record: DisclosedRecord): string | undefined {
  const p = record.person;
  const text = (v: unknown) => (typeof v === 'string' || typeof v === 'number' ? String(v).trim() : '');
  const id = text(p.personId) || text(p.id);
  if (id) return `person:${id}`;
  const country = text(p.documentCountry) || text(p.issuingCountry) || text(p.nationality);
  const type = text(p.documentType);
  const number = text(p.documentNumber);
  if (number) return `document:${country.toUpperCase()}/${type.toLowerCase()}/${number.toUpperCase()}`;
  const credential = text(record.credential?.id);
  return credential ? `credential:${credential}` : undefined;
}

/**
 * Groups wallets into holders: two wallets are one holder when their records name the same person
 * or their registrations carry the same investor tag (union–find over both keys), so a person with
 * several credentials, and a wallet whose record is missing but shares a tag, land together.
 */
export function groupHolders(wallets: readonly RegisterWallet[], records: ReadonlyMap<RegisterWallet, DisclosedRecord>): RegisterHolder[] {
  const parent = new Map<string, string>();
  const find = (k: string): string => {
    let root = k;
    while (parent.get(root) !== root) root = parent.get(root)!;
    return root;
  };
  const add = (k: string) => {
    if (!parent.has(k)) parent.set(k, k);
  };
  const union = (a: string, b: string) => parent.set(find(a), find(b));
  const keysOf = (w: RegisterWallet): string[] => {
    const record = records.get(w);
    const keys: string[] = [];
    const person = record && personKeyOf(record);
    if (person) keys.push(person);
    if (w.registration) keys.push(`tag:0x${w.registration.investorTag.toString(16)}`);
    if (keys.length === 0) keys.push(`wallet:${w.address}`);
    return keys;
  };
  for (const w of wallets) {
    const keys = keysOf(w);
    keys.forEach(add);
    for (const k of keys.slice(1)) union(keys[0], k);
  }
  const groups = new Map<string, RegisterWallet[]>();
  for (const w of wallets) {
    const root = find(keysOf(w)[0]);
    groups.set(root, [...(groups.get(root) ?? []), w]);
  }
  const holders: RegisterHolder[] = [];
  for (const members of groups.values()) {
    members.sort((a, b) => (b.balance > a.balance ? 1 : b.balance < a.balance ? -1 : a.address.localeCompare(b.address)));
    const withRecord = members.filter((w) => records.has(w));
    const first = records.get(withRecord.find((w) => hasPerson(records.get(w)!)) ?? withRecord[0]);
    const personKey = first && personKeyOf(first);
    const tags = [...new Set(members.flatMap((w) => (w.registration ? [w.registration.investorTag] : [])))];
    const credentials = new Map<string, DisclosedRecord['credential']>();
    for (const w of withRecord) {
      const c = records.get(w)!.credential;
      credentials.set(String(c.id ?? JSON.stringify(c)), c);
    }
    holders.push({
      key: personKey ?? (tags.length > 0 ? `tag:0x${tags[0].toString(16)}` : `wallet:${members[0].address}`),
      person: first && hasPerson(first) ? first.person : undefined,
      attributes: first?.attributes,
      credentials: [...credentials.values()],
      investorTags: tags,
      wallets: members,
      balance: members.reduce((sum, w) => sum + w.balance, 0n),
    });
  }
  const name = (h: RegisterHolder) => `${String(h.person?.familyName ?? h.person?.lastName ?? '')}\u0000${String(h.person?.givenNames ?? h.person?.firstName ?? '')}`;
  return holders.sort((a, b) => Number(!a.person) - Number(!b.person) || name(a).localeCompare(name(b)) || a.key.localeCompare(b.key));
}
