import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import hre from 'hardhat';
import { keccak256, toUtf8Bytes } from 'ethers';
import { DisclosureLog__factory, PlainERC20__factory, type DisclosureLog } from '@zkkyc/contracts/typechain';
import { runEscrowCli } from './cli.js';
import { disclosureEntryHash, disclosureRequestReference, parseDisclosureRequestReference } from './disclosure-log-chain.js';
import { runHonestDkg } from './dkg.fixture.js';
import { encodeCiphertext, encodeKeyShare, encodePublicKey } from './documents.js';
import { encryptLeafIndex } from './leaf-index-encryption.js';

/**
 * The auditor's `partial` against the on-chain DisclosureLog, on Hardhat's in-process chain (the CLI
 * runs in-process and is handed `hre.ethers.provider` for `--rpc`): a logged request gives a
 * partial bound to `disclosure-log:<chainId>:<log>:<id>` and two partials open the ciphertext; a
 * request that is not in the log, is logged with another case hash, policy or registration, sits on
 * another log, was cancelled, or lacks confirmations is refused with a message saying which.
 */
const POLICY = 7n;
const REG_TX = keccak256(toUtf8Bytes('tx of the WalletVerified event'));
const REG_LOG = 4;
const CASE = keccak256(toUtf8Bytes('case 2026/117 + salt'));

let dir: string;
let log: DisclosureLog;
let otherLog: DisclosureLog;
let logAddress: string;
let chainId: bigint;
const dkg = runHonestDkg(3, 2);
const { ciphertext } = encryptLeafIndex(dkg.publicKey.publicKey, 4242);

beforeAll(async () => {
  const [admin, officer, gate] = await hre.ethers.getSigners();
  const deploy = async () => {
    const l = await (await new DisclosureLog__factory(admin).deploy(admin.address, gate.address)).waitForDeployment();
    await (await l.setRateLimit(POLICY, 10, 3600)).wait();
    await (await l.setRequester(POLICY, officer.address, true)).wait();
    return l.connect(officer);
  };
  log = await deploy();
  otherLog = await deploy();
  logAddress = await log.getAddress();
  chainId = (await hre.ethers.provider.getNetwork()).chainId;
  await (await log.request(POLICY, REG_TX, REG_LOG, CASE)).wait(); // id 1
  await (await log.request(POLICY, REG_TX, REG_LOG, keccak256(toUtf8Bytes('another case')))).wait(); // id 2
  await (await log.request(POLICY, REG_TX, REG_LOG, CASE)).wait(); // id 3, cancelled below
  await (await log.cancel(3)).wait();
  // The other log holds a request with the same id and fields: a partial names one log only.
  await (await otherLog.request(POLICY, REG_TX, REG_LOG, CASE)).wait();

  dir = mkdtempSync(join(tmpdir(), 'zkkyc-disclosure-log-'));
  for (const share of dkg.shares) writeFileSync(join(dir, `share-${share.index}.json`), JSON.stringify(encodeKeyShare(share)));
  writeFileSync(join(dir, 'ct.json'), JSON.stringify(encodeCiphertext(ciphertext)));
  writeFileSync(join(dir, 'key.json'), JSON.stringify(encodePublicKey({ mode: 'threshold', ...dkg.publicKey })));
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runEscrowCli(args, { provider: () => hre.ethers.provider, stdout: (l) => out.push(l), stderr: (l) => err.push(l) });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

let outputs = 0;
function partial(overrides: Record<string, string> = {}, auditor = 1) {
  const flags: Record<string, string> = {
    share: join(dir, `share-${auditor}.json`),
    ciphertext: join(dir, 'ct.json'),
    rpc: 'http://in-process',
    log: logAddress,
    'request-id': '1',
    'policy-id': String(POLICY),
    'registration-tx': REG_TX,
    'registration-log-index': String(REG_LOG),
    'case-hash': CASE,
    out: join(dir, `partial-${auditor}-${++outputs}.json`),
    ...overrides,
  };
  return { out: flags.out, run: cli(['partial', ...Object.entries(flags).flatMap(([k, v]) => [`--${k}`, v])]) };
}

it('names a request by chain, log and id, and hashes its fields as the contract does', async () => {
  const reference = disclosureRequestReference({ chainId, log: logAddress, requestId: 1n });
  expect(reference).toBe(`disclosure-log:${chainId}:${logAddress.toLowerCase()}:1`);
  expect(parseDisclosureRequestReference(reference)).toEqual({ chainId, log: logAddress.toLowerCase(), requestId: 1n });
  for (const bad of ['case-17', `disclosure-log:${chainId}:${logAddress}:1`, `disclosure-log:${chainId}:${logAddress.toLowerCase()}:0`, `disclosure-log:01:${logAddress.toLowerCase()}:1`]) {
    expect(parseDisclosureRequestReference(bad)).toBeUndefined();
  }
  const subject = { policyId: POLICY, registrationTx: REG_TX, registrationLogIndex: REG_LOG, caseRefHash: CASE };
  expect(disclosureEntryHash(subject)).toBe((await log.entry(1)).entryHash);
  expect(disclosureEntryHash(subject)).toBe(await log.entryHashOf(POLICY, REG_TX, REG_LOG, CASE));
});

it('makes a partial for a logged request, and two such partials open the ciphertext', async () => {
  const reference = `disclosure-log:${chainId}:${logAddress.toLowerCase()}:1`;
  const first = partial({}, 1);
  const r1 = await first.run;
  expect(r1).toMatchObject({ code: 0, err: '' });
  expect(JSON.parse(r1.out)).toEqual({ auditor: 1, request: reference, wrote: first.out });
  expect(JSON.parse(readFileSync(first.out, 'utf8'))).toMatchObject({ kind: 'zkkyc-escrow-partial', index: 1, request: reference });
  // The request reference may be given too, if it is the logged one.
  const third = partial({ request: reference }, 3);
  expect((await third.run).code).toBe(0);
  const combined = await cli(['combine', '--public-key', join(dir, 'key.json'), '--ciphertext', join(dir, 'ct.json'), '--request', reference, '--partial', first.out, '--partial', third.out]);
  expect(combined.code).toBe(0);
  expect(JSON.parse(combined.out)).toMatchObject({ leafIndex: 4242, used: [1, 3] });
});

it('refuses a request that is not in the log, or logged with other fields, with a clear error', async () => {
  const refusals: [Record<string, string>, string][] = [
    [{ 'request-id': '99' }, `:99" is not in the log: ${logAddress.toLowerCase()} has no request 99`],
    [{ 'request-id': '2' }, 'is logged for another policy, registration or case hash than the one given'],
    [{ 'case-hash': keccak256(toUtf8Bytes('another case')) }, 'is logged for another policy, registration or case hash'],
    [{ 'policy-id': '8' }, 'is logged for another policy, registration or case hash'],
    [{ 'registration-log-index': String(REG_LOG + 1) }, 'is logged for another policy, registration or case hash'],
    [{ 'registration-tx': keccak256('0x01') }, 'is logged for another policy, registration or case hash'],
    [{ 'request-id': '3' }, ':3" was cancelled by its requester'],
    [{ request: 'case-17' }, '--request "case-17" is not the reference of the logged request'],
  ];
  for (const [overrides, message] of refusals) {
    const attempt = partial(overrides);
    const result = await attempt.run;
    expect(result.code).toBe(1);
    expect(result.err).toContain('escrow: EscrowError:');
    expect(result.err).toContain(message);
    expect(result.err).toContain('(rule: disclosure-logged)');
    expect(() => readFileSync(attempt.out)).toThrow(); // no partial written
  }
});

it('refuses a request on another log address: another DisclosureLog, an account, a contract that is not a log', async () => {
  const other = await otherLog.getAddress();
  const onOther = partial({ log: other }, 2);
  const made = await onOther.run;
  // The other log holds a request 1 with the same fields: a partial is then made for *that* entry,
  // under its own reference, and does not count for the request on the first log.
  expect(made.code).toBe(0);
  expect(JSON.parse(made.out).request).toBe(`disclosure-log:${chainId}:${other.toLowerCase()}:1`);
  const first = partial({}, 1);
  expect((await first.run).code).toBe(0);
  const reference = `disclosure-log:${chainId}:${logAddress.toLowerCase()}:1`;
  const mixed = await cli(['combine', '--public-key', join(dir, 'key.json'), '--ciphertext', join(dir, 'ct.json'), '--request', reference, '--partial', first.out, '--partial', onOther.out]);
  expect(mixed.code).toBe(1);
  expect(mixed.err).toContain(`auditor 2's partial was made for request "disclosure-log:${chainId}:${other.toLowerCase()}:1"`);

  const noEntry = await partial({ log: other, 'request-id': '2' }).run;
  expect(noEntry.code).toBe(1);
  expect(noEntry.err).toContain(`is not in the log: ${other.toLowerCase()} has no request 2`);
  const [admin, , , stranger] = await hre.ethers.getSigners();
  const account = await partial({ log: stranger.address }).run;
  expect(account.code).toBe(1);
  expect(account.err).toContain('which holds no contract on chain');
  const token = await (await new PlainERC20__factory(admin).deploy()).waitForDeployment();
  const notLog = await partial({ log: await token.getAddress() }).run;
  expect(notLog.code).toBe(1);
  expect(notLog.err).toContain('which does not answer as a disclosure log');
});

it('waits for confirmations when asked', async () => {
  await (await log.request(POLICY, REG_TX, REG_LOG, CASE)).wait(); // id 4, in the latest block
  const early = await partial({ 'request-id': '4', confirmations: '3' }).run;
  expect(early.code).toBe(1);
  expect(early.err).toContain('has 1 confirmation(s); wait for 3');
  await hre.network.provider.send('hardhat_mine', ['0x2']);
  expect((await partial({ 'request-id': '4', confirmations: '3' }).run).code).toBe(0);
});

it('needs every chain flag, and refuses malformed ones, before reading anything', async () => {
  const missing = await cli(['partial', '--share', join(dir, 'share-1.json'), '--ciphertext', join(dir, 'ct.json'), '--log', logAddress, '--out', join(dir, 'x.json')]);
  expect(missing.code).toBe(2);
  expect(missing.err).toContain('missing --rpc, --request-id, --policy-id, --registration-tx, --registration-log-index, --case-hash');
  const badHash = await partial({ 'case-hash': '0x1234' }).run;
  expect(badHash.code).toBe(1);
  expect(badHash.err).toContain('--case-hash must be a non-zero hash');
  const zeroCase = await partial({ 'case-hash': '0x' + '0'.repeat(64) }).run;
  expect(zeroCase.err).toContain('--case-hash must be a non-zero hash');
  const badLog = await partial({ log: 'nope' }).run;
  expect(badLog.code).toBe(2);
  expect(badLog.err).toContain('--log must be a contract address');
  // The default provider, to a port where nothing listens: refused as unreachable, no partial.
  const err: string[] = [];
  const out = join(dir, 'unreachable.json');
  const args = ['partial', '--share', join(dir, 'share-1.json'), '--ciphertext', join(dir, 'ct.json'), '--rpc', 'http://127.0.0.1:1', '--log', logAddress, '--request-id', '1',
    '--policy-id', String(POLICY), '--registration-tx', REG_TX, '--registration-log-index', String(REG_LOG), '--case-hash', CASE, '--out', out];
  expect(await runEscrowCli(args, { stdout: () => {}, stderr: (l) => err.push(l) })).toBe(1);
  expect(err.join('\n')).toContain('--rpc http://127.0.0.1:1 did not answer');
  expect(err.join('\n')).toContain('(rule: reachable)');
  expect(() => readFileSync(out)).toThrow();
});
