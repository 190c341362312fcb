/**
 * The browser's proving time for `npm run bench`: the whole demo (chain, issuer, wallet) comes up,
 * a headless Chromium walks identity → apply → prove, and the wallet's own measurement (witness +
 * Groth16 inside the Web Worker, artifacts already loaded) is read from the page. Once for the first
 * token (kycPolicy32), once for the token whose policy has an escrow key (kycPolicyEscrow32), each
 * in a fresh page, so both proofs start from a cold worker.
 */
import type { Browser } from 'playwright-core';
import { releaseProverThreads } from '@zkkyc/prover';
import { startWalletDemo, type WalletDemo } from '../scripts/serve.js';
import { applyForCredential, chooseToken, createIdentity, launchBrowser, openWallet, proveAndRegister } from './browser-session.js';

export interface BrowserProof {
  /** Witness + Groth16 in the worker, ms (excludes fetching and compiling the artifacts). */
  proveMs: number;
  /** Fetching and compiling the circuit artifacts in the worker before the first proof, ms. */
  loadMs: number;
}

/** kycPolicy32's figures at the top level, as before; the escrow variant's beside them. */
export interface BrowserProvingMeasurement extends BrowserProof {
  escrow: BrowserProof;
}

/** A new wallet in a fresh context applies, chooses token `index`, proves and registers. */
async function proveForToken(browser: Browser, demo: WalletDemo, index: number): Promise<BrowserProof> {
  const page = await openWallet(browser, demo.walletUrl);
  try {
    await createIdentity(page, 'bench passphrase');
    await applyForCredential(page, { jurisdiction: 'CH', birthDate: '1980-01-01', investorClasses: ['Qualified investor (CH)'] });
    const token = demo.deployment.tokens[index];
    await chooseToken(page, `${token.name} (${token.symbol})`);
    const { proveMs, loadMs } = await proveAndRegister(page);
    return { proveMs, loadMs };
  } finally {
    await page.context().close();
  }
}

/** Starts the demo on free ports, proves once per circuit in Chromium, stops everything, returns the timings. */
export async function measureBrowserProving(options: { build?: boolean } = {}): Promise<BrowserProvingMeasurement> {
  const demo = await startWalletDemo({ chainPort: 0, issuerPort: 0, walletPort: 0, build: options.build, counterparty: false, log: () => undefined });
  const browser = await launchBrowser();
  try {
    const kyc = await proveForToken(browser, demo, 0);
    // The third demo token's policy has an escrow key (scripts/demo-deployment.ts).
    const escrow = await proveForToken(browser, demo, 2);
    return { ...kyc, escrow };
  } finally {
    await browser.close();
    await demo.close();
    await releaseProverThreads();
  }
}

if (process.argv[1]?.endsWith('browser-bench.ts')) {
  measureBrowserProving().then((m) => console.log(JSON.stringify(m)));
}
