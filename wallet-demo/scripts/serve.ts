/**
 * Runs the whole demo locally for the browser wallet: a Hardhat node, the zkkyc contracts with three
 * demo tokens (the third under a policy with an escrow key generated at start), the issuer service
 * in dev mode (auto-approve) anchoring its roots on that chain, a verified counterparty to transfer
 * to, the relayer (a funded account of its own pays for registrations signed with the wallet's
 * EIP-712 consent), and the built wallet with its config and deployment JSON. The issuer's reviewer
 * console is built too and served by the issuer at /console/.
 *
 *   npx tsx wallet-demo/scripts/serve.ts     (or: npm run wallet)
 *
 * Everything listens on 127.0.0.1. `startWalletDemo` is the same thing as a function for tests.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { JsonRpcProvider, parseEther, Wallet } from 'ethers';
import { generateSingleKey, type EscrowKeyPair } from '@zkkyc/escrow';
import { createIssuerService, loadConfig, type IssuerService } from '@zkkyc/issuer-service';
import { releaseProverThreads } from '@zkkyc/prover';
import { createRelayer, DEFAULT_LIMITS, type Relayer } from '@zkkyc/relayer';
import { connectZkKyc, RegistryRootAnchor, type ZkKycDeployment } from '@zkkyc/sdk';
import { deployDemoCore, deployDemoTokens, DEMO_ISSUER_ID, registerDemoIssuer } from './demo-deployment.js';
import { verifiedCounterparty } from './demo-counterparty.js';
import { demoBanner } from './demo-banner.js';
import { startDevChain, type DevChain } from './dev-chain.js';
import { freePort, preferredOrFreePort } from './free-port.js';
import { startWalletServer } from './wallet-server.js';

const walletDir = fileURLToPath(new URL('..', import.meta.url));
const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
const issuerDir = `${repoRoot}issuer-service`;
const require = createRequire(import.meta.url);

export interface WalletDemoOptions {
  /** Ports on 127.0.0.1; 0 picks a free one. Defaults: chain 8545, issuer 3100, wallet 5173, relayer 3200 (or a free one if taken). */
  chainPort?: number;
  issuerPort?: number;
  walletPort?: number;
  relayerPort?: number;
  /** Build the wallet and the issuer's reviewer console with Vite first (default true). */
  build?: boolean;
  /** Register a verified counterparty for the first token (default true; costs one Node proof). */
  counterparty?: boolean;
  /** Root publication period of the issuer, seconds (default 2). */
  publishIntervalSeconds?: number;
  log?: (line: string) => void;
}

export interface WalletDemo {
  walletUrl: string;
  issuerUrl: string;
  /** The issuer's reviewer console (built at start), and the reviewer keys it accepts. */
  consoleUrl: string;
  reviewers: Array<{ name: string; apiKey: string }>;
  rpcUrl: string;
  deployment: ZkKycDeployment;
  /** A wallet verified for the first token's policy (undefined when `counterparty: false`). */
  counterparty?: string;
  /**
   * The escrow key of the third token's policy, generated at start: a single key, whose secret the
   * demo's transfer agent holds (here, so that tests can open the ciphertexts registrations log).
   */
  escrow: EscrowKeyPair;
  issuer: IssuerService;
  /** The relayer the wallet's config names (`relayerUrl`), and the account it pays from. */
  relayer: { url: string; address: string; service: Relayer };
  /** Stops everything this demo started. */
  close(): Promise<void>;
}

async function run(command: string[], cwd: string, what: string): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const child = spawn(process.execPath, command, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (c) => (output = (output + c).slice(-4000)));
    child.stderr.on('data', (c) => (output = (output + c).slice(-4000)));
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`${what} failed (exit ${code}): ${output}`))));
  });
}

/** Starts chain, contracts, issuer and wallet; see the file comment. */
export async function startWalletDemo(options: WalletDemoOptions = {}): Promise<WalletDemo> {
  const log = options.log ?? ((line: string) => console.log(`[wallet-demo] ${line}`));
  const cleanup: (() => Promise<void> | void)[] = [];
  const close = async () => {
    for (const step of cleanup.reverse()) await Promise.resolve(step()).catch(() => undefined);
    cleanup.length = 0;
  };
  try {
    if (!existsSync(`${repoRoot}contracts/typechain-types/index.ts`)) {
      log('compiling contracts…');
      await run([require.resolve('hardhat/internal/cli/bootstrap.js', { paths: [repoRoot] }), 'compile', '--quiet'], repoRoot, 'hardhat compile');
    }
    if (options.build !== false) {
      log('building the wallet and the issuer’s reviewer console (vite)…');
      const vite = (dir: string) => `${dirname(require.resolve('vite/package.json', { paths: [dir] }))}/bin/vite.js`;
      // The console is what `npm run build:console -w @zkkyc/issuer-service` builds; without it /console/ answers 503.
      await Promise.all([
        run([vite(walletDir), 'build'], walletDir, 'vite build (wallet)'),
        run([vite(issuerDir), 'build', '--config', 'console/vite.config.ts'], issuerDir, 'vite build (reviewer console)'),
      ]);
    }
    const pick = async (port: number | undefined, fallback: number) => (port === 0 ? freePort() : port === undefined ? preferredOrFreePort(fallback) : port);

    const chain: DevChain = await startDevChain(repoRoot, await pick(options.chainPort, 8545), log);
    cleanup.push(() => chain.stop());
    const provider = new JsonRpcProvider(chain.rpcUrl, undefined, { staticNetwork: true });
    provider.pollingInterval = 100;
    cleanup.push(() => provider.destroy());
    const deployer = await provider.getSigner(0);
    const publisher = await provider.getSigner(1);

    log('deploying contracts…');
    const deployment = await deployDemoCore(deployer);

    const issuerPort = await pick(options.issuerPort, 3100);
    const issuerUrl = `http://127.0.0.1:${issuerPort}`;
    const walletConfig = {
      rpcUrl: chain.rpcUrl,
      issuerUrl,
      deploymentUrl: 'deployment.json',
      devOperatorUrl: 'dev',
      demoRecipient: undefined as string | undefined,
      relayerUrl: undefined as string | undefined,
    };
    const wallet = await startWalletServer(
      {
        distDir: `${walletDir}dist`,
        artifactsDir: `${repoRoot}circuits/artifacts`,
        files: { 'wallet-config.json': () => walletConfig, 'deployment.json': () => deployment },
        operator: { signer: deployer, deployment: () => deployment },
      },
      await pick(options.walletPort, 5173),
    );
    cleanup.push(() => new Promise<void>((resolve) => wallet.server.close(() => resolve())));
    wallet.server.closeIdleConnections?.();

    const config = loadConfig({
      ZKKYC_DEV: '1',
      AUTO_APPROVE: '1',
      // Applicants no longer declare a level; the demo's auto-reviewer finds "Standard" (2): what
      // AREF and NIB ask for, below USPC's 3, so the demo shows one policy a holder does not meet.
      AUTO_APPROVE_KYC_LEVEL: '2',
      HOST: '127.0.0.1',
      PORT: String(issuerPort),
      DATABASE_PATH: ':memory:',
      PUBLISH_INTERVAL_SECONDS: String(options.publishIntervalSeconds ?? 2),
      ISSUER_TREE_ID: String(DEMO_ISSUER_ID),
      HOLDER_RATE_LIMIT: '600',
    });
    const anchor = new RegistryRootAnchor(connectZkKyc(deployment, publisher).issuerRegistry, DEMO_ISSUER_ID);
    const issuer = await createIssuerService(config, { anchor, corsOrigins: [wallet.url] });
    cleanup.push(() => issuer.close());
    await registerDemoIssuer(deployer, deployment, issuer.issuerDid, await publisher.getAddress());
    const escrow = generateSingleKey();
    await deployDemoTokens(deployer, deployment, escrow.publicKey);
    await issuer.app.listen({ port: issuerPort, host: '127.0.0.1' });
    log(`issuer: ${issuerUrl} (${issuer.issuerDid}), dev mode, auto-approve`);

    // The relayer pays from an account of its own (not the deployer's: the operator and the
    // counterparty send from that one, and the nonces would collide). Its journal lives in memory
    // like the chain: a journal kept across runs would name transactions of a chain that is gone.
    const relayerKey = Wallet.createRandom();
    await (await deployer.sendTransaction({ to: relayerKey.address, value: parseEther('100') })).wait();
    const relayerPort = await pick(options.relayerPort, 3200);
    const relayer = await createRelayer({
      rpcUrl: chain.rpcUrl,
      gateAddress: deployment.contracts.complianceGate,
      relayerKey: relayerKey.privateKey,
      chainId: deployment.chainId,
      databasePath: ':memory:',
      host: '127.0.0.1',
      port: relayerPort,
      corsOrigins: [wallet.url],
      limits: { ...DEFAULT_LIMITS, walletDailyLimit: 20 },
      receiptTimeoutSeconds: 60,
      // Registrations go out in batches (one verifyBatch for up to 16 wallets); a holder alone waits a second for company.
      batch: { maxSize: 16, maxWaitMs: 1000 },
    });
    cleanup.push(() => relayer.close());
    const relayerUrl = await relayer.app.listen({ host: '127.0.0.1', port: relayerPort });
    walletConfig.relayerUrl = relayerUrl;
    log(`relayer: ${relayerUrl} (pays from ${relayer.address})`);

    let counterparty: string | undefined;
    if (options.counterparty !== false) {
      log('registering a verified counterparty (one proof in Node)…');
      counterparty = await verifiedCounterparty({ provider, funder: deployer, deployment, issuerUrl, policyId: BigInt(deployment.tokens[0].policyId), log });
      walletConfig.demoRecipient = counterparty;
    }

    const outDir = `${walletDir}.serve`;
    await mkdir(outDir, { recursive: true });
    await writeFile(`${outDir}/deployment.json`, JSON.stringify(deployment, null, 2));
    await writeFile(`${outDir}/wallet-config.json`, JSON.stringify(walletConfig, null, 2));
    log(`wallet: ${wallet.url}/  (deployment: ${outDir}/deployment.json)`);

    const reviewers = config.reviewers.map(({ name, apiKey }) => ({ name, apiKey }));
    return {
      walletUrl: `${wallet.url}/`,
      issuerUrl,
      consoleUrl: `${issuerUrl}/console/`,
      reviewers,
      rpcUrl: chain.rpcUrl,
      deployment,
      counterparty,
      escrow,
      issuer,
      relayer: { url: relayerUrl, address: relayer.address, service: relayer },
      close,
    };
  } catch (err) {
    await close();
    throw err;
  }
}

async function main(): Promise<void> {
  const demo = await startWalletDemo();
  await releaseProverThreads();
  const banner = demoBanner({
    ...demo,
    chainId: demo.deployment.chainId,
    counterparty: demo.counterparty ? { symbol: demo.deployment.tokens[0].symbol, address: demo.counterparty } : undefined,
    escrow: { symbol: demo.deployment.tokens[2].symbol, publicKey: demo.escrow.publicKey },
  });
  for (const line of banner) console.log(line);
  const stop = () => void demo.close().then(() => process.exit(0));
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  main().catch(async (err) => {
    console.error(err);
    process.exit(1);
  });
}
