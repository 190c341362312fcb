/**
 * `escrow` — the command line for escrow keys, the auditors' DKG and disclosures. Every input and
 * output is a JSON file (documents.ts); secret files are created 0600 and never overwritten.
 *
 *   escrow keygen --single --secret-out key.json --public-out escrow-key.json
 *   escrow dkg init --index 1 --n 3 --k 2 --state-out state-1.json --out announce-1.json
 *   escrow dkg deal --state state-1.json --announcement announce-{1,2,3}.json --out dealing-1.json
 *   escrow dkg receive --state state-1.json --announcement … --dealing dealing-{1,2,3}.json --out complaints-1.json
 *   escrow dkg finalize --state state-1.json --announcement … --dealing … --complaints complaints-{1,2,3}.json
 *                       --share-out share-1.json --public-out escrow-key.json
 *   escrow encrypt --public-key escrow-key.json --leaf-index 42 --out ciphertext.json [--randomness-out r.json]
 *   escrow decrypt --secret-key key.json [--ciphertext ciphertext.json] [--rpc URL (--deployment FILE | --gate ADDRESS --log ADDRESS)
 *                  --request-id ID --policy-id P --registration-tx HASH --registration-log-index N --case-hash HASH]   (single holder)
 *   escrow partial --share share-1.json [--ciphertext ciphertext.json] --rpc URL (--deployment FILE | --gate ADDRESS --log ADDRESS)
 *                  --request-id ID --policy-id P --registration-tx HASH --registration-log-index N --case-hash HASH --out partial-1.json
 *   escrow combine --public-key escrow-key.json --ciphertext ciphertext.json --request REF --partial p1.json --partial p2.json [--k 2]
 *   escrow case-hash --case-ref TEXT [--salt 0x…]
 *   escrow request --rpc URL --log ADDRESS --policy-id P --registration-tx HASH --registration-log-index N
 *                  --case-hash HASH --key-env VAR
 *   escrow register --rpc URL --gate ADDRESS --token ADDRESS --policy-id P --key key.json --log ADDRESS
 *                  --requester-key-env VAR --issuer URL --officer-key-env VAR --case-ref TEXT
 *                  [--from-block N] [--confirmations N] [--case-salt 0x…] --csv out.csv --html out.html
 *
 * `partial` refuses to run unless the request is an open entry of the official on-chain disclosure log
 * — the one the deployment record names, or at least one whose `gate()` is the `--gate` the auditor
 * serves — recorded by a requester of the policy with exactly the policy, registration and case hash
 * given (disclosure-log-chain.ts); its request
 * reference is then `disclosure-log:<chainId>:<log>:<id>`; without `--ciphertext` the ciphertext is
 * read from the registration the request names. Signing keys (`request`, `register`) are read from the
 * environment variable a flag names, never from the command line. `--log-entry FILE --request REF
 * --unsafe-offline-entry` is the offline alternative (docs/escrow.md §8): an entry file anyone can
 * write, used only when named with that flag, with a warning. Run with
 * `npx tsx packages/escrow/src/cli.ts` or through the package's `escrow` bin.
 */
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { combine } from './combine.js';
import type { Provider } from 'ethers';
import { JsonRpcProvider, Wallet } from 'ethers';
import { assertCaseReference, assertCaseSalt, caseRefHash, randomCaseSalt } from './case-hash.js';
import { LogEntryFileCheck, type DisclosureLogCheck } from './disclosure-log.js';
import {
  assertDisclosureSubject,
  ChainDisclosureLogCheck,
  disclosureRequestReference,
  parseDisclosureRequestReference,
  registrationCiphertextOfRequest,
  type DisclosureSubject,
} from './disclosure-log-chain.js';
import { recordDisclosureRequest } from './disclosure-requests.js';
import { multiply } from './group.js';
import { disclosureRequestBody, HttpIssuerDisclosures, type IssuerDisclosures } from './issuer-disclosure.js';
import { buildRegisterOfHolders } from './register-of-holders.js';
import { registerCsv, registerHtml } from './register-writers.js';
import { finalizeDkg, receiveDealings, rosterOf, startDkg, deal, type Complaint, type Dealing, type Roster } from './dkg.js';
import {
  decodeAnnouncement,
  decodeCiphertext,
  decodeComplaints,
  decodeDealing,
  decodeDkgState,
  decodeKeyShare,
  decodeLogEntry,
  decodePartial,
  decodePublicKey,
  decodeSecretKey,
  encodeAnnouncement,
  encodeCiphertext,
  encodeComplaints,
  encodeDealing,
  encodeDkgState,
  encodeKeyShare,
  encodePartial,
  encodePublicKey,
  encodeSecretKey,
  DOCUMENT_VERSION,
} from './documents.js';
import { encodeInteger } from './encoding.js';
import { EscrowError } from './errors.js';
import { readJsonFile, writePrivateText, writePublicJson, writeSecretJson } from './json-files.js';
import type { Point } from './group.js';
import { encryptLeafIndex, leafIndexFromSharedPoint, type Ciphertext } from './leaf-index-encryption.js';
import { assertRequestReference, createPartialDecryption } from './partial-decryption.js';
import { generateSingleKey, publicKeyOf } from './single-key.js';

/** The `partial` command's options that say where the request is logged. */
export interface PartialLogOptions {
  request?: string;
  logEntry?: string;
  /** Set: the `--log-entry` file may be used (it is whatever its writer put in it). */
  unsafeOfflineEntry?: boolean;
  rpc?: string;
  /** The gate the auditor serves; the log's `gate()` must be it. */
  gate?: string;
  /** A deployment record (packages/sdk ZkKycDeployment JSON) naming the gate and the log. */
  deployment?: string;
  log?: string;
  requestId?: string;
  policyId?: string;
  registrationTx?: string;
  registrationLogIndex?: string;
  caseHash?: string;
  confirmations?: string;
}

/**
 * A request reference and the check that it is logged; `ciphertext` reads the ciphertext the
 * request is for (from the registration on chain, or from the log entry file); `close` frees a chain
 * connection.
 */
export interface LoggedRequest {
  request: string;
  check: DisclosureLogCheck;
  ciphertext?: () => Promise<Ciphertext>;
  close?: () => void;
}

class UsageError extends Error {}

/** What the CLI takes from its host, so a program (or a test) can run it in-process. */
export interface CliDependencies {
  /**
   * Resolves the `partial` command's request reference and the check that it is in the log.
   * Default: {@link disclosureLogFrom} — the on-chain log, or a `--log-entry` file when named.
   */
  disclosureLog?: (options: PartialLogOptions) => Promise<LoggedRequest>;
  /** Connects to `--rpc`. Default: an ethers JsonRpcProvider. */
  provider?: (rpcUrl: string) => Provider;
  /** The issuer's disclosure endpoint for `register`. Default: {@link HttpIssuerDisclosures}. */
  issuer?: (url: string, officerKey: string) => IssuerDisclosures;
  /** Where `--key-env`, `--requester-key-env` and `--officer-key-env` are looked up. Default: process.env. */
  env?: Record<string, string | undefined>;
  stdout?: (line: string) => void;
  stderr?: (line: string) => void;
}

const CHAIN_FLAGS = ['rpc', 'log', 'request-id', 'policy-id', 'registration-tx', 'registration-log-index', 'case-hash'] as const;
/** Flags that say which deployment the auditor serves. */
const PIN_FLAGS = ['gate', 'deployment'] as const;

/** What a deployment record (packages/sdk `ZkKycDeployment`) says about the official contracts. */
export interface PinnedDeployment {
  chainId: bigint;
  gate: string;
  log: string;
}

/** Reads `chainId`, `contracts.complianceGate` and `contracts.disclosureLog` from a deployment record. */
export function readDeploymentRecord(path: string): PinnedDeployment {
  const record = readJsonFile(path, '--deployment') as { chainId?: unknown; contracts?: Record<string, unknown> } | null;
  const bad = (detail: string): never => {
    throw new EscrowError('--deployment', 'deployment', `file ${path}: ${detail} (a deployment record as deployZkKyc writes it)`);
  };
  if (typeof record !== 'object' || record === null) return bad('is not a JSON object');
  if (!Number.isSafeInteger(record.chainId) || (record.chainId as number) < 1) bad('chainId must be a positive integer');
  const contracts = typeof record.contracts === 'object' && record.contracts !== null ? record.contracts : {};
  const address = (name: string): string => {
    const value = contracts[name];
    if (typeof value !== 'string' || !/^0x[0-9a-fA-F]{40}$/.test(value)) return bad(`contracts.${name} must be an address`);
    return value;
  };
  return { chainId: BigInt(record.chainId as number), gate: address('complianceGate'), log: address('disclosureLog') };
}

/** The entry in the `--log-entry` file (offline alternative; `--request` names the request). Library use: the caller decides to trust the file. */
export function logEntryFileCheckFrom(options: { logEntry?: string }): DisclosureLogCheck {
  return new LogEntryFileCheck(logEntryFrom(options));
}

function logEntryFrom(options: { logEntry?: string }) {
  if (!options.logEntry) {
    throw new EscrowError('--log-entry', 'required', 'must name the disclosure log entry file for this request (auditors act only on logged requests)');
  }
  return decodeLogEntry(readJsonFile(options.logEntry, '--log-entry'));
}

/**
 * The default: with `--log-entry`, the file check and the `--request` given; otherwise the on-chain
 * log, which needs every one of --rpc, --log, --request-id, --policy-id, --registration-tx,
 * --registration-log-index and --case-hash, and makes the request reference from the chain id, the
 * log address and the id (a `--request`, if given, must equal it).
 */
export async function disclosureLogFrom(options: PartialLogOptions, connect?: (rpcUrl: string) => Provider, command = 'partial'): Promise<LoggedRequest> {
  const chainFlags = [...CHAIN_FLAGS, ...PIN_FLAGS].filter((f) => options[camel(f)] !== undefined);
  if (options.logEntry !== undefined) {
    if (chainFlags.length > 0) throw new UsageError(`--log-entry is the offline alternative to the on-chain log: drop --${chainFlags.join(', --')}`);
    if (!options.unsafeOfflineEntry) {
      throw new UsageError(
        '--log-entry needs --unsafe-offline-entry: an entry file is whatever its writer put in it, and nothing checks it against the on-chain log (its rate limit, its requesters); prefer the chain flags',
      );
    }
    const entry = logEntryFrom(options);
    return { request: options.request ?? '', check: new LogEntryFileCheck(entry), ciphertext: async () => entry.ciphertext };
  }
  if (options.unsafeOfflineEntry) throw new UsageError('--unsafe-offline-entry goes only with --log-entry FILE');
  let pinned: PinnedDeployment | undefined;
  if (options.deployment !== undefined) {
    const both = (['gate', 'log'] as const).filter((f) => options[f] !== undefined);
    if (both.length > 0) throw new UsageError(`--deployment names the gate and the log: drop --${both.join(', --')}`);
    pinned = readDeploymentRecord(options.deployment);
  }
  const missing = CHAIN_FLAGS.filter((f) => !options[camel(f)] && !(f === 'log' && pinned));
  if (missing.length > 0) {
    throw new UsageError(`${command} needs the disclosure request as logged on chain (missing --${missing.join(', --')}): an auditor decrypts only for a request in the disclosure log`);
  }
  if (!pinned && options.gate === undefined) {
    throw new UsageError(
      `${command} needs the deployment you serve: --deployment FILE (the deployment record, which names the gate and the disclosure log) or --gate ADDRESS; a request in a log of another deployment is refused`,
    );
  }
  const decimal = (flag: string, text: string): bigint => {
    if (!/^(0|[1-9][0-9]*)$/.test(text)) throw new UsageError(`--${flag} must be a non-negative decimal integer`);
    return BigInt(text);
  };
  const log = pinned ? pinned.log : options.log!;
  if (!/^0x[0-9a-fA-F]{40}$/.test(log)) throw new UsageError('--log must be a contract address (0x and 40 hex digits)');
  const gate = pinned ? pinned.gate : options.gate!;
  if (!/^0x[0-9a-fA-F]{40}$/.test(gate)) throw new UsageError('--gate must be a contract address (0x and 40 hex digits)');
  const requestId = decimal('request-id', options.requestId!);
  if (requestId === 0n) throw new UsageError('--request-id must be at least 1');
  const logIndex = decimal('registration-log-index', options.registrationLogIndex!);
  const confirmations = options.confirmations === undefined ? 1n : decimal('confirmations', options.confirmations);
  const subject = {
    policyId: decimal('policy-id', options.policyId!),
    registrationTx: options.registrationTx!.toLowerCase(),
    registrationLogIndex: logIndex > 0xffffffffn ? -1 : Number(logIndex),
    caseRefHash: options.caseHash!.toLowerCase(),
  };
  assertDisclosureSubject(subject); // before anything is read
  const { provider, chainId, close } = await openProvider(options.rpc!, connect);
  try {
    if (pinned && pinned.chainId !== chainId) {
      throw new EscrowError('--deployment', 'official-log', `is a deployment on chain ${pinned.chainId}, but the RPC node is on chain ${chainId}`);
    }
    const check = new ChainDisclosureLogCheck(provider, subject, { gate, log, confirmations: Number(confirmations) });
    const request = disclosureRequestReference({ chainId, log, requestId });
    if (options.request !== undefined && options.request !== request) {
      throw new EscrowError('--request', 'disclosure-logged', `"${options.request}" is not the reference of the logged request (${request}); leave --request out`);
    }
    return { request, check, ciphertext: () => registrationCiphertextOfRequest(provider, log, subject), close };
  } catch (error) {
    close();
    throw error;
  }
}

/**
 * Connects to `--rpc` and asks for the chain id within 15 s (rule `reachable`). A provider the
 * caller passed in (`connect`) is the caller's to close; one made here is closed by `close`.
 */
export async function openProvider(rpc: string, connect?: (rpcUrl: string) => Provider): Promise<{ provider: Provider; chainId: bigint; close: () => void }> {
  const provider = connect ? connect(rpc) : new JsonRpcProvider(rpc);
  const close = () => {
    if (!connect) provider.destroy();
  };
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new EscrowError('--rpc', 'reachable', `${rpc} did not answer within 15 s`)), 15_000);
  });
  try {
    const network = await Promise.race([provider.getNetwork(), timeout]).catch((error: unknown) => {
      if (error instanceof EscrowError) throw error;
      throw new EscrowError('--rpc', 'reachable', `${rpc} did not answer: ${(error as Error)?.message ?? String(error)}`);
    });
    return { provider, chainId: network.chainId, close };
  } catch (error) {
    close();
    throw error;
  } finally {
    clearTimeout(timer);
  }
}

function camel(flag: string): keyof PartialLogOptions {
  return flag.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase()) as keyof PartialLogOptions;
}

const USAGE = `usage: escrow <command> [options]
  keygen --single --secret-out FILE --public-out FILE
  dkg init --index I --n N --k K --state-out FILE --out FILE
  dkg deal --state FILE --announcement FILE... --out FILE
  dkg receive --state FILE --announcement FILE... --dealing FILE... --out FILE
  dkg finalize --state FILE --announcement FILE... --dealing FILE... --complaints FILE... --share-out FILE --public-out FILE
  encrypt --public-key FILE --leaf-index N --out FILE [--randomness-out FILE]
  decrypt --secret-key FILE --ciphertext FILE
  decrypt --secret-key FILE [--ciphertext FILE] --rpc URL (--deployment FILE | --gate ADDRESS --log ADDRESS)
          --request-id ID --policy-id P --registration-tx HASH --registration-log-index N --case-hash HASH [--confirmations N]
  partial --share FILE [--ciphertext FILE] --rpc URL (--deployment FILE | --gate ADDRESS --log ADDRESS)
          --request-id ID --policy-id P --registration-tx HASH --registration-log-index N --case-hash HASH [--confirmations N] --out FILE
  partial --share FILE --ciphertext FILE --request REF --log-entry FILE --unsafe-offline-entry --out FILE
          (offline, UNSAFE: the entry file is not checked against the chain)
  combine --public-key FILE --ciphertext FILE --request REF --partial FILE... [--k K]
  case-hash --case-ref TEXT [--salt 0xHEX64]
  request --rpc URL --log ADDRESS --policy-id P --registration-tx HASH --registration-log-index N
          --case-hash HASH --key-env VAR
  register --rpc URL --gate ADDRESS --token ADDRESS --policy-id P --key FILE --log ADDRESS
           --requester-key-env VAR --issuer URL --officer-key-env VAR --case-ref TEXT
           [--from-block N] [--confirmations N] [--case-salt 0xHEX64] --csv FILE --html FILE`;

type Values = Record<string, string | string[] | boolean | undefined>;

function required(values: Values, name: string): string {
  const v = values[name];
  if (typeof v !== 'string' || v === '') throw new UsageError(`--${name} is required`);
  return v;
}

function list(values: Values, name: string): string[] {
  const v = values[name];
  if (!Array.isArray(v) || v.length === 0) throw new UsageError(`--${name} is required (repeat it for each file)`);
  return v;
}

function integer(values: Values, name: string): number {
  const text = required(values, name);
  if (!/^(0|[1-9][0-9]{0,9})$/.test(text)) throw new UsageError(`--${name} must be a non-negative integer`);
  return Number(text);
}

/** A non-negative decimal flag as a bigint, at most `max`. */
function decimalFlag(values: Values, name: string, max = (1n << 256n) - 1n): bigint {
  const text = required(values, name);
  if (!/^(0|[1-9][0-9]*)$/.test(text) || text.length > 78 || BigInt(text) > max) throw new UsageError(`--${name} must be a decimal integer in [0, ${max}]`);
  return BigInt(text);
}

/** An address flag (0x and 40 hex digits). */
function address(values: Values, name: string): string {
  const text = required(values, name);
  if (!/^0x[0-9a-fA-F]{40}$/.test(text)) throw new UsageError(`--${name} must be a contract address (0x and 40 hex digits)`);
  return text;
}

/**
 * A secret read from the environment variable the flag names (never from the command line, where
 * it would sit in the shell history and the process list). A signing key must be 0x and 64 hex digits.
 */
function secretFromEnv(values: Values, flag: string, env: Record<string, string | undefined> = process.env, signingKey = true): string {
  const name = required(values, flag);
  const value = env[name];
  if (!value) throw new EscrowError(`--${flag}`, 'required', `names the environment variable ${name}, which is not set`);
  if (signingKey && !/^0x[0-9a-fA-F]{64}$/.test(value)) throw new EscrowError(`--${flag}`, 'private-key', `names ${name}, which does not hold a private key (0x and 64 hex digits)`);
  return value;
}

/** The options that say where a request is logged, from the parsed flags. */
function logOptions(values: Values): PartialLogOptions {
  const str = (name: string) => {
    const v = values[name];
    return typeof v === 'string' ? v : undefined;
  };
  return {
    request: str('request'),
    logEntry: str('log-entry'),
    unsafeOfflineEntry: values['unsafe-offline-entry'] === true ? true : undefined,
    rpc: str('rpc'),
    gate: str('gate'),
    deployment: str('deployment'),
    log: str('log'),
    requestId: str('request-id'),
    policyId: str('policy-id'),
    registrationTx: str('registration-tx'),
    registrationLogIndex: str('registration-log-index'),
    caseHash: str('case-hash'),
    confirmations: str('confirmations'),
  };
}

/** `--ciphertext`, or else the ciphertext of the logged request's registration. */
async function ciphertextFor(values: Values, logged: LoggedRequest): Promise<Ciphertext> {
  if (typeof values.ciphertext === 'string') return decodeCiphertext(readJsonFile(values.ciphertext, '--ciphertext'));
  if (!logged.ciphertext) throw new UsageError('--ciphertext is required (or name the logged request, whose registration carries it)');
  return logged.ciphertext();
}

/**
 * What the issuer's `POST /disclosures` takes for an opened registration — `{ request: { chainId,
 * log, id }, sharedPoint, leafIndex }` — when the request is a disclosure log reference.
 */
function issuerRequestOf(request: string, sharedPoint: Point, leafIndex: number): unknown {
  const location = parseDisclosureRequestReference(request);
  if (!location) return undefined;
  return disclosureRequestBody({ request: { chainId: location.chainId, log: location.log, id: location.requestId }, sharedPoint, leafIndex });
}

/** Says on stderr that the offline entry file is used, and what that means. */
function warnOfflineEntry(values: Values, err: (line: string) => void): void {
  if (values['unsafe-offline-entry'] === true && typeof values['log-entry'] === 'string') {
    err(
      `escrow: WARNING: --unsafe-offline-entry: ${values['log-entry']} is not checked against the on-chain disclosure log; ` +
        'anyone can write such a file, so you rely entirely on whoever handed it to you',
    );
  }
}

function rosterFrom(values: Values): Roster {
  return rosterOf(list(values, 'announcement').map((f) => decodeAnnouncement(readJsonFile(f, f), f)));
}

/** Reads dealing files; one that does not decode is reported and left out (its dealer is then absent). */
function dealingsFrom(values: Values, warn: (line: string) => void): Dealing[] {
  const dealings: Dealing[] = [];
  for (const f of list(values, 'dealing')) {
    try {
      dealings.push(decodeDealing(readJsonFile(f, f), f));
    } catch (error) {
      if (!(error instanceof EscrowError)) throw error;
      warn(`escrow: ignoring dealing ${f}: ${error.message}`);
    }
  }
  return dealings;
}

function complaintsFrom(values: Values, warn: (line: string) => void): Complaint[] {
  const complaints: Complaint[] = [];
  for (const f of list(values, 'complaints')) {
    try {
      complaints.push(...decodeComplaints(readJsonFile(f, f), f));
    } catch (error) {
      if (!(error instanceof EscrowError)) throw error;
      warn(`escrow: ignoring complaints ${f}: ${error.message}`);
    }
  }
  return complaints;
}

const OPTIONS = {
  single: { type: 'boolean' },
  'secret-out': { type: 'string' },
  'public-out': { type: 'string' },
  'state-out': { type: 'string' },
  'share-out': { type: 'string' },
  'randomness-out': { type: 'string' },
  out: { type: 'string' },
  index: { type: 'string' },
  n: { type: 'string' },
  k: { type: 'string' },
  state: { type: 'string' },
  announcement: { type: 'string', multiple: true },
  dealing: { type: 'string', multiple: true },
  complaints: { type: 'string', multiple: true },
  partial: { type: 'string', multiple: true },
  'public-key': { type: 'string' },
  'secret-key': { type: 'string' },
  'leaf-index': { type: 'string' },
  ciphertext: { type: 'string' },
  share: { type: 'string' },
  request: { type: 'string' },
  'log-entry': { type: 'string' },
  'unsafe-offline-entry': { type: 'boolean' },
  deployment: { type: 'string' },
  rpc: { type: 'string' },
  log: { type: 'string' },
  'request-id': { type: 'string' },
  'policy-id': { type: 'string' },
  'registration-tx': { type: 'string' },
  'registration-log-index': { type: 'string' },
  'case-hash': { type: 'string' },
  confirmations: { type: 'string' },
  'case-ref': { type: 'string' },
  salt: { type: 'string' },
  'case-salt': { type: 'string' },
  'key-env': { type: 'string' },
  gate: { type: 'string' },
  token: { type: 'string' },
  key: { type: 'string' },
  'requester-key-env': { type: 'string' },
  issuer: { type: 'string' },
  'officer-key-env': { type: 'string' },
  'from-block': { type: 'string' },
  csv: { type: 'string' },
  html: { type: 'string' },
  help: { type: 'boolean' },
} as const;

/** Runs one command; returns the exit code (0 done, 1 refused, 2 usage). */
export async function runEscrowCli(argv: readonly string[], deps: CliDependencies = {}): Promise<number> {
  const out = deps.stdout ?? ((line: string) => process.stdout.write(line + '\n'));
  const err = deps.stderr ?? ((line: string) => process.stderr.write(line + '\n'));
  const print = (value: unknown) => out(JSON.stringify(value, null, 2));
  try {
    const { values, positionals } = parseArgs({ args: [...argv], options: OPTIONS, allowPositionals: true, strict: true });
    const command = positionals.join(' ');
    if (values.help || command === '') {
      out(USAGE);
      return values.help ? 0 : 2;
    }
    switch (command) {
      case 'keygen': {
        if (!values.single) throw new UsageError('keygen makes a single-holder key: pass --single (a k-of-n key comes from "escrow dkg")');
        const secretOut = required(values, 'secret-out');
        const publicOut = required(values, 'public-out');
        const { secretKey, publicKey } = generateSingleKey();
        writeSecretJson(secretOut, encodeSecretKey(secretKey, publicKey));
        writePublicJson(publicOut, encodePublicKey({ mode: 'single', publicKey }));
        print({ mode: 'single', publicKey: publicKey.map(encodeInteger), wrote: { secret: secretOut, public: publicOut } });
        return 0;
      }
      case 'dkg init': {
        const { secrets, announcement } = startDkg(integer(values, 'index'), integer(values, 'n'), integer(values, 'k'));
        const stateOut = required(values, 'state-out');
        const announceOut = required(values, 'out');
        writeSecretJson(stateOut, encodeDkgState(secrets));
        writePublicJson(announceOut, encodeAnnouncement(announcement));
        print({ index: secrets.index, n: secrets.n, k: secrets.k, wrote: { state: stateOut, announcement: announceOut } });
        return 0;
      }
      case 'dkg deal': {
        const secrets = decodeDkgState(readJsonFile(required(values, 'state'), '--state'));
        const roster = rosterFrom(values);
        const dealing = deal(secrets, roster);
        writePublicJson(required(values, 'out'), encodeDealing(dealing));
        print({ dkgId: roster.dkgId, dealer: dealing.dealer, wrote: values.out });
        return 0;
      }
      case 'dkg receive': {
        const secrets = decodeDkgState(readJsonFile(required(values, 'state'), '--state'));
        const roster = rosterFrom(values);
        const result = receiveDealings(secrets, roster, dealingsFrom(values, err));
        writePublicJson(required(values, 'out'), encodeComplaints(roster.dkgId, secrets.index, result.complaints));
        print({
          dkgId: roster.dkgId,
          participant: secrets.index,
          accepted: [...result.shares.keys()].sort((a, b) => a - b),
          complaints: result.complaints.map((c) => ({ dealer: c.dealer, reason: c.reason })),
          faulty: result.faulty,
          wrote: values.out,
        });
        return 0;
      }
      case 'dkg finalize': {
        const secrets = decodeDkgState(readJsonFile(required(values, 'state'), '--state'));
        const roster = rosterFrom(values);
        const shareOut = required(values, 'share-out');
        const publicOut = required(values, 'public-out');
        const { keyShare, publicKey } = finalizeDkg(secrets, roster, dealingsFrom(values, err), complaintsFrom(values, err));
        writeSecretJson(shareOut, encodeKeyShare(keyShare));
        writePublicJson(publicOut, encodePublicKey({ mode: 'threshold', ...publicKey }));
        print({ dkgId: roster.dkgId, participant: keyShare.index, qualified: publicKey.qualified, publicKey: publicKey.publicKey.map(encodeInteger), wrote: { share: shareOut, public: publicOut } });
        return 0;
      }
      case 'encrypt': {
        const key = decodePublicKey(readJsonFile(required(values, 'public-key'), '--public-key'));
        const leafIndex = integer(values, 'leaf-index');
        const { ciphertext, r } = encryptLeafIndex(key.publicKey, leafIndex);
        writePublicJson(required(values, 'out'), encodeCiphertext(ciphertext));
        if (typeof values['randomness-out'] === 'string') {
          writeSecretJson(values['randomness-out'], { kind: 'zkkyc-escrow-randomness', version: DOCUMENT_VERSION, r: encodeInteger(r) });
        }
        print({ R: ciphertext.R.map(encodeInteger), c: encodeInteger(ciphertext.c), wrote: values.out });
        return 0;
      }
      case 'decrypt': {
        const { secretKey } = decodeSecretKey(readJsonFile(required(values, 'secret-key'), '--secret-key'));
        const publicKey = publicKeyOf(secretKey); // the key the secret opens, whatever the document says
        const logFlags = logOptions(values);
        if (![...CHAIN_FLAGS, ...PIN_FLAGS].some((f) => logFlags[camel(f)] !== undefined) && logFlags.logEntry === undefined && !logFlags.unsafeOfflineEntry) {
          // Offline: no log check (the holder follows docs/disclosure-log.md §3 by hand).
          const ciphertext = decodeCiphertext(readJsonFile(required(values, 'ciphertext'), '--ciphertext'));
          const sharedPoint = multiply(ciphertext.R, secretKey);
          print({ leafIndex: leafIndexFromSharedPoint(sharedPoint, ciphertext), sharedPoint: sharedPoint.map(encodeInteger) });
          return 0;
        }
        const logged = await (deps.disclosureLog ?? ((o: PartialLogOptions) => disclosureLogFrom(o, deps.provider, 'decrypt')))(logFlags);
        warnOfflineEntry(values, err);
        try {
          const { request, check } = logged;
          if (request === '') throw new UsageError('decrypt with --log-entry needs --request REF');
          const ciphertext = await ciphertextFor(values, logged);
          await check.assertLogged({ request, publicKey, ciphertext, auditor: 0 });
          const sharedPoint = multiply(ciphertext.R, secretKey);
          const leafIndex = leafIndexFromSharedPoint(sharedPoint, ciphertext);
          const issuerRequest = issuerRequestOf(request, sharedPoint, leafIndex);
          print({ leafIndex, sharedPoint: sharedPoint.map(encodeInteger), request, ...(issuerRequest ? { issuerRequest } : {}) });
          return 0;
        } finally {
          logged.close?.();
        }
      }
      case 'partial': {
        // The request comes first: no logged request, no partial — whatever else is given.
        const logged = await (deps.disclosureLog ?? ((o: PartialLogOptions) => disclosureLogFrom(o, deps.provider)))(logOptions(values));
        warnOfflineEntry(values, err);
        try {
          const { request, check } = logged;
          if (request === '') throw new UsageError('partial needs --request REF: an auditor decrypts only for a named disclosure request');
          assertRequestReference(request);
          const share = decodeKeyShare(readJsonFile(required(values, 'share'), '--share'));
          const outFile = required(values, 'out');
          const ciphertext = await ciphertextFor(values, logged);
          await check.assertLogged({ request, publicKey: share.publicKey, ciphertext, auditor: share.index });
          const partial = createPartialDecryption(share, ciphertext, request);
          writePublicJson(outFile, encodePartial(partial));
          print({ auditor: partial.index, request, wrote: outFile });
          return 0;
        } finally {
          logged.close?.();
        }
      }
      case 'combine': {
        const key = decodePublicKey(readJsonFile(required(values, 'public-key'), '--public-key'));
        if (key.mode !== 'threshold') throw new EscrowError('--public-key', 'threshold', 'is a single-holder key: its holder decrypts with "escrow decrypt"');
        const ciphertext = decodeCiphertext(readJsonFile(required(values, 'ciphertext'), '--ciphertext'));
        const request = required(values, 'request');
        const partials = list(values, 'partial').map((f) => decodePartial(readJsonFile(f, f), f));
        const k = typeof values.k === 'string' ? integer(values, 'k') : key.k;
        const result = combine(partials, k, key, ciphertext, request);
        // K goes to the issuer's POST /disclosures with the request and the leaf index: printed ready to send.
        const issuerRequest = issuerRequestOf(request, result.sharedPoint, result.leafIndex);
        print({
          leafIndex: result.leafIndex,
          sharedPoint: result.sharedPoint.map(encodeInteger),
          used: result.used,
          rejected: result.rejected,
          missing: result.missing,
          ...(issuerRequest ? { issuerRequest } : {}),
        });
        return 0;
      }
      case 'case-hash': {
        const caseReference = required(values, 'case-ref');
        assertCaseReference(caseReference);
        const salt = typeof values.salt === 'string' ? values.salt : randomCaseSalt();
        assertCaseSalt(salt);
        print({ caseReference, salt, caseRefHash: caseRefHash(caseReference, salt) });
        return 0;
      }
      case 'request': {
        const signerKey = secretFromEnv(values, 'key-env', deps.env);
        const log = address(values, 'log');
        const subject: DisclosureSubject = {
          policyId: decimalFlag(values, 'policy-id'),
          registrationTx: required(values, 'registration-tx').toLowerCase(),
          registrationLogIndex: Number(decimalFlag(values, 'registration-log-index', 0xffffffffn)),
          caseRefHash: required(values, 'case-hash').toLowerCase(),
        };
        assertDisclosureSubject(subject);
        const { provider, chainId, close } = await openProvider(required(values, 'rpc'), deps.provider);
        try {
          const signer = new Wallet(signerKey, provider);
          const logged = await recordDisclosureRequest(signer, log, subject);
          print({
            id: logged.id.toString(),
            request: logged.reference,
            reference: { chainId: Number(chainId), log: log.toLowerCase(), id: logged.id.toString() },
            requester: signer.address,
            transaction: logged.transaction,
            blockNumber: logged.blockNumber,
          });
          return 0;
        } finally {
          close();
        }
      }
      case 'register': {
        const requesterKey = secretFromEnv(values, 'requester-key-env', deps.env);
        const officerKey = secretFromEnv(values, 'officer-key-env', deps.env, false);
        const { secretKey } = decodeSecretKey(readJsonFile(required(values, 'key'), '--key'));
        const caseReference = required(values, 'case-ref');
        assertCaseReference(caseReference);
        const caseSalt = typeof values['case-salt'] === 'string' ? values['case-salt'] : undefined;
        if (caseSalt !== undefined) assertCaseSalt(caseSalt, '--case-salt');
        const csvOut = required(values, 'csv');
        const htmlOut = required(values, 'html');
        const gate = address(values, 'gate');
        const token = address(values, 'token');
        const log = address(values, 'log');
        const policyId = decimalFlag(values, 'policy-id');
        const fromBlock = typeof values['from-block'] === 'string' ? Number(decimalFlag(values, 'from-block', BigInt(Number.MAX_SAFE_INTEGER))) : 0;
        const confirmations = typeof values.confirmations === 'string' ? Number(decimalFlag(values, 'confirmations', 1_000_000n)) : 1;
        const issuerUrl = required(values, 'issuer');
        const issuer = deps.issuer ? deps.issuer(issuerUrl, officerKey) : new HttpIssuerDisclosures(issuerUrl, officerKey);
        const { provider, close } = await openProvider(required(values, 'rpc'), deps.provider);
        try {
          const register = await buildRegisterOfHolders({
            provider,
            gate,
            token,
            policyId,
            secretKey,
            log,
            requester: new Wallet(requesterKey, provider),
            issuer,
            caseReference,
            caseSalt,
            fromBlock,
            confirmations,
            onProgress: (line) => err(`escrow: ${line}`),
          });
          writePrivateText(csvOut, registerCsv(register));
          writePrivateText(htmlOut, registerHtml(register));
          print({
            token: { address: register.token.address, name: register.token.name, symbol: register.token.symbol },
            policyId: register.policyId.toString(),
            chainId: register.chainId.toString(),
            asOf: register.asOf,
            case: register.case,
            holders: register.totals.holders,
            identified: register.totals.identified,
            wallets: register.totals.wallets,
            requests: register.holders.flatMap((h) => h.wallets.flatMap((w) => (w.registration?.request ? [w.registration.request.reference] : []))),
            problems: register.problems,
            wrote: { csv: csvOut, html: htmlOut },
          });
          if (register.problems.length > 0) {
            err(`escrow: the register is incomplete: ${register.problems.length} wallet(s) not tied to a person (listed in the files and above)`);
            return 1;
          }
          return 0;
        } finally {
          close();
        }
      }
      default:
        throw new UsageError(`unknown command "${command}"`);
    }
  } catch (error) {
    if (error instanceof UsageError || (error as NodeJS.ErrnoException).code?.startsWith?.('ERR_PARSE_ARGS')) {
      err(`escrow: ${(error as Error).message}\n${USAGE}`);
      return 2;
    }
    if (error instanceof EscrowError) {
      err(`escrow: ${error.name}: ${error.message}`);
      return 1;
    }
    // Anything else (a file that cannot be written, a bug): say so, with the stack, and fail.
    err(`escrow: unexpected error: ${(error as Error)?.stack ?? String(error)}`);
    return 1;
  }
}

function invokedDirectly(): boolean {
  if (!process.argv[1]) return false;
  try {
    return realpathSync(process.argv[1]) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

if (invokedDirectly()) {
  void runEscrowCli(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
