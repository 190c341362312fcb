import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import hre from 'hardhat';
import { parseUnits } from 'ethers';
import { DisclosureLog__factory, PlainERC20__factory, type DisclosureLog, type PlainERC20 } from '@zkkyc/contracts/typechain';
import { caseRefHash, derivedCaseSalt } from './case-hash.js';
import { runEscrowCli } from './cli.js';
import { encodeSecretKey } from './documents.js';
import { deployEscrowGateStub, type EscrowGateStub } from './escrow-gate.fixture.js';
import { EscrowError } from './errors.js';
import type { DisclosedRecord, IssuerDisclosureQuery, IssuerDisclosures } from './issuer-disclosure.js';
import { encryptLeafIndex } from './leaf-index-encryption.js';
import { buildRegisterOfHolders, type RegisterOfHolders } from './register-of-holders.js';
import { generateSingleKey } from './single-key.js';

/**
 * The register of holders on Hardhat's in-process chain: a stub gate with the escrow events
 * (escrow-gate.fixture.ts), a real DisclosureLog and an ERC-20, and an issuer that answers from a
 * table of leaf indices. Holders: Alice with two credentials and two wallets (one re-registered,
 * one holding nothing but registered), Bob whose name tries formula and HTML injection, Carol whose
 * registration was revoked while she still holds tokens, a wallet that never registered, one
 * registered without escrow, and one whose registration expired and who holds nothing (left out).
 */
const POLICY = 5n;
const FAR = 2_000_000_000; // 2033
const ta = generateSingleKey();

const PEOPLE: Record<number, DisclosedRecord> = {
  10: {
    person: { givenNames: 'Alice', familyName: 'Adler', birthDate: '1980-01-02', documentType: 'passport', documentCountry: 'DE', documentNumber: 'C01X00T47' },
    attributes: { jurisdiction: 'DE', investorClass: 'professional', kycLevel: 2 },
    credential: { id: 'cred-alice-1', status: 'active', issuedAt: '2026-01-01', validUntil: '2027-01-01' },
  },
  11: {
    person: { givenNames: 'Alice', familyName: 'Adler', birthDate: '1980-01-02', documentType: 'passport', documentCountry: 'de', documentNumber: 'c01x00t47' },
    attributes: { jurisdiction: 'DE', investorClass: 'professional', kycLevel: 2 },
    credential: { id: 'cred-alice-2', status: 'active', issuedAt: '2026-06-01', validUntil: '2027-06-01' },
  },
  20: {
    person: {
      givenNames: '<script>alert(1)</script>',
      familyName: '=HYPERLINK("http://evil.example","x")',
      birthDate: '1975-05-05',
      documentType: 'id-card',
      documentCountry: 'FR',
      documentNumber: 'X1, "Y2"\nZ3',
    },
    attributes: { jurisdiction: 'FR', investorClass: 'retail', kycLevel: 1 },
    credential: { id: 'cred-bob', status: 'active' },
  },
  30: {
    person: { givenNames: 'Carol', familyName: 'Castro', birthDate: '1990-09-09', documentType: 'passport', documentCountry: 'ES', documentNumber: 'P123' },
    attributes: { jurisdiction: 'ES', investorClass: 'professional', kycLevel: 2 },
    credential: { id: 'cred-carol', status: 'revoked' },
  },
};

/** The issuer: checks the request is open in the log and the shared point opens to the leaf index, then answers from PEOPLE. */
class TableIssuer implements IssuerDisclosures {
  readonly queries: IssuerDisclosureQuery[] = [];
  constructor(private readonly log: DisclosureLog) {}
  async disclose(query: IssuerDisclosureQuery) {
    this.queries.push(query);
    if ((await this.log.entry(query.request.id)).status !== 1n) throw new EscrowError('issuer', 'issuer-disclosure', 'request not open');
    const record = PEOPLE[query.leafIndex];
    if (!record) throw new EscrowError('issuer', 'issuer-disclosure', `refused request ${query.request.id} (HTTP 404: no credential at leaf ${query.leafIndex})`);
    return { disclosure: { id: String(this.queries.length) }, record };
  }
}

let gate: EscrowGateStub;
let log: DisclosureLog;
let token: PlainERC20;
let issuer: TableIssuer;
let wallets: Record<string, string>;
let dir: string;

beforeAll(async () => {
  const signers = await hre.ethers.getSigners();
  const [admin, officer] = signers;
  const [alice1, alice2, bob, carol, stranger, plain, expired] = signers.slice(3).map((s) => s.address);
  wallets = { alice1, alice2, bob, carol, stranger, plain, expired };
  gate = await deployEscrowGateStub(admin);
  await (await gate.setEscrowKey(POLICY, ...ta.publicKey)).wait();
  log = await (await new DisclosureLog__factory(admin).deploy(admin.address, await gate.getAddress())).waitForDeployment();
  await (await log.setRateLimit(POLICY, 50, 86400)).wait();
  await (await log.setRequester(POLICY, officer.address, true)).wait();
  log = log.connect(officer);
  token = await (await new PlainERC20__factory(admin).deploy()).waitForDeployment();
  issuer = new TableIssuer(log);

  const register = async (policy: bigint, wallet: string, nullifier: bigint, leaf: number, until = FAR, withEscrow = true) => {
    const { ciphertext } = encryptLeafIndex(ta.publicKey, leaf);
    await (await gate.register(policy, wallet, nullifier, until, ciphertext.R[0], ciphertext.c, withEscrow)).wait();
  };
  await register(POLICY, alice1, 1000n, 99); // replaced below: the register opens the latest registration only
  await register(POLICY, alice1, (7n << 192n) + 1001n, 10);
  await register(POLICY, alice2, 1002n, 11);
  await register(POLICY, bob, 2000n, 20);
  await register(POLICY, bob, 9999n, 99); // another policy's registration: not read
  await register(POLICY + 1n, bob, 9998n, 98);
  await register(POLICY, bob, 2000n, 20);
  await register(POLICY, carol, 3000n, 30);
  await (await gate.revoke(POLICY, carol, 'lost wallet')).wait();
  await register(POLICY, plain, 4000n, 40, FAR, false);
  await register(POLICY, expired, 5000n, 50, 1);

  await (await token.mint(alice1, parseUnits('100', 18))).wait();
  await (await token.connect(signers[3]).transfer(bob, parseUnits('0.5', 18))).wait();
  await (await token.mint(carol, parseUnits('3', 18))).wait();
  await (await token.mint(stranger, 1n)).wait();
  await (await token.mint(plain, parseUnits('2', 18))).wait();
  dir = mkdtempSync(join(tmpdir(), 'zkkyc-register-'));
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function build(overrides: Partial<Parameters<typeof buildRegisterOfHolders>[0]> = {}): Promise<RegisterOfHolders> {
  const [, officer] = await hre.ethers.getSigners();
  return buildRegisterOfHolders({
    provider: hre.ethers.provider,
    gate: await gate.getAddress(),
    token: await token.getAddress(),
    policyId: POLICY,
    secretKey: ta.secretKey,
    log: await log.getAddress(),
    requester: officer,
    issuer,
    caseReference: 'register of holders 2026-12-01',
    ...overrides,
  });
}

describe('buildRegisterOfHolders', () => {
  let register: RegisterOfHolders;
  beforeAll(async () => {
    register = await build();
  });

  it('lists every wallet with a balance or a current registration, grouped by person', () => {
    const { holders } = register;
    expect(register.token).toMatchObject({ name: 'Plain', symbol: 'PLN', decimals: 18 });
    expect(holders.map((h) => h.person?.familyName ?? null)).toEqual(['=HYPERLINK("http://evil.example","x")', 'Adler', 'Castro', null, null]);
    const alice = holders[1];
    expect(alice.key).toBe('document:DE/passport/C01X00T47'); // both credentials name the same document
    expect(alice.wallets.map((w) => w.address)).toEqual([wallets.alice1, wallets.alice2]);
    expect(alice.wallets.map((w) => w.balance)).toEqual([parseUnits('99.5', 18), 0n]);
    expect(alice.credentials.map((c) => c.id).sort()).toEqual(['cred-alice-1', 'cred-alice-2']);
    expect(alice.investorTags).toEqual([1001n, 1002n]); // the nullifier's low 192 bits
    expect(alice.wallets[0].registration?.leafIndex).toBe(10); // the latest registration, not the first
    expect(alice.wallets.map((w) => w.status)).toEqual(['current', 'current']);
    expect(alice.wallets[0].verifiedUntil).toBe(FAR);
    const carol = holders[2];
    expect(carol.wallets).toMatchObject([{ address: wallets.carol, status: 'revoked', verifiedUntil: 0, balance: parseUnits('3', 18) }]);
    const unidentified = holders.slice(3).flatMap((h) => h.wallets);
    expect(unidentified.map((w) => [w.address, w.status, w.problem])).toEqual(
      expect.arrayContaining([
        [wallets.stranger, 'unregistered', 'never registered under the policy'],
        [wallets.plain, 'current', 'its registration carries no escrow ciphertext (made without escrow)'],
      ]),
    );
    expect(holders.flatMap((h) => h.wallets).map((w) => w.address)).not.toContain(wallets.expired);
    expect(register.problems).toHaveLength(2);
    expect(register.totals).toEqual({ holders: 5, identified: 3, wallets: 6, balance: parseUnits('105', 18) + 1n, unidentifiedBalance: parseUnits('2', 18) + 1n });
  });

  it('logs one request per registration it opens, for the case hash, before the issuer is asked', async () => {
    const salt = derivedCaseSalt(ta.secretKey, 'register of holders 2026-12-01');
    expect(register.case).toEqual({ reference: 'register of holders 2026-12-01', salt, hash: caseRefHash('register of holders 2026-12-01', salt) });
    const requests = register.holders.flatMap((h) => h.wallets).flatMap((w) => (w.registration?.request ? [w.registration.request] : []));
    expect(requests).toHaveLength(4); // alice1, alice2, bob, carol
    expect(await log.requestCount()).toBe(4n);
    expect(requests.every((r) => r.created)).toBe(true);
    expect(issuer.queries.map((q) => q.leafIndex).sort()).toEqual([10, 11, 20, 30]);
    const chainId = (await hre.ethers.provider.getNetwork()).chainId;
    expect(issuer.queries[0].request).toEqual({ chainId, log: (await log.getAddress()).toLowerCase(), id: expect.any(BigInt) });
    const bob = register.holders[0].wallets[0];
    expect(bob.registration!.request!.reference).toMatch(/^disclosure-log:31337:0x[0-9a-f]{40}:\d+$/);
  });

  it('reuses the open requests of an earlier run for the same case: a rerun logs nothing twice', async () => {
    const before = await log.requestCount();
    const again = await build();
    expect(await log.requestCount()).toBe(before);
    const requests = again.holders.flatMap((h) => h.wallets).flatMap((w) => (w.registration?.request ? [w.registration.request] : []));
    expect(requests.map((r) => r.created)).toEqual([false, false, false, false]);
    expect(requests.map((r) => r.id).sort()).toEqual([1n, 2n, 3n, 4n]);
    // Another case is another set of requests.
    await build({ caseReference: 'register of holders 2026-12-02' });
    expect(await log.requestCount()).toBe(before + 4n);
  });

  it('refuses a key that is not the policy escrow key, and a log of another gate, before logging anything', async () => {
    const before = await log.requestCount();
    await expect(build({ secretKey: generateSingleKey().secretKey })).rejects.toThrow(`--key is not the escrow key of policy ${POLICY}`);
    await expect(build({ policyId: 77n })).rejects.toThrow('policy 77 has no escrow key on the gate');
    await expect(build({ gate: await token.getAddress() })).rejects.toThrow('(rule: same-gate)');
    expect(await log.requestCount()).toBe(before);
  });

  it('reports a registration the issuer refuses, and still writes the rest', async () => {
    const refusing: IssuerDisclosures = {
      async disclose(query) {
        if (query.leafIndex === 20) throw new EscrowError('issuer', 'issuer-disclosure', 'refused request 3 (HTTP 403: officer lacks the right)');
        return issuer.disclose(query);
      },
    };
    const partial = await build({ issuer: refusing });
    expect(partial.problems).toEqual(expect.arrayContaining([`${wallets.bob}: not disclosed: issuer refused request 3 (HTTP 403: officer lacks the right) (rule: issuer-disclosure)`]));
    expect(partial.totals.identified).toBe(2);
  });
});

describe('escrow register (CLI)', () => {
  it('writes the CSV and the HTML page (0600), prints a summary, and exits 1 when wallets stay unidentified', async () => {
    writeFileSync(join(dir, 'ta-key.json'), JSON.stringify(encodeSecretKey(ta.secretKey, ta.publicKey)));
    const out: string[] = [];
    const err: string[] = [];
    const officerKeys: string[] = [];
    const args = [
      'register',
      '--rpc',
      'http://in-process',
      '--gate',
      await gate.getAddress(),
      '--token',
      await token.getAddress(),
      '--policy-id',
      String(POLICY),
      '--key',
      join(dir, 'ta-key.json'),
      '--log',
      await log.getAddress(),
      '--requester-key-env',
      'REQUESTER',
      '--issuer',
      'http://issuer.invalid',
      '--officer-key-env',
      'OFFICER',
      '--case-ref',
      'register of holders 2026-12-01',
      '--csv',
      join(dir, 'register.csv'),
      '--html',
      join(dir, 'register.html'),
    ];
    const code = await runEscrowCli(args, {
      provider: () => hre.ethers.provider,
      issuer: (url, key) => {
        officerKeys.push(`${url} ${key}`);
        return issuer;
      },
      env: { REQUESTER: '0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d', OFFICER: 'officer-secret' },
      stdout: (l) => out.push(l),
      stderr: (l) => err.push(l),
    });
    expect(code).toBe(1);
    expect(officerKeys).toEqual(['http://issuer.invalid officer-secret']);
    expect(err.join('\n')).toContain('the register is incomplete: 2 wallet(s) not tied to a person');
    const summary = JSON.parse(out.join('\n'));
    expect(summary).toMatchObject({ holders: 5, identified: 3, wallets: 6, policyId: String(POLICY), chainId: '31337', token: { symbol: 'PLN' } });
    expect(summary.requests).toHaveLength(4);
    expect(statSync(join(dir, 'register.csv')).mode & 0o777).toBe(0o600);
    expect(statSync(join(dir, 'register.html')).mode & 0o777).toBe(0o600);
    const csv = readFileSync(join(dir, 'register.csv'), 'utf8');
    expect(csv.split('\r\n')[0]).toContain('"holder","familyName","givenNames","birthDate","documentType","documentCountry","documentNumber"');
    expect(csv).toContain(`"'=HYPERLINK(""http://evil.example"",""x"")"`);
    expect(csv).toContain('"X1, ""Y2""\nZ3"');
    expect(csv).toContain('"99.5"');
    const html = readFileSync(join(dir, 'register.html'), 'utf8');
    expect(html).not.toContain('<script');
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html).toContain('Register of holders — Plain (PLN), policy 5');
  });

  it('needs the signing key in the environment, never on the command line', async () => {
    const err: string[] = [];
    const code = await runEscrowCli(['register', '--requester-key-env', 'MISSING'], { env: {}, stdout: () => {}, stderr: (l) => err.push(l) });
    expect(code).toBe(1);
    expect(err.join('\n')).toContain('--requester-key-env names the environment variable MISSING, which is not set');
  });
});
