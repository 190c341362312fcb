/**
 * The demo's transaction-trust act (issue 11, item 7): the compliance monitor watches a token whose
 * rules hold large transfers for review and screen against the SanctionsList.
 *
 *   1. alice sends three transfers just under the review threshold to carol: the monitor's
 *      structuring rule catches them, a case opens, and the playbook freezes what was structured in
 *      alice's wallet and holds her transfers for review — sent by the pipeline's executor;
 *   2. alice's large transfer is refused by the token's TransferApproval rule; she requests it
 *      (allowance + requestTransfer), the compliance agent approves it, and it settles; carol sends
 *      part of it back (alice is held, so that waits for the agent's approval too);
 *   3. OFAC's next publication (an entry whose Ethereum address is carol's wallet) is imported,
 *      diffed against the last one and pushed to the deployment's SanctionsList: carol's wallet can
 *      move nothing any more, and the monitor reports alice's exposure (she received funds from
 *      carol's wallet) in her case;
 *   4. the officer makes a SAR draft of alice's case: goAML XML and a printable page, in `outDir`.
 *
 * The chain is the demo's in-process Hardhat network, which has no JSON-RPC URL: the indexer reads
 * it through a ProviderChain over `provider`, and the act calls `catchUp()` itself after each move
 * (the service's loop polls instead). Everything else is what `npm run monitor` runs.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Provider, Signer } from 'ethers';
import type { ZkKycContracts, ZkKycDeployment } from '@zkkyc/sdk';
import {
  Indexer,
  MemorySarStore,
  ProviderChain,
  createMemorySanctionsStore,
  importList,
  listedEthereumAddresses,
  monitoringHooks,
  openMonitorStore,
  parseRuleFile,
  pushToChain,
  writeSarFiles,
  type ActionResult,
  type ChainEvent,
} from '@zkkyc/compliance-monitor';

/** What the act needs of a holder: its wallet (the sdk's Holder is one). */
export interface ActHolder {
  readonly address: string;
  readonly signer: Signer;
}

/** The story's helpers (demo/story.ts): a timed step with its outcome, and a step expected to be refused. */
export type StepFn = <T>(name: string, run: () => Promise<T>, describe: (result: T) => { outcome: string; gas?: number }) => Promise<T>;
export type RefusedFn = (name: string, run: () => Promise<unknown>) => Promise<string>;

export interface TransactionTrustContext {
  /** The chain (hre.ethers.provider). */
  provider: Provider;
  /** The deployer: admin of the tokens and their rules, and the SanctionsList's oracle. */
  deployer: Signer;
  /** The token agent (given AGENT_ROLE on the act's token here if it lacks it): signs the monitor's actions and approves held transfers. */
  agent: Signer;
  contracts: ZkKycContracts;
  deployment: ZkKycDeployment;
  /** Two investors with verified wallets under the token's policy. */
  holders: { alice: ActHolder; carol: ActHolder };
  step: StepFn;
  refused: RefusedFn;
  /** Where the SAR draft and the imported list are written. */
  outDir: string;
  /** The act's token (default: the deployment's first token with both a TransferApproval rule and the SanctionsList). */
  symbol?: string;
}

export interface TransactionTrustFigures {
  token: string;
  caseId: string;
  /** Rule ids of the case's hits, in order. */
  hits: string[];
  /** Base units frozen in alice's wallet by the playbook. */
  frozen: bigint;
  /** The held transfer's id in TransferApproval, and its amount (base units). */
  pendingId: bigint;
  pendingAmount: bigint;
  /** The address the list import sanctioned, and the push's batches. */
  sanctioned: string;
  pushBatches: number;
  /** The monitor's actions as carried out. */
  actions: Array<Pick<ActionResult, 'kind' | 'status' | 'txHashes'>>;
  sar: { id: string; xml: string; html: string };
  /** Milliseconds from the structuring transfer's receipt to the freeze's, through the monitor. */
  freezeLatencyMs: number;
}

const OFAC_FIXTURE = fileURLToPath(new URL('../compliance-monitor/fixtures/sanctions/ofac-sdn.xml', import.meta.url));

export async function runTransactionTrustAct(ctx: TransactionTrustContext): Promise<TransactionTrustFigures> {
  const { provider, step, refused } = ctx;
  const record = ctx.symbol ? ctx.deployment.tokens.find((t) => t.symbol === ctx.symbol) : ctx.deployment.tokens.find((t) => t.rules.transferApproval && t.rules.sanctionsList);
  if (!record?.rules.transferApproval || !record.rules.sanctionsList || !ctx.deployment.contracts.sanctionsList) {
    throw new Error(`transaction-trust act: needs a token with rules { transferApproval, sanctions: true }${ctx.symbol ? ` (token ${ctx.symbol} has not both)` : ''}; add one to deployZkKyc's tokens`);
  }
  const connected = ctx.contracts.tokens[record.symbol];
  const token = connected.token.connect(ctx.agent);
  const approval = connected.rules.transferApproval!;
  const sanctionsList = ctx.contracts.sanctionsList!;
  const unit = 10n ** BigInt(record.decimals);
  const threshold = await approval.threshold();
  const amount = (n: bigint) => `${fmt(n, record.decimals)} ${record.symbol}`;
  const { alice, carol } = ctx.holders;
  const agentAddress = await ctx.agent.getAddress();
  if (!(await token.hasRole(await token.AGENT_ROLE(), agentAddress))) {
    await (await connected.token.connect(ctx.deployer).grantRole(await token.AGENT_ROLE(), agentAddress)).wait();
  }

  // The monitor: its own store, the token's rule file, the pipeline with the agent's key.
  const dbDir = mkdtempSync(join(tmpdir(), 'zkkyc-demo-monitor-'));
  const store = await openMonitorStore({ databasePath: join(dbDir, 'monitor.sqlite') });
  const rules = parseRuleFile(
    {
      version: 'demo-2026-12.1',
      token: record.address,
      decimals: record.decimals,
      rules: [
        {
          id: 'structuring',
          kind: 'structuring',
          description: 'Three transfers within a day, each within 10% under the review threshold',
          threshold: threshold.toString(),
          margin: 0.1,
          count: 3,
          windowSeconds: 86400,
          severity: 'high',
          score: 50,
        },
        { id: 'large-transfer', kind: 'large-transfer', description: 'One transfer above the review threshold', threshold: (threshold + 1n).toString(), severity: 'medium', score: 20 },
        {
          id: 'sanctions-exposure',
          kind: 'exposure',
          description: 'Received 1 token or more from a sanctioned wallet',
          hops: 1,
          flags: ['sanctioned'],
          minAmount: unit.toString(),
          severity: 'high',
          score: 60,
        },
      ],
      scoring: { halfLifeDays: 30 },
      playbooks: [
        { when: { severity: 'medium' }, actions: [{ kind: 'open-case' }] },
        { when: { rule: 'structuring' }, actions: [{ kind: 'freeze-partial', amount: 'evidence' }, { kind: 'hold-transfers' }] },
      ],
    },
    'demo-rules.json',
  );
  const actions: ActionResult[] = [];
  const actionTimes: number[] = [];
  const hooks = monitoringHooks({
    store,
    rules,
    token: record.address,
    gate: ctx.deployment.contracts.complianceGate,
    policyId: BigInt(record.policyId),
    runner: ctx.agent,
    transferApproval: record.rules.transferApproval,
    log: () => undefined,
    onAction: (result) => {
      actions.push(result);
      actionTimes.push(performance.now());
    },
  });
  const contracts = {
    token: record.address.toLowerCase(),
    gate: ctx.deployment.contracts.complianceGate.toLowerCase(),
    registry: ctx.deployment.contracts.issuerRegistry.toLowerCase(),
    sanctions: ctx.deployment.contracts.sanctionsList.toLowerCase(),
  };
  const indexer = new Indexer({ store, chain: new ProviderChain(provider), contracts, confirmations: 1, hooks, log: () => undefined });

  try {
    await step(
      'compliance monitor starts on the token (structuring, large-transfer, sanctions-exposure rules)',
      () => indexer.catchUp(),
      () => ({
        outcome: `indexed ${contracts.token.slice(0, 10)}…, gate, registry and SanctionsList up to block ${indexer.status().cursor}; review threshold ${amount(threshold)}`,
      }),
    );
    const minted = 10n * threshold;
    await step(
      `agent mints ${amount(minted)} to alice`,
      async () => (await token.mint(alice.address, minted)).wait(),
      (r) => ({ outcome: 'minted', gas: Number(r!.gasUsed) }),
    );

    // 1. Structuring: three transfers just under the threshold, each allowed by the token.
    const slice = threshold - threshold / 20n;
    let lastReceipt = 0;
    await step(
      `alice sends 3 × ${amount(slice)} to carol`,
      async () => {
        for (let i = 0; i < 3; i++) await (await connected.token.connect(alice.signer).transfer(carol.address, slice)).wait();
        lastReceipt = performance.now();
      },
      () => ({ outcome: 'each under the review threshold: no approval needed' }),
    );
    await step(
      'monitor indexes the batch; its playbook acts',
      () => indexer.catchUp(),
      () => ({
        outcome: actions.map((a) => `${a.kind}: ${a.status}`).join('; '),
      }),
    );
    const [kase] = await store.listCases();
    const frozen = await token.getFrozenTokens(alice.address);
    const held = await approval.isFlagged(alice.address);
    const freezeLatencyMs = Math.round((actionTimes[actions.findIndex((a) => a.kind === 'freeze-partial')] ?? lastReceipt) - lastReceipt);
    await step(
      'structuring caught: case opened, alice partially frozen, her transfers held',
      async () => kase,
      (c) => ({
        outcome: `case ${c?.id} (${c?.rules.join(', ')}); ${amount(frozen)} frozen in alice's wallet; her transfers ${held ? 'held for review (TransferApproval flag)' : 'NOT held'}`,
      }),
    );
    if (!kase || frozen === 0n) throw new Error('transaction-trust act: the monitor did not catch the structuring pattern');

    // 2. A large transfer waits for the compliance agent.
    const large = 2n * threshold;
    await refused(`alice sends ${amount(large)} to carol directly`, async () => (await connected.token.connect(alice.signer).transfer(carol.address, large)).wait());
    const pendingId = await step(
      `alice requests the ${amount(large)} transfer for review`,
      async () => {
        await (await connected.token.connect(alice.signer).approve(await approval.getAddress(), large)).wait();
        const receipt = await (await approval.connect(alice.signer).requestTransfer(carol.address, large)).wait();
        return { id: await approval.lastId(), gas: Number(receipt!.gasUsed) };
      },
      (p) => ({ outcome: `pending transfer #${p.id}, reserved in alice's wallet`, gas: p.gas }),
    );
    const carolBefore = await token.balanceOf(carol.address);
    await step(
      `compliance agent approves pending transfer #${pendingId.id}`,
      async () => (await approval.connect(ctx.agent).approve(pendingId.id)).wait(),
      (r) => ({
        outcome: `settled: carol received ${amount(large)}`,
        gas: Number(r!.gasUsed),
      }),
    );
    if ((await token.balanceOf(carol.address)) - carolBefore !== large) throw new Error('transaction-trust act: the approved transfer did not settle');
    // Carol pays part of it back: alice's transfers are held, so this one waits for the agent too.
    const refund = threshold / 10n;
    await step(
      `carol sends ${amount(refund)} back to alice (held for review, approved)`,
      async () => {
        await (await connected.token.connect(carol.signer).approve(await approval.getAddress(), refund)).wait();
        await (await approval.connect(carol.signer).requestTransfer(alice.address, refund)).wait();
        return (await approval.connect(ctx.agent).approve(await approval.lastId())).wait();
      },
      (r) => ({ outcome: `settled: alice received ${amount(refund)} from carol`, gas: Number(r!.gasUsed) }),
    );
    await indexer.catchUp();

    // 3. OFAC's next publication lists carol's wallet; the import's diff goes to the SanctionsList.
    const lists = createMemorySanctionsStore();
    const baseline = await importList(lists, { source: 'ofac', file: OFAC_FIXTURE });
    const next = nextPublication(readFileSync(OFAC_FIXTURE, 'utf8'), carol.address);
    const nextFile = join(ctx.outDir, 'ofac-sdn-next-publication.xml');
    await writeFile(nextFile, next, 'utf8');
    const oracle = ctx.deployer;
    const listAddress = contracts.sanctions;
    const first = await pushToChain({ signer: oracle, list: listAddress, target: await listedEthereumAddresses(lists) });
    const imported = await step(
      "officer imports OFAC's next SDN publication",
      () => importList(lists, { source: 'ofac', file: nextFile }),
      (r) => ({
        outcome: `${r.record.entryCount} entries (baseline ${baseline.record.entryCount}, pushed ${first.added.length} ETH addresses); diff: +${r.record.diff.walletsAdded.map((w) => w.address).join(', ')}`,
      }),
    );
    const pushed = await step(
      'the diff is pushed to the SanctionsList',
      async () => pushToChain({ signer: oracle, list: listAddress, target: await listedEthereumAddresses(lists) }),
      (p) => ({
        outcome: `${p.added.length} added in ${p.batches.length} batch(es), in sync: ${p.inSync}`,
      }),
    );
    const sanctioned = imported.record.diff.walletsAdded[0]?.address.toLowerCase() ?? carol.address.toLowerCase();
    if (!(await sanctionsList.isSanctioned(carol.address))) throw new Error('transaction-trust act: the list import did not sanction the address');
    await refused('carol (now sanctioned) sends 1 token to alice', async () => (await connected.token.connect(carol.signer).transfer(alice.address, unit)).wait());
    await step(
      'monitor indexes the SanctionSet event',
      async () => {
        await indexer.catchUp();
        return (await store.ruleHits({ investorTag: kase.subject.investorTag ?? undefined })).filter((h) => h.ruleId === 'sanctions-exposure');
      },
      (exposure) => ({ outcome: exposure.length ? `exposure hit joins case ${kase.id}: ${exposure[0].summary}` : 'no exposure hit' }),
    );

    // 4. The SAR draft of alice's case.
    const detail = (await store.getCase(kase.id))!;
    const events: ChainEvent[] = [];
    for (const wallet of detail.subject.wallets) events.push(...(await store.events({ address: contracts.token, wallet, limit: 10_000 })));
    const sars = new MemorySarStore({
      reportingEntity: { rentityId: 'DEMO-0001', name: 'Demo Transfer Agent AG', countryCode: 'CH', reportingPerson: { firstName: 'Olga', lastName: 'Officer', title: 'MLRO' } },
    });
    const chainId = Number((await provider.getNetwork()).chainId);
    const draft = await sars.create(
      {
        case: detail,
        hits: detail.hits,
        events: dedupe(events),
        token: { chainId, address: contracts.token, name: record.name, symbol: record.symbol, decimals: record.decimals },
        disclosure: null,
        actionsTaken: detail.log.filter((l) => l.kind === 'action' && l.text.startsWith('done:')).map((l) => l.text.replace(/^done: /, '')),
      },
      'olga',
    );
    const files = await step(
      "officer drafts a SAR of alice's case",
      () => writeSarFiles(draft, ctx.outDir),
      (f) => ({
        outcome: `${draft.id}: ${draft.transactions.length} transfers, ${draft.hits.length} rule hits; ${f.xml}, ${f.html}`,
      }),
    );
    return {
      token: record.symbol,
      caseId: kase.id,
      hits: detail.hits.map((h) => h.ruleId),
      frozen,
      pendingId: pendingId.id,
      pendingAmount: large,
      sanctioned,
      pushBatches: pushed.batches.length,
      actions: actions.map((a) => ({ kind: a.kind, status: a.status, txHashes: a.txHashes })),
      sar: { id: draft.id, ...files },
      freezeLatencyMs,
    };
  } finally {
    await store.close();
    rmSync(dbDir, { recursive: true, force: true });
  }
}

/** The fixture SDN list with one more entity, whose Ethereum address is `wallet`: the "next publication". */
function nextPublication(xml: string, wallet: string): string {
  const count = Number(/<Record_Count>(\d+)<\/Record_Count>/.exec(xml)![1]);
  const entry = `  <sdnEntry>
    <uid>91999</uid>
    <lastName>DEMO VALLEY TRADING LTD</lastName>
    <sdnType>Entity</sdnType>
    <programList>
      <program>CYBER2</program>
    </programList>
    <idList>
      <id>
        <uid>95999</uid>
        <idType>Digital Currency Address - ETH</idType>
        <idNumber>${wallet}</idNumber>
      </id>
    </idList>
  </sdnEntry>
</sdnList>`;
  return xml
    .replace(/<Record_Count>\d+<\/Record_Count>/, `<Record_Count>${count + 1}</Record_Count>`)
    .replace(/<Publish_Date>[^<]*<\/Publish_Date>/, '<Publish_Date>12/01/2026</Publish_Date>')
    .replace('</sdnList>', entry);
}

function dedupe(events: ChainEvent[]): ChainEvent[] {
  const seen = new Map(events.map((e) => [`${e.txHash}:${e.logIndex}`, e]));
  return [...seen.values()].sort((a, b) => a.blockNumber - b.blockNumber || a.logIndex - b.logIndex);
}

function fmt(value: bigint, decimals: number): string {
  const unit = 10n ** BigInt(decimals);
  const whole = (value / unit).toLocaleString('en-US');
  const frac = (value % unit).toString().padStart(decimals, '0').replace(/0+$/, '');
  return frac ? `${whole}.${frac}` : whole;
}
