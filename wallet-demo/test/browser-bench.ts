/**
 * The browser's proving time for `npm run bench`: the whole demo (chain, issuer, wallet) comes up,
 * a headless Chromium walks identity → apply → prove, and the wallet's own measurement (witness +
 * Groth16 inside the Web Worker, artifacts already loaded) is read from the page.
 */
import { releaseProverThreads } from '@zkkyc/prover';
import { startWalletDemo } from '../scripts/serve.js';
import { applyForCredential, chooseToken, createIdentity, launchBrowser, openWallet, proveAndRegister } from './browser-session.js';

export interface BrowserProvingMeasurement {
  /** Witness + Groth16 in the worker, ms (excludes fetching and compiling the artifacts). */
  proveMs: number;
  /** Fetching and compiling the circuit artifacts in the worker before the first proof, ms. */
  loadMs: number;
}

/** Starts the demo on free ports, proves once in Chromium, stops everything, returns the timing. */
export async function measureBrowserProving(options: { build?: boolean } = {}): Promise<BrowserProvingMeasurement> {
  const demo = await startWalletDemo({ chainPort: 0, issuerPort: 0, walletPort: 0, build: options.build, counterparty: false, log: () => undefined });
  const browser = await launchBrowser();
  try {
    const page = await openWallet(browser, demo.walletUrl);
    await createIdentity(page, 'bench passphrase');
    await applyForCredential(page, { jurisdiction: 'CH', birthDate: '1980-01-01', investorClasses: ['Qualified investor (CH)'], kycLevel: 3 });
    await chooseToken(page, `${demo.deployment.tokens[0].name} (${demo.deployment.tokens[0].symbol})`);
    const { proveMs, loadMs } = await proveAndRegister(page);
    return { proveMs, loadMs };
  } finally {
    await browser.close();
    await demo.close();
    await releaseProverThreads();
  }
}

if (process.argv[1]?.endsWith('browser-bench.ts')) {
  measureBrowserProving().then((m) => console.log(JSON.stringify(m)));
}
