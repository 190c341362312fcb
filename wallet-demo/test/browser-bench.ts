/**
 * The browser's proving times for `npm run bench`: the whole demo (chain, issuer, wallet) comes up,
 * a headless Chromium walks identity → apply → prove, and the wallet's own measurement (witness +
 * Groth16 inside the Web Worker) is read from the page. Per circuit, in one fresh page: the first
 * proof from a cold worker (fetching and compiling the artifacts reported apart, as `loadMs`), then
 * STEADY_RUNS renewals in the same page, whose median is what a holder waits once the worker is warm.
 * kycPolicy32 and the token whose policy has an escrow key (kycPolicyEscrow32) each get their own
 * page, so both first proofs start cold.
 */
import type { Browser } from 'playwright-core';
import { releaseProverThreads } from '@zkkyc/prover';
import { startWalletDemo, type WalletDemo } from '../scripts/serve.js';
import { applyForCredential, chooseToken, createIdentity, launchBrowser, openWallet, proveAndRegister, renewRegistration } from './browser-session.js';

/** Renewals after the first proof; their median is the steady-state figure. */
const STEADY_RUNS = 3;

export interface BrowserProofTimes {
  /** Fetching and compiling the circuit artifacts in the cold worker before the first proof, ms. */
  loadMs: number;
  /** The first proof's witness + Groth16 in the worker, ms (loadMs not included). */
  firstProofMs: number;
  /** Median witness + Groth16 of STEADY_RUNS further proofs with the worker warm, ms. */
  steadyProofMs: number;
  /** Each steady-state proof, ms, in order. */
  steadyRunsMs: number[];
}

export interface BrowserProvingMeasurement {
  kycPolicy32: BrowserProofTimes;
  kycPolicyEscrow32: BrowserProofTimes;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** A new wallet in a fresh context applies, chooses token `index`, proves and registers, then renews STEADY_RUNS times. */
async function proofTimesForToken(browser: Browser, demo: WalletDemo, index: number): Promise<BrowserProofTimes> {
  const page = await openWallet(browser, demo.walletUrl);
  try {
    await createIdentity(page, 'bench passphrase');
    await applyForCredential(page, { jurisdiction: 'CH', birthDate: '1980-01-01', investorClasses: ['Qualified investor (CH)'] });
    const token = demo.deployment.tokens[index];
    await chooseToken(page, `${token.name} (${token.symbol})`);
    const first = await proveAndRegister(page);
    const steadyRunsMs: number[] = [];
    for (let i = 0; i < STEADY_RUNS; i++) {
      const renewed = await renewRegistration(page);
      // A warm worker loads nothing; a load here would mean the figure is not steady-state.
      if (renewed.loadMs !== 0) throw new Error(`${token.symbol}: renewal ${i + 1} reloaded the circuit (${renewed.loadMs} ms): the worker was not kept warm`);
      steadyRunsMs.push(renewed.proveMs);
    }
    return { loadMs: first.loadMs, firstProofMs: first.proveMs, steadyProofMs: median(steadyRunsMs), steadyRunsMs };
  } finally {
    await page.context().close();
  }
}

/** Starts the demo on free ports, measures both circuits in Chromium, stops everything, returns the timings. */
export async function measureBrowserProving(options: { build?: boolean } = {}): Promise<BrowserProvingMeasurement> {
  const demo = await startWalletDemo({ chainPort: 0, issuerPort: 0, walletPort: 0, build: options.build, counterparty: false, log: () => undefined });
  const browser = await launchBrowser();
  try {
    const kycPolicy32 = await proofTimesForToken(browser, demo, 0);
    // The third demo token's policy has an escrow key (scripts/demo-deployment.ts).
    const kycPolicyEscrow32 = await proofTimesForToken(browser, demo, 2);
    return { kycPolicy32, kycPolicyEscrow32 };
  } finally {
    await browser.close();
    await demo.close();
    await releaseProverThreads();
  }
}

if (process.argv[1]?.endsWith('browser-bench.ts')) {
  measureBrowserProving().then((m) => console.log(JSON.stringify(m)));
}
