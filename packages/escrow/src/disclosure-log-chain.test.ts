import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import hre from 'hardhat';
import { keccak256, toUtf8Bytes } from 'ethers';
import { DisclosureLog__factory, PlainERC20__factory, type DisclosureLog } from '@zkkyc/contracts/typechain';
import { caseRefHash } from './case-hash.js';
import { runEscrowCli } from './cli.js';
import { ChainDisclosureLogCheck, disclosureEntryHash, disclosureRequestReference, parseDisclosureRequestReference } from './disclosure-log-chain.js';
import { runHonestDkg } from './dkg.fixture.js';
import { encodeCiphertext, encodeKeyShare, encodePublicKey, encodeSecretKey } from './documents.js';
import { deployEscrowGateStub, type EscrowGateStub } from './escrow-gate.fixture.js';
import { encryptLeafIndex } from './leaf-index-encryption.js';
import { generateSingleKey } from './single-key.js';

/**
 * The auditor's `partial` against the on-chain DisclosureLog, on Hardhat's in-process chain (the CLI
 * runs in-process and is handed `hre.ethers.provider` for `--rpc`): a logged request gives a
 * partial bound to `disclosure-log:<chainId>:<log>:<id>` and two partials open the ciphertext; a
 * request that is not in the log, is logged with another case hash, policy or registration, sits on
 * another log, was cancelled, or lacks confirmations is refused with a message saying which. The
 * registration the request names is a stub gate's EscrowCiphertext event (escrow-gate.fixture.ts):
 * the ciphertext must be the one it carries, and the key the policy's escrow key.
 */
const POLICY = 7n;
const OTHER_POLICY = 8n;
let REG_TX: string;
let REG_LOG: number;
const CASE = keccak256(toUtf8Bytes('case 2026/117 + salt'));
const WALLET = '0x00000000000000000000000000000000000000aa';

let dir: string;
let log: DisclosureLog;
let otherLog: DisclosureLog;
let logAddress: string;
let chainId: bigint;
let gate: EscrowGateStub;
let gateAddress: string;
const dkg = runHonestDkg(3, 2);
const { ciphertext } = encryptLeafIndex(dkg.publicKey.publicKey, 4242);
const single = generateSingleKey();
const singleCiphertext = encryptLeafIndex(single.publicKey, 77).ciphertext;
/** Registrations on the stub gate: [tx, EscrowCiphertext logIndex]. */
const registrations: Record<string, [string, number]> = {};

async function registerOnGate(policyId: bigint, ct: typeof ciphertext, nullifier: bigint): Promise<[string, number]> {
  const receipt = (await (await gate.register(policyId, WALLET, nullifier, 2_000_000_000, ct.R[0], ct.c, true)).wait())!;
  return [receipt.hash, receipt.logs[1].index];
}

beforeAll(async () => {
  const [admin, officer] = await hre.ethers.getSigners();
  gate = await deployEscrowGateStub(admin);
  gateAddress = await gate.getAddress();
  await (await gate.setEscrowKey(POLICY, ...dkg.publicKey.publicKey)).wait();
  await (await gate.setEscrowKey(OTHER_POLICY, ...single.publicKey)).wait();
  [REG_TX, REG_LOG] = await registerOnGate(POLICY, ciphertext, 11n);
  registrations.otherPolicy = await registerOnGate(OTHER_POLICY, singleCiphertext, 12n);
  registrations.single = await registerOnGate(POLICY, singleCiphertext, 13n); // a ciphertext under the wrong key
  const deploy = async () => {
    const l = await (await new DisclosureLog__factory(admin).deploy(admin.address, await gate.getAddress())).waitForDeployment();
    for (const policy of [POLICY, OTHER_POLICY]) {
      await (await l.setRateLimit(policy, 20, 3600)).wait();
      await (await l.setRequester(policy, officer.address, true)).wait();
    }
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
  writeFileSync(join(dir, 'single.json'), JSON.stringify(encodeSecretKey(single.secretKey, single.publicKey)));
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function cli(args: string[], env: Record<string, string> = {}): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runEscrowCli(args, { provider: () => hre.ethers.provider, env, stdout: (l) => out.push(l), stderr: (l) => err.push(l) });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

let outputs = 0;
function partial(overrides: Record<string, string> = {}, auditor = 1) {
  const flags: Record<string, string> = {
    share: join(dir, `share-${auditor}.json`),
    ciphertext: join(dir, 'ct.json'),
    rpc: 'http://in-process',
    gate: gateAddress,
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
  // What the issuer's POST /disclosures takes, ready to send: the request, K and the leaf index.
  const printed = JSON.parse(combined.out);
  expect(printed.sharedPoint).toEqual([expect.stringMatching(/^[1-9][0-9]*$/), expect.stringMatching(/^[1-9][0-9]*$/)]);
  expect(printed.issuerRequest).toEqual({
    request: { chainId: Number(chainId), log: logAddress.toLowerCase(), id: '1' },
    sharedPoint: printed.sharedPoint,
    leafIndex: '4242',
  });
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
  const args = [
    'partial',
    '--share',
    join(dir, 'share-1.json'),
    '--ciphertext',
    join(dir, 'ct.json'),
    '--rpc',
    'http://127.0.0.1:1',
    '--gate',
    gateAddress,
    '--log',
    logAddress,
    '--request-id',
    '1',
    '--policy-id',
    String(POLICY),
    '--registration-tx',
    REG_TX,
    '--registration-log-index',
    String(REG_LOG),
    '--case-hash',
    CASE,
    '--out',
    out,
  ];
  expect(await runEscrowCli(args, { stdout: () => {}, stderr: (l) => err.push(l) })).toBe(1);
  expect(err.join('\n')).toContain('--rpc http://127.0.0.1:1 did not answer');
  expect(err.join('\n')).toContain('(rule: reachable)');
  expect(() => readFileSync(out)).toThrow();
});

describe('the registration and the key the request names (docs/disclosure-log.md §3, steps 4 and 5)', () => {
  const OFFICER_KEY = '0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d'; // Hardhat account 1
  const env = { OFFICER_KEY };

  /** Logs a request with the `request` command and returns its id. */
  async function logRequest(policyId: bigint, tx: string, logIndex: number, caseHash = CASE): Promise<string> {
    const args = [
      'request',
      '--rpc',
      'http://in-process',
      '--log',
      logAddress,
      '--policy-id',
      String(policyId),
      '--registration-tx',
      tx,
      '--registration-log-index',
      String(logIndex),
      '--case-hash',
      caseHash,
      '--key-env',
      'OFFICER_KEY',
    ];
    const result = await cli(args, env);
    expect(result).toMatchObject({ code: 0, err: '' });
    const printed = JSON.parse(result.out);
    expect(printed.request).toBe(`disclosure-log:${chainId}:${logAddress.toLowerCase()}:${printed.id}`);
    expect(printed.reference).toEqual({ chainId: Number(chainId), log: logAddress.toLowerCase(), id: printed.id });
    return printed.id;
  }

  it('computes the case hash as §2 defines it, with a fresh salt unless given', async () => {
    const salt = '0x' + '11'.repeat(32);
    const given = await cli(['case-hash', '--case-ref', 'court order 2026/117', '--salt', salt]);
    expect(given.code).toBe(0);
    const expected = keccak256(Buffer.concat([Buffer.from('zkkyc/disclosure-case/v1\0'), Buffer.from('11'.repeat(32), 'hex'), Buffer.from('court order 2026/117')]));
    expect(JSON.parse(given.out)).toEqual({ caseReference: 'court order 2026/117', salt, caseRefHash: expected });
    expect(caseRefHash('court order 2026/117', salt)).toBe(expected);
    const fresh = JSON.parse((await cli(['case-hash', '--case-ref', 'court order 2026/117'])).out);
    expect(fresh.salt).toMatch(/^0x[0-9a-f]{64}$/);
    expect(fresh.salt).not.toBe(salt);
    expect(fresh.caseRefHash).toBe(caseRefHash('court order 2026/117', fresh.salt));
    expect((await cli(['case-hash', '--case-ref', 'a\nb'])).err).toContain('(rule: printable)');
    expect((await cli(['case-hash', '--case-ref', 'x', '--salt', '0x12'])).err).toContain('(rule: bytes32)');
  });

  it('records a request with the key from the environment, and refuses one naming no escrow registration', async () => {
    const id = await logRequest(POLICY, REG_TX, REG_LOG);
    expect((await log.entry(id)).status).toBe(1n);
    // The WalletVerified event just before the ciphertext is not what a request names.
    const before = await cli(
      [
        'request',
        '--rpc',
        'x',
        '--log',
        logAddress,
        '--policy-id',
        String(POLICY),
        '--registration-tx',
        REG_TX,
        '--registration-log-index',
        String(REG_LOG - 1),
        '--case-hash',
        CASE,
        '--key-env',
        'OFFICER_KEY',
      ],
      env,
    );
    expect(before.code).toBe(1);
    expect(before.err).toContain("is not the gate's EscrowCiphertext event (rule: registration-ciphertext)");
    const otherPolicy = await cli(
      [
        'request',
        '--rpc',
        'x',
        '--log',
        logAddress,
        '--policy-id',
        String(POLICY),
        '--registration-tx',
        registrations.otherPolicy[0],
        '--registration-log-index',
        String(registrations.otherPolicy[1]),
        '--case-hash',
        CASE,
        '--key-env',
        'OFFICER_KEY',
      ],
      env,
    );
    expect(otherPolicy.err).toContain(`is a registration under policy ${OTHER_POLICY}, not ${POLICY}`);
    const noKey = await cli(
      ['request', '--rpc', 'x', '--log', logAddress, '--policy-id', '7', '--registration-tx', REG_TX, '--registration-log-index', String(REG_LOG), '--case-hash', CASE, '--key-env', 'NOT_SET'],
      env,
    );
    expect(noKey.code).toBe(1);
    expect(noKey.err).toContain('names the environment variable NOT_SET, which is not set');
    // A requester the log does not know: the contract's error, named.
    const stranger = await cli(
      [
        'request',
        '--rpc',
        'x',
        '--log',
        logAddress,
        '--policy-id',
        String(POLICY),
        '--registration-tx',
        REG_TX,
        '--registration-log-index',
        String(REG_LOG),
        '--case-hash',
        CASE,
        '--key-env',
        'STRANGER',
      ],
      { STRANGER: '0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a' },
    ); // Hardhat account 2
    expect(stranger.code).toBe(1);
    expect(stranger.err).toContain('request was not recorded: ');
    expect(stranger.err).toContain('NotRequester(7, ');
    expect(stranger.err).toContain('(rule: request-recorded)');
  });

  it('reads the ciphertext from the registration when --ciphertext is left out', async () => {
    const id = await logRequest(POLICY, REG_TX, REG_LOG);
    const outs = [1, 2].map((auditor) => partial({ 'request-id': id }, auditor));
    for (const o of outs) expect((await o.run).code).toBe(0);
    // Without --ciphertext (the flag is dropped from the command line).
    const out = join(dir, 'from-chain.json');
    const flags = [
      'partial',
      '--share',
      join(dir, 'share-3.json'),
      '--rpc',
      'x',
      '--gate',
      gateAddress,
      '--log',
      logAddress,
      '--request-id',
      id,
      '--policy-id',
      String(POLICY),
      '--registration-tx',
      REG_TX,
      '--registration-log-index',
      String(REG_LOG),
      '--case-hash',
      CASE,
      '--out',
      out,
    ];
    expect((await cli(flags)).code).toBe(0);
    const reference = `disclosure-log:${chainId}:${logAddress.toLowerCase()}:${id}`;
    const combined = await cli(['combine', '--public-key', join(dir, 'key.json'), '--ciphertext', join(dir, 'ct.json'), '--request', reference, '--partial', outs[0].out, '--partial', out]);
    expect(JSON.parse(combined.out)).toMatchObject({ leafIndex: 4242, used: [1, 3] });
  });

  it("refuses a ciphertext other than the registration's, and a key other than the policy's", async () => {
    const id = await logRequest(POLICY, REG_TX, REG_LOG);
    writeFileSync(join(dir, 'other-ct.json'), JSON.stringify(encodeCiphertext(encryptLeafIndex(dkg.publicKey.publicKey, 4242).ciphertext)));
    const wrongCt = await partial({ 'request-id': id, ciphertext: join(dir, 'other-ct.json') }).run;
    expect(wrongCt.code).toBe(1);
    expect(wrongCt.err).toContain(`ciphertext is not the ciphertext of registration ${REG_TX}#${REG_LOG}`);
    expect(wrongCt.err).toContain('(rule: registration-ciphertext)');
    // A share of another DKG: its key is not the policy's.
    const otherDkg = runHonestDkg(3, 2);
    writeFileSync(join(dir, 'stranger-share.json'), JSON.stringify(encodeKeyShare(otherDkg.shares[0])));
    const wrongKey = await partial({ 'request-id': id, share: join(dir, 'stranger-share.json') }).run;
    expect(wrongKey.code).toBe(1);
    expect(wrongKey.err).toContain(`publicKey is not the escrow key of policy ${POLICY}`);
    expect(wrongKey.err).toContain('(rule: policy-escrow-key)');
  });

  it('lets the single key holder decrypt a logged registration, with the same checks', async () => {
    const [tx, logIndex] = registrations.otherPolicy;
    const id = await logRequest(OTHER_POLICY, tx, logIndex);
    const args = [
      'decrypt',
      '--secret-key',
      join(dir, 'single.json'),
      '--rpc',
      'x',
      '--gate',
      gateAddress,
      '--log',
      logAddress,
      '--request-id',
      id,
      '--policy-id',
      String(OTHER_POLICY),
      '--registration-tx',
      tx,
      '--registration-log-index',
      String(logIndex),
      '--case-hash',
      CASE,
    ];
    const opened = await cli(args);
    expect(opened).toMatchObject({ code: 0, err: '' });
    const printed = JSON.parse(opened.out);
    expect(printed.leafIndex).toBe(77);
    expect(printed.request).toBe(`disclosure-log:${chainId}:${logAddress.toLowerCase()}:${id}`);
    expect(printed.sharedPoint).toHaveLength(2);
    expect(printed.issuerRequest).toEqual({
      request: { chainId: Number(chainId), log: logAddress.toLowerCase(), id },
      sharedPoint: printed.sharedPoint,
      leafIndex: '77',
    });
    // The same key on policy 7, whose escrow key is the DKG's: refused before decrypting.
    const [tx7, log7] = registrations.single;
    const id7 = await logRequest(POLICY, tx7, log7);
    const refused = await cli([
      'decrypt',
      '--secret-key',
      join(dir, 'single.json'),
      '--rpc',
      'x',
      '--gate',
      gateAddress,
      '--log',
      logAddress,
      '--request-id',
      id7,
      '--policy-id',
      String(POLICY),
      '--registration-tx',
      tx7,
      '--registration-log-index',
      String(log7),
      '--case-hash',
      CASE,
    ]);
    expect(refused.code).toBe(1);
    expect(refused.err).toContain('(rule: policy-escrow-key)');
    // Some chain flags but not all: a usage error, nothing decrypted.
    const partialFlags = await cli(['decrypt', '--secret-key', join(dir, 'single.json'), '--rpc', 'x', '--log', logAddress]);
    expect(partialFlags.code).toBe(2);
    expect(partialFlags.err).toContain('decrypt needs the disclosure request as logged on chain');
  });
});

describe('the official deployment: the auditor pins the gate (and the log) it serves', () => {
  it('needs --gate or --deployment, and refuses a log of another gate (rule official-log)', async () => {
    const noGate = partial();
    const flags = [
      'partial',
      '--share',
      join(dir, 'share-1.json'),
      '--ciphertext',
      join(dir, 'ct.json'),
      '--rpc',
      'x',
      '--log',
      logAddress,
      '--request-id',
      '1',
      '--policy-id',
      String(POLICY),
      '--registration-tx',
      REG_TX,
      '--registration-log-index',
      String(REG_LOG),
      '--case-hash',
      CASE,
      '--out',
      noGate.out,
    ];
    const missing = await cli(flags);
    expect(missing.code).toBe(2);
    expect(missing.err).toContain('--gate');
    expect(missing.err).toContain('--deployment');
    await noGate.run; // the default partial() run, with --gate, is fine

    const [admin] = await hre.ethers.getSigners();
    const otherGate = await (await deployEscrowGateStub(admin)).getAddress();
    const attempt = partial({ gate: otherGate });
    const refused = await attempt.run;
    expect(refused.code).toBe(1);
    expect(refused.err).toContain(`is the disclosure log of the gate ${gateAddress}, not of ${otherGate}`);
    expect(refused.err).toContain('(rule: official-log)');
    expect(() => readFileSync(attempt.out)).toThrow();
  });

  it('reads the gate and the log from the deployment record instead', async () => {
    const record = (over: object = {}) => {
      const file = join(dir, `deployment-${++outputs}.json`);
      writeFileSync(file, JSON.stringify({ chainId: Number(chainId), contracts: { complianceGate: gateAddress, disclosureLog: logAddress }, policies: [], tokens: [], ...over }));
      return file;
    };
    const base = partial();
    const withoutAddresses = (extra: Record<string, string>) => {
      const flags: Record<string, string> = {
        share: join(dir, 'share-2.json'),
        rpc: 'x',
        'request-id': '1',
        'policy-id': String(POLICY),
        'registration-tx': REG_TX,
        'registration-log-index': String(REG_LOG),
        'case-hash': CASE,
        out: join(dir, `deployment-partial-${++outputs}.json`),
        ...extra,
      };
      return cli(['partial', ...Object.entries(flags).flatMap(([k, v]) => [`--${k}`, v])]);
    };
    await base.run;
    const made = await withoutAddresses({ deployment: record() });
    expect(made).toMatchObject({ code: 0, err: '' });
    expect(JSON.parse(made.out).request).toBe(`disclosure-log:${chainId}:${logAddress.toLowerCase()}:1`);
    const mixed = await withoutAddresses({ deployment: record(), log: logAddress });
    expect(mixed.code).toBe(2);
    expect(mixed.err).toContain('--deployment names the gate and the log: drop --log');
    const otherChain = await withoutAddresses({ deployment: record({ chainId: 1 }) });
    expect(otherChain.code).toBe(1);
    expect(otherChain.err).toContain('(rule: official-log)');
    const broken = await withoutAddresses({ deployment: record({ contracts: { complianceGate: gateAddress } }) });
    expect(broken.code).toBe(1);
    expect(broken.err).toContain('contracts.disclosureLog');
  });

  it('refuses, in the library, an entry of a log other than the expected one', async () => {
    const subject = { policyId: POLICY, registrationTx: REG_TX.toLowerCase(), registrationLogIndex: REG_LOG, caseRefHash: CASE };
    const check = new ChainDisclosureLogCheck(hre.ethers.provider, subject, { gate: gateAddress, log: logAddress });
    const query = { publicKey: dkg.publicKey.publicKey, ciphertext, auditor: 1 };
    await expect(check.assertLogged({ ...query, request: disclosureRequestReference({ chainId, log: logAddress, requestId: 1n }) })).resolves.toBeUndefined();
    const other = disclosureRequestReference({ chainId, log: await otherLog.getAddress(), requestId: 1n });
    await expect(check.assertLogged({ ...query, request: other })).rejects.toThrow('(rule: official-log)');
  });

  it("refuses an entry whose requester was not a requester of the policy at the entry's block (rule requester)", async () => {
    const [admin, officer] = await hre.ethers.getSigners();
    const adminLog = DisclosureLog__factory.connect(logAddress, admin);
    await hre.network.provider.send('evm_setAutomine', [false]);
    let id: bigint;
    try {
      const requested = await log.connect(officer).request(POLICY, REG_TX, REG_LOG, CASE);
      const removed = await adminLog.setRequester(POLICY, officer.address, false);
      await hre.network.provider.send('evm_mine', []);
      const receipt = await requested.wait();
      await removed.wait();
      id = log.interface.parseLog(receipt!.logs[0])!.args.id as bigint;
    } finally {
      await hre.network.provider.send('evm_setAutomine', [true]);
    }
    try {
      const attempt = partial({ 'request-id': String(id) });
      const refused = await attempt.run;
      expect(refused.code).toBe(1);
      expect(refused.err).toContain(`was recorded by ${officer.address}, who was not a requester of policy ${POLICY}`);
      expect(refused.err).toContain('(rule: requester)');
    } finally {
      await (await adminLog.setRequester(POLICY, officer.address, true)).wait();
    }
  });
});

describe('a rotated escrow key (the key of a registration is the one the policy had when it was made)', () => {
  const next = runHonestDkg(3, 2);
  const shareFile = (which: 'old' | 'new', index: number) => join(dir, `${which}-share-${index}.json`);
  beforeAll(() => {
    for (const share of dkg.shares) writeFileSync(shareFile('old', share.index), JSON.stringify(encodeKeyShare(share)));
    for (const share of next.shares) writeFileSync(shareFile('new', share.index), JSON.stringify(encodeKeyShare(share)));
  });

  async function request(tx: string, logIndex: number): Promise<string> {
    const receipt = await (await log.request(POLICY, tx, logIndex, CASE)).wait();
    return String(log.interface.parseLog(receipt!.logs[0])!.args.id);
  }
  const run = (share: string, tx: string, logIndex: number, id: string) => {
    const out = join(dir, `rotation-${++outputs}.json`);
    const flags = [
      'partial',
      '--share',
      share,
      '--rpc',
      'x',
      '--gate',
      gateAddress,
      '--log',
      logAddress,
      '--request-id',
      id,
      '--policy-id',
      String(POLICY),
      '--registration-tx',
      tx,
      '--registration-log-index',
      String(logIndex),
      '--case-hash',
      CASE,
      '--out',
      out,
    ];
    return cli(flags);
  };

  it('opens a registration made under the old key with the old shares after a rotation, and names the version for the new ones', async () => {
    const version = Number(await (gate as unknown as { versionOf(p: bigint): Promise<bigint> }).versionOf(POLICY));
    await (await gate.setEscrowKey(POLICY, ...next.publicKey.publicKey)).wait();
    const oldId = await request(REG_TX, REG_LOG);
    expect((await run(shareFile('old', 1), REG_TX, REG_LOG, oldId)).code).toBe(0);
    const wrong = await run(shareFile('new', 1), REG_TX, REG_LOG, oldId);
    expect(wrong.code).toBe(1);
    expect(wrong.err).toContain(`registration ${REG_TX}#${REG_LOG} was made under escrow key version ${version} of policy ${POLICY}`);
    expect(wrong.err).toContain('(rule: policy-escrow-key)');

    const fresh = encryptLeafIndex(next.publicKey.publicKey, 99).ciphertext;
    const [tx, logIndex] = await registerOnGate(POLICY, fresh, 21n);
    const newId = await request(tx, logIndex);
    expect((await run(shareFile('new', 2), tx, logIndex, newId)).code).toBe(0);
    const old = await run(shareFile('old', 2), tx, logIndex, newId);
    expect(old.code).toBe(1);
    expect(old.err).toContain(`was made under escrow key version ${version + 1} of policy ${POLICY}`);
  });

  it("uses the key set before the registration in its own block, not the block's final state", async () => {
    const third = runHonestDkg(3, 2);
    const fresh = encryptLeafIndex(next.publicKey.publicKey, 123).ciphertext;
    await hre.network.provider.send('evm_setAutomine', [false]);
    let registered: string;
    try {
      const sent = await gate.register(POLICY, WALLET, 22n, 2_000_000_000, fresh.R[0], fresh.c, true);
      const rotated = await gate.setEscrowKey(POLICY, ...third.publicKey.publicKey);
      await hre.network.provider.send('evm_mine', []);
      registered = (await sent.wait())!.hash;
      await rotated.wait();
    } finally {
      await hre.network.provider.send('evm_setAutomine', [true]);
    }
    const receipt = (await hre.ethers.provider.getTransactionReceipt(registered))!;
    const logIndex = receipt.logs[1].index;
    const id = await request(registered, logIndex);
    // escrowKeyOf at that block answers the third key; the registration was made under `next`.
    expect((await run(shareFile('new', 3), registered, logIndex, id)).code).toBe(0);
  });
});
