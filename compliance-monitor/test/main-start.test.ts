/**
 * `npm run monitor` as the operator starts it: main.ts in a child process over a Hardhat node,
 * configured only through the environment, must serve everything the console shows — the console
 * itself, SAR drafts, the sanctions-import history — and say which parts are off (pending
 * transfers without TRANSFER_APPROVAL_ADDRESS). A bad SAR setting stops the start, naming the
 * variable.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Wallet } from 'ethers';
import { TransferApproval__factory } from '@zkkyc/contracts/typechain';
import { importList } from '../src/sanctions/imports.js';
import { openSqliteSanctionsStore } from '../src/sanctions/store.js';
import { deploySmallZkKyc, repoRoot, startHardhatNode, type Deployed, type HardhatNode } from './support/chain.js';

const OFFICER_KEY = 'main-start-officer-key-0123456789';
const monitorDir = join(repoRoot, 'compliance-monitor');

const SAR_ENV = {
  SAR_REPORTING_ENTITY_ID: '4711',
  SAR_REPORTING_ENTITY_NAME: 'Example Bond Issuer GmbH',
  SAR_REPORTING_ENTITY_COUNTRY: 'de',
  SAR_REPORTING_PERSON_FIRST_NAME: 'Olga',
  SAR_REPORTING_PERSON_LAST_NAME: 'Officer',
};

interface Started {
  child: ChildProcess;
  /** Everything the child wrote so far, stdout and stderr. */
  output: () => string;
  exited: Promise<number | null>;
}

/** `node --import tsx compliance-monitor/src/main.ts` with exactly `env` (plus PATH). */
function startMain(env: Record<string, string>): Started {
  const child = spawn(process.execPath, ['--import', 'tsx', 'compliance-monitor/src/main.ts'], {
    cwd: repoRoot,
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (output += c.toString()));
  const exited = new Promise<number | null>((done) => child.on('exit', (code) => done(code)));
  return { child, output: () => output, exited };
}

/** Resolves with the URL main.ts prints once it listens; rejects if it exits first or takes too long. */
function listening(started: Started, timeoutMs = 20_000): Promise<string> {
  return new Promise((done, fail) => {
    const timer = setTimeout(() => fail(new Error(`main.ts did not listen within ${timeoutMs} ms:\n${started.output()}`)), timeoutMs);
    const check = () => {
      const m = /\[monitor\] listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(started.output());
      if (!m) return;
      clearTimeout(timer);
      done(m[1]);
    };
    started.child.stdout!.on('data', check);
    void started.exited.then((code) => {
      clearTimeout(timer);
      fail(new Error(`main.ts exited (${code}) before listening:\n${started.output()}`));
    });
  });
}

describe('npm run monitor (main.ts in a child process)', () => {
  let dir: string;
  let node: HardhatNode;
  let deployed: Deployed;
  let consoleDir: string;
  let sanctionsDb: string;
  let env: Record<string, string>;
  let main: Started | undefined;
  let url: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'monitor-main-'));
    // The console, built once with the package's Vite config (what `npm run build:console` does), into a temporary directory.
    consoleDir = join(dir, 'console');
    const built = spawnSync(
      process.execPath,
      [join(repoRoot, 'node_modules/vite/bin/vite.js'), 'build', '--config', join(monitorDir, 'console/vite.config.ts'), '--outDir', consoleDir, '--emptyOutDir'],
      {
        cwd: join(monitorDir, 'console'),
        encoding: 'utf8',
      },
    );
    if (built.status !== 0) throw new Error(`vite build failed: ${built.stderr || built.stdout}`);
    // The sanctions store as the sanctions CLI leaves it: one accepted OFAC import.
    sanctionsDb = join(dir, 'sanctions.db');
    const sanctions = openSqliteSanctionsStore(sanctionsDb);
    await importList(sanctions, { source: 'ofac', file: join(monitorDir, 'fixtures/sanctions/ofac-sdn.xml'), now: 1_800_000_000 });
    await sanctions.close();

    node = await startHardhatNode();
    deployed = await deploySmallZkKyc(node.provider);
    env = {
      RPC_URL: node.url,
      TOKEN_ADDRESS: deployed.contracts.token,
      GATE_ADDRESS: deployed.contracts.gate,
      REGISTRY_ADDRESS: deployed.contracts.registry,
      SANCTIONS_ADDRESS: deployed.contracts.sanctions!,
      OFFICERS: `olga:${OFFICER_KEY}`,
      DATABASE_PATH: join(dir, 'monitor.sqlite'),
      PORT: '0',
      CONFIRMATIONS: '1',
      POLL_INTERVAL_MS: '200',
    };
    main = startMain({ ...env, ...SAR_ENV, SANCTIONS_DB: sanctionsDb, CONSOLE_DIR: consoleDir });
    url = await listening(main);
  }, 60_000);

  afterAll(async () => {
    if (main && main.child.exitCode === null) {
      main.child.kill('SIGTERM');
      await main.exited;
    }
    node?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const get = (path: string) => fetch(url + path, { headers: { 'x-api-key': OFFICER_KEY } });

  it('serves the API, the console, SAR drafts and the sanctions history, and says which parts are on', async () => {
    const health = await get('/health');
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({ status: 'ok', backend: 'sqlite' });

    const page = await fetch(url + '/console/');
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    expect(await page.text()).toContain('<title>Compliance console</title>');

    const sar = await get('/sar');
    expect(sar.status).toBe(200);
    expect(await sar.json()).toEqual({ drafts: [] });

    const imports = await get('/sanctions/imports');
    expect(imports.status).toBe(200);
    const history = (await imports.json()) as { imports: Array<{ source: string; fileName: string; entryCount: number }> };
    expect(history.imports).toHaveLength(1);
    expect(history.imports[0]).toMatchObject({ source: 'ofac', fileName: join(monitorDir, 'fixtures/sanctions/ofac-sdn.xml') });
    expect(history.imports[0].entryCount).toBeGreaterThan(0);

    const pending = await get('/pending-transfers');
    expect(pending.status).toBe(503);
    expect(((await pending.json()) as { error: { code: string } }).error.code).toBe('not_configured');

    // The start-up log names each part, with the token's metadata read from the chain.
    const out = main!.output();
    expect(out).toContain(`[monitor] console: ${url}/console/ (from ${consoleDir})`);
    expect(out).toContain('[monitor] SAR drafts: on, reporting entity Example Bond Issuer GmbH (goAML id 4711, DE); token Note (NOTE, 18 decimals, chain 31337)');
    expect(out).toContain(`[monitor] sanctions history: ${sanctionsDb} (1 import(s))`);
    expect(out).toContain('[monitor] pending transfers: off (TRANSFER_APPROVAL_ADDRESS unset: /pending-transfers answers 503 not_configured)');
  });

  it('lists pending transfers with TRANSFER_APPROVAL_ADDRESS, deciding with the agent key; refuses an address without a contract', async () => {
    const rule = await (await new TransferApproval__factory(deployed.agent).deploy(deployed.contracts.token, await deployed.agent.getAddress(), 10n ** 21n, 86_400)).waitForDeployment();
    const ruleAddress = (await rule.getAddress()).toLowerCase();
    const agent = Wallet.createRandom();
    const withDesk = startMain({ ...env, TRANSFER_APPROVAL_ADDRESS: ruleAddress, MONITOR_AGENT_KEY_ENV: 'TEST_AGENT_KEY', TEST_AGENT_KEY: agent.privateKey, DATABASE_PATH: join(dir, 'desk.sqlite') });
    try {
      const deskUrl = await listening(withDesk);
      const res = await fetch(deskUrl + '/pending-transfers', { headers: { 'x-api-key': OFFICER_KEY } });
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ canDecide: true, transfers: [] });
      expect(withDesk.output()).toContain(`[monitor] pending transfers: TransferApproval ${ruleAddress}, approve/reject signed by ${agent.address}`);
      expect(withDesk.output()).toContain('[monitor] SAR drafts: off (SAR_REPORTING_ENTITY_ID unset: /sar answers 503 not_configured)');
      // The private key never reaches the log.
      expect(withDesk.output()).not.toContain(agent.privateKey.slice(2));
    } finally {
      withDesk.child.kill('SIGTERM');
      expect(await withDesk.exited).toBe(0);
    }

    const nowhere = startMain({ ...env, TRANSFER_APPROVAL_ADDRESS: '0x' + '7'.repeat(40), DATABASE_PATH: join(dir, 'nowhere.sqlite') });
    expect(await nowhere.exited).toBe(1);
    expect(nowhere.output()).toContain(`[monitor] configuration error: TRANSFER_APPROVAL_ADDRESS: no contract at 0x${'7'.repeat(40)} on the chain at RPC_URL (rule contract)`);
  });

  it('stops at a bad SAR setting, naming the variable and the rule (exit 1)', async () => {
    const bad = startMain({ ...env, ...SAR_ENV, SAR_REPORTING_ENTITY_COUNTRY: 'Germany', DATABASE_PATH: join(dir, 'bad.sqlite') });
    const half = startMain({ ...env, SAR_REPORTING_ENTITY_ID: '4711', DATABASE_PATH: join(dir, 'half.sqlite') });
    expect(await bad.exited).toBe(1);
    expect(bad.output()).toContain('[monitor] configuration error: SAR_REPORTING_ENTITY_COUNTRY: must be the reporting entity\'s country, ISO 3166-1 alpha-2 (e.g. DE) (rule country), got "GERMANY"');
    expect(await half.exited).toBe(1);
    expect(half.output()).toContain('[monitor] configuration error: SAR_REPORTING_ENTITY_NAME: required once SAR drafts are configured (rule sar-complete');
  });
});
