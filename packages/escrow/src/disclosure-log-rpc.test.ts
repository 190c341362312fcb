import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { JsonRpcProvider, keccak256, toUtf8Bytes } from 'ethers';
import { DisclosureLog__factory } from '@zkkyc/contracts/typechain';
import { runHonestDkg } from './dkg.fixture.js';
import { encodeCiphertext, encodeKeyShare } from './documents.js';
import { deployEscrowGateStub } from './escrow-gate.fixture.js';
import { encryptLeafIndex } from './leaf-index-encryption.js';

/**
 * The `escrow` bin as a requester and an auditor run it, in their own processes, against a Hardhat
 * JSON-RPC node on 127.0.0.1 (`--rpc URL`, the default provider): `request` records a request for a
 * registration (signing with the key in the environment variable it names); a partial is made for
 * it; the same request with another case hash is refused, and so is a second request over the
 * policy's rate limit; and the processes exit (the provider is closed).
 */
const packageDir = resolve(fileURLToPath(new URL('.', import.meta.url)), '..');
const repoRoot = resolve(packageDir, '../..');
const POLICY = 3n;
const CASE = keccak256(toUtf8Bytes('case'));
const OFFICER_KEY = '0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d'; // Hardhat account 1

let node: ChildProcess;
let url: string;
let dir: string;

beforeAll(async () => {
  const port = 20000 + Math.floor(Math.random() * 20000);
  node = spawn(process.execPath, ['node_modules/hardhat/internal/cli/cli.js', 'node', '--hostname', '127.0.0.1', '--port', String(port)], {
    cwd: repoRoot,
    env: { ...process.env, NODE_OPTIONS: '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  url = await new Promise<string>((done, fail) => {
    let output = '';
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const m = /JSON-RPC server at (http:\/\/127\.0\.0\.1:\d+)/.exec(output);
      if (m) done(m[1]);
    };
    node.stdout!.on('data', onData);
    node.stderr!.on('data', onData);
    node.on('exit', (code) => fail(new Error(`hardhat node exited (${code}):\n${output}`)));
  });
  dir = mkdtempSync(join(tmpdir(), 'zkkyc-disclosure-rpc-'));
}, 120_000);

afterAll(() => {
  node?.kill('SIGTERM');
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function escrow(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((done) => {
    execFile(join(packageDir, 'bin/escrow.js'), args, { cwd: dir, env: { ...process.env, NODE_OPTIONS: '', OFFICER_KEY } }, (error, stdout, stderr) => {
      done({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

it('makes a partial for a request logged on the node, refuses another case hash, and exits', async () => {
  const provider = new JsonRpcProvider(url);
  try {
    const admin = await provider.getSigner(0);
    const officer = await provider.getSigner(1);
    const dkg = runHonestDkg(3, 2);
    const { ciphertext } = encryptLeafIndex(dkg.publicKey.publicKey, 9);
    const gate = await deployEscrowGateStub(admin);
    await (await gate.setEscrowKey(POLICY, ...dkg.publicKey.publicKey)).wait();
    const registration = (await (await gate.register(POLICY, await officer.getAddress(), 5n, 2_000_000_000, ciphertext.R[0], ciphertext.c, true)).wait())!;
    const [REG_TX, REG_LOG] = [registration.hash, String(registration.logs[1].index)];
    const log = await (await new DisclosureLog__factory(admin).deploy(await admin.getAddress(), await gate.getAddress())).waitForDeployment();
    await (await log.setRateLimit(POLICY, 1, 86400)).wait();
    await (await log.setRequester(POLICY, await officer.getAddress(), true)).wait();
    const address = await log.getAddress();
    const request = [
      'request',
      '--rpc',
      url,
      '--log',
      address,
      '--policy-id',
      String(POLICY),
      '--registration-tx',
      REG_TX,
      '--registration-log-index',
      REG_LOG,
      '--case-hash',
      CASE,
      '--key-env',
      'OFFICER_KEY',
    ];
    const logged = await escrow(request);
    expect(logged).toMatchObject({ code: 0, stderr: '' });
    expect(JSON.parse(logged.stdout)).toMatchObject({ id: '1', reference: { chainId: 31337, log: address.toLowerCase(), id: '1' }, requester: await officer.getAddress() });
    const overLimit = await escrow(request);
    expect(overLimit.code).toBe(1);
    expect(overLimit.stderr).toContain(`request was not recorded: RateLimitExceeded(${POLICY}, 1, 86400, `);

    writeFileSync(join(dir, 'share-1.json'), JSON.stringify(encodeKeyShare(dkg.shares[0])));
    writeFileSync(join(dir, 'ct.json'), JSON.stringify(encodeCiphertext(ciphertext)));
    const gateAddress = await gate.getAddress();
    const args = (caseHash: string, out: string) => [
      'partial',
      '--share',
      'share-1.json',
      '--ciphertext',
      'ct.json',
      '--rpc',
      url,
      '--gate',
      gateAddress,
      '--log',
      address,
      '--request-id',
      '1',
      '--policy-id',
      String(POLICY),
      '--registration-tx',
      REG_TX,
      '--registration-log-index',
      REG_LOG,
      '--case-hash',
      caseHash,
      '--out',
      out,
    ];
    const made = await escrow(args(CASE, 'p1.json'));
    expect(made).toMatchObject({ code: 0, stderr: '' });
    const reference = `disclosure-log:31337:${address.toLowerCase()}:1`;
    expect(JSON.parse(made.stdout)).toEqual({ auditor: 1, request: reference, wrote: 'p1.json' });
    expect(JSON.parse(readFileSync(join(dir, 'p1.json'), 'utf8')).request).toBe(reference);

    const refused = await escrow(args(keccak256(toUtf8Bytes('another case')), 'p2.json'));
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(`escrow: EscrowError: request "${reference}" is logged for another policy, registration or case hash`);
  } finally {
    provider.destroy();
  }
}, 120_000);
