/**
 * The holder's story in a real headless Chromium against the real stack started by serve.ts
 * (Hardhat node, contracts, issuer-service in dev auto-approve mode, the built wallet): create an
 * identity → apply → receive the VC → check a token's policy → prove in the Web Worker → register
 * at the gate → transfer → add a second wallet of the same identity and register it as the same
 * investor with no issuer record; and the refusals a holder must understand: a transfer to an unverified
 * wallet (the token's custom error), a policy the credential does not meet, a revoked credential,
 * and a wrong passphrase. A token whose policy has an escrow key: the wallet says so before
 * proving, proves with the escrow circuit, and the gate logs the ciphertext the demo's key opens;
 * a key outside the prime-order subgroup is refused before proving. Keys and backup: the identity
 * comes from a 24-word recovery phrase the holder confirms (weak passphrases refused), the wallet
 * locks by hand and after 5 idle minutes, and a new browser profile restores the identity and its
 * credential from the phrase and the encrypted backup file; all of it, the proof included, under
 * the server's CSP, which also keeps the wallet out of other sites' frames. Screenshots of every
 * step go to wallet-demo/test/artifacts/.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { formatUnits, HDNodeWallet, Wallet } from 'ethers';
import type { Browser, Page } from 'playwright-core';
import { IDENTITY_MESSAGE, identityCommitment, identitySecretFromSignature, SNARK_FIELD } from '@zkkyc/credentials';
import { decryptLeafIndex, pointFromX } from '@zkkyc/escrow';
import { releaseProverThreads } from '@zkkyc/prover';
import { connectZkKyc, holderDidForIssuer, IssuerClient, setGatePolicy, signDidChallenge } from '@zkkyc/sdk';
import { JsonRpcProvider } from 'ethers';
import { freePort } from '../scripts/free-port.js';
import { startWalletDemo, type WalletDemo } from '../scripts/serve.js';
import { startWalletServer } from '../scripts/wallet-server.js';
import { holderIdentityFromKey } from '../src/identity/holder-identity.js';
import { keysFromRecoveryPhrase, newRecoveryPhrase } from '../src/identity/recovery-phrase.js';
import { ESCROW_IN_WORDS, tokenAmountInWords } from '../src/ui/plain-words.js';
import { applyForCredential, chooseToken, createIdentity, launchBrowser, layoutAndAccessibility, openWallet, proveAndRegister, screenshot, transfer } from './browser-session.js';

const artifacts = fileURLToPath(new URL('./artifacts', import.meta.url));
const PASSPHRASE = 'correct horse battery staple';

/** The keys of the sealed record in the page's IndexedDB, or null when no wallet is stored. */
function storedRecordKeys(page: Page): Promise<string[] | null> {
  return page.evaluate(
    () =>
      new Promise<string[] | null>((resolve, reject) => {
        const open = indexedDB.open('zkkyc-wallet', 1);
        open.onupgradeneeded = () => open.result.createObjectStore('vault');
        open.onerror = () => reject(open.error);
        open.onsuccess = () => {
          const get = open.result.transaction('vault').objectStore('vault').get('state');
          get.onsuccess = () => {
            open.result.close();
            resolve(get.result ? Object.keys(get.result) : null);
          };
        };
      }),
  );
}

/** Collects every Content-Security-Policy violation of a page and of its workers into `into`. */
function watchCspViolations(page: Page, into: string[]): void {
  const keep = (text: string) => {
    if (/Content Security Policy|Refused to (load|execute|connect|create|compile|frame)/i.test(text)) into.push(text);
  };
  page.on('console', (m) => keep(m.text()));
  page.on('worker', (worker) => worker.on('console', (m) => keep(m.text())));
  void page.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (e) => console.error(`Content Security Policy violation: ${e.violatedDirective} ${e.blockedURI}`));
  });
}

const ordinalOf = (n: number) => `${n}${n % 100 >= 11 && n % 100 <= 13 ? 'th' : (['th', 'st', 'nd', 'rd'][n % 10] ?? 'th')}`;
// Chromium comes from the system or from the @sparticuz/chromium package (browser-session.ts): a
// machine without one fails this suite, it never skips it.
describe('wallet in a headless browser', () => {
  let demo: WalletDemo;
  let browser: Browser;
  let page: Page;
  let provider: JsonRpcProvider;
  let holder: string;
  /** The holder's recovery phrase, as the first test read it off the page. */
  let phrase: string;
  const cspViolations: string[] = [];
  const shot = (name: string) => screenshot(page, artifacts, name);
  /**
   * A main step of the flow: its screenshot, then the 390 px phone layout (no sideways scroll) and
   * an axe-core audit with no violations, as the page stands at that step.
   */
  const step = async (name: string) => {
    await shot(name);
    const seen = await layoutAndAccessibility(page);
    expect(seen.viewportWidth).toBe(390);
    // Labelled with the step, so a failure says where the page got too wide.
    expect({ step: name, fitsWidth: seen.scrollWidth <= 390, scrollWidth: seen.scrollWidth }).toMatchObject({ step: name, fitsWidth: true });
    expect({ step: name, violations: seen.violations }).toEqual({ step: name, violations: [] });
  };
  /** The step the indicator marks as current (aria-current="step"). */
  const currentStep = () =>
    page
      .locator('#steps li[aria-current="step"]')
      .textContent()
      .then((t) => t!.replace(/\s+/g, ' ').trim());

  beforeAll(async () => {
    demo = await startWalletDemo({ chainPort: 0, issuerPort: 0, walletPort: 0, log: () => undefined });
    // Each read must see the chain as it is now: ethers otherwise answers a repeated request from a 250 ms cache.
    provider = new JsonRpcProvider(demo.rpcUrl, undefined, { staticNetwork: true, cacheTimeout: -1 });
    browser = await launchBrowser();
    page = await openWallet(browser, demo.walletUrl, true);
  }, 300_000);

  afterAll(async () => {
    await browser?.close();
    provider?.destroy();
    await demo?.close();
    await releaseProverThreads();
  });

  const token = () => demo.deployment.tokens[0];
  const tokenLabel = (i: number) => `${demo.deployment.tokens[i].name} (${demo.deployment.tokens[i].symbol})`;
  const chain = () => connectZkKyc(demo.deployment, provider);

  test('creates an identity from a recovery phrase the holder confirms, refusing a weak passphrase; the wallet is encrypted at rest', async () => {
    // This page waits unattended for minutes while later tests use other contexts, so its auto-lock
    // gets a long delay here; the 5-minute default has its own test below. CSP violations of the
    // page and its workers are collected for the whole story (checked after the proof).
    await page.route('**/wallet-config.json', async (route) => {
      const response = await route.fetch();
      await route.fulfill({ response, json: { ...(await response.json()), autoLockMinutes: 120 } });
    });
    watchCspViolations(page, cspViolations);
    await page.reload();
    await page.locator('body[data-ready="true"]').waitFor();
    await shot('01-start');

    // A weak passphrase is refused, naming the rule, before any phrase is made.
    const status = page.locator('#identity-status');
    for (const weak of ['aaaaaaaa', 'password123']) {
      await page.getByLabel('Passphrase to encrypt the wallet in this browser (8+ characters)').fill(weak);
      await page.getByLabel('Passphrase again').fill(weak);
      await expect(page.locator('#passphrase-meter[data-score]').getAttribute('data-score')).resolves.toMatch(/^[0-2]$/);
      await page.getByRole('button', { name: 'Create wallet' }).click();
      await page.locator('#identity-status[data-tone="error"]').waitFor();
      await expect(status.textContent()).resolves.toMatch(/^passphrase: too easy to guess — it scores [0-2] of 4 and needs at least 3\./);
      await expect(page.locator('#phrase-view').isHidden()).resolves.toBe(true);
    }
    await expect(page.locator('#passphrase-feedback').textContent()).resolves.toContain('commonly used password');
    await shot('01b-weak-passphrase');

    // A strong one: the phrase is shown once, 24 numbered words.
    await page.getByLabel('Passphrase to encrypt the wallet in this browser (8+ characters)').fill(PASSPHRASE);
    await page.getByLabel('Passphrase again').fill(PASSPHRASE);
    await page.locator('#passphrase-meter[data-score="4"]').waitFor();
    await expect(page.locator('#passphrase-score').textContent()).resolves.toBe('very strong');
    await page.getByRole('button', { name: 'Create wallet' }).click();
    const words = page.locator('#phrase-words li');
    await words.first().waitFor();
    const shown = (await words.allTextContents()).map((w) => w.trim());
    expect(shown).toHaveLength(24);
    phrase = shown.join(' ');
    await shot('01c-recovery-phrase');
    await page.getByRole('button', { name: 'I have written them down' }).click();
    await expect(words.count()).resolves.toBe(0);

    // Three positions to type; a wrong word stores nothing.
    const asked = await Promise.all([0, 1, 2].map(async (i) => Number((await page.locator(`#confirm-word-${i}-label`).textContent())!.replace('Word ', ''))));
    expect(new Set(asked).size).toBe(3);
    for (const position of asked) expect(position).toBeGreaterThanOrEqual(1);
    const wrongWord = shown[asked[1] - 1] === 'zoo' ? 'abandon' : 'zoo';
    for (const [i, position] of asked.entries()) await page.getByLabel(`Word ${position}`, { exact: true }).fill(i === 1 ? wrongWord : shown[position - 1]);
    await page.getByRole('button', { name: 'Confirm and create wallet' }).click();
    await page.locator('#identity-status[data-tone="error"]').waitFor();
    await expect(status.textContent()).resolves.toContain(`The ${ordinalOf(asked[1])} word does not match your recovery phrase`);
    await expect(storedRecordKeys(page)).resolves.toBeNull();
    await shot('01d-phrase-mismatch');
    await page.getByLabel(`Word ${asked[1]}`, { exact: true }).fill(shown[asked[1] - 1].toUpperCase());
    await page.getByRole('button', { name: 'Confirm and create wallet' }).click();
    await page.locator('#identity-view').waitFor({ state: 'visible' });
    holder = (await page.locator('#identity-address').textContent())!.trim();

    // The wallet's first account is derived from the phrase's zkkyc root key (as the SDK derives
    // it), and is none of the accounts another wallet makes of the same phrase.
    expect(holder).toBe((await holderIdentityFromKey((await keysFromRecoveryPhrase(phrase)).rootKey)).address);
    const bip44 = [0, 1, 2].map((i) => HDNodeWallet.fromPhrase(phrase, undefined, `m/44'/60'/0'/0/${i}`).address);
    expect(bip44).not.toContain(holder);
    await expect(page.locator('#identity-did').textContent()).resolves.toMatch(/^did:key:zQ3s/);
    // A phrase wallet has no hex key to show: the phrase is its backup.
    await expect(page.getByRole('button', { name: 'Show backup key' }).count()).resolves.toBe(0);
    await expect(page.locator('#backup-note').textContent()).resolves.toContain('Your recovery phrase restores your identity');
    // Only ciphertext reaches IndexedDB; the keys are inside it, not beside it.
    await expect(storedRecordKeys(page)).resolves.toEqual(['format', 'kdf', 'iterations', 'salt', 'iv', 'ciphertext']);
    await shot('02-identity');
  });

  test('serves the wallet with a CSP and anti-framing headers; a page on another origin that frames it gets nothing', async () => {
    const origin = (url: string) => new URL(url).origin;
    // `npm run wallet` builds the issuer's reviewer console too: served, not the 503 "not built" page.
    expect(demo.consoleUrl).toBe(`${demo.issuerUrl}/console/`);
    const consolePage = await fetch(demo.consoleUrl);
    expect(consolePage.status).toBe(200);
    expect(await consolePage.text()).not.toContain('not built');
    expect(demo.reviewers.map((r) => r.apiKey)).toContain('dev-reviewer-key');
    // The relayer (when configured) is named in the served config like the issuer and the node.
    const config = (await (await fetch(`${demo.walletUrl}wallet-config.json`)).json()) as { relayerUrl?: string };
    const relayer = config.relayerUrl && /^https?:/.test(config.relayerUrl) ? [origin(config.relayerUrl)] : [];
    for (const path of ['', 'wallet-config.json', 'artifacts/kycPolicy32/verification_key.json']) {
      const response = await fetch(`${demo.walletUrl}${path}`);
      expect(response.status).toBe(200);
      const csp = Object.fromEntries(
        response.headers
          .get('content-security-policy')!
          .split('; ')
          .map((d) => [d.split(' ')[0], d.split(' ').slice(1)]),
      );
      expect(csp['connect-src']).toEqual(["'self'", origin(demo.issuerUrl), origin(demo.rpcUrl), ...relayer]);
      expect(csp).toMatchObject({
        'default-src': ["'self'"],
        'script-src': ["'self'", "'wasm-unsafe-eval'"],
        'frame-ancestors': ["'none'"],
        'object-src': ["'none'"],
        'base-uri': ["'none'"],
        'style-src': ["'self'"],
      });
      expect(response.headers.get('x-frame-options')).toBe('DENY');
      expect(response.headers.get('x-content-type-options')).toBe('nosniff');
      expect(response.headers.get('referrer-policy')).toBe('no-referrer');
    }

    // In the page: an injected inline script does not run and a fetch to an origin the config does
    // not name is refused, each reported as a violation (which is what the story's check counts).
    const probe = await openWallet(browser, demo.walletUrl, true);
    try {
      const seen: string[] = [];
      watchCspViolations(probe, seen);
      await probe.reload();
      await probe.locator('body[data-ready="true"]').waitFor();
      const outcome = await probe.evaluate(
        async (elsewhere) => {
          const script = document.createElement('script');
          script.textContent = 'window.__inlineRan = true';
          document.body.append(script);
          const fetched = await fetch(elsewhere).then(
            () => 'fetched',
            () => 'refused',
          );
          return { inlineRan: (window as unknown as { __inlineRan?: boolean }).__inlineRan === true, fetched };
        },
        `http://127.0.0.1:${await freePort()}/`,
      );
      expect(outcome).toEqual({ inlineRan: false, fetched: 'refused' });
      for (let waited = 0; waited < 5_000 && seen.length < 2; waited += 100) await probe.waitForTimeout(100);
      expect(seen.some((t) => /script-src/.test(t))).toBe(true);
      expect(seen.some((t) => /connect-src/.test(t))).toBe(true);
    } finally {
      await probe.context().close();
    }

    // Another origin (another port) frames the wallet: the browser shows it nothing.
    const framer = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.end(`<!doctype html><html lang="en"><title>Another site</title><h1>Another site</h1><iframe title="wallet" src="${demo.walletUrl}" width="380" height="500"></iframe></html>`);
    });
    await new Promise<void>((resolve) => framer.listen(0, '127.0.0.1', resolve));
    const context = await browser.newContext({ viewport: { width: 500, height: 700 } });
    try {
      const other = await context.newPage();
      const refusals: string[] = [];
      other.on('console', (m) => refusals.push(m.text()));
      await other.goto(`http://127.0.0.1:${(framer.address() as AddressInfo).port}/`);
      await other.locator('iframe').waitFor();
      for (let waited = 0; waited < 10_000 && !refusals.some((t) => t.includes("frame-ancestors 'none'")); waited += 100) await other.waitForTimeout(100);
      expect(refusals.filter((t) => t.includes("frame-ancestors 'none'"))).toHaveLength(1);
      const framed = other.frames().find((f) => f !== other.mainFrame())!;
      await expect(framed.locator('#identity-section').count()).resolves.toBe(0);
      await screenshot(other, artifacts, '22-framed-refused');
    } finally {
      await context.close();
      await new Promise<void>((resolve) => framer.close(() => resolve()));
    }
  });

  test('locks by hand and after 5 minutes without activity: the identity leaves the page, every panel is emptied and hidden, the passphrase opens it again', async () => {
    // A page of its own with Playwright's clock, so that 5 minutes pass in no time.
    const context = await browser.newContext({ viewport: { width: 390, height: 844 } });
    try {
      const other = await context.newPage();
      await other.clock.install();
      await other.goto(demo.walletUrl);
      await other.locator('body[data-ready="true"]').waitFor({ timeout: 30_000 });
      const address = await createIdentity(other, PASSPHRASE);
      const unlocked = async () => {
        await other.locator('#identity-view').waitFor({ state: 'visible' });
        await expect(other.locator('#apply-section').isVisible()).resolves.toBe(true);
      };
      const locked = async (message: string) => {
        await other.locator('#unlock-form').waitFor({ state: 'visible' });
        await expect(other.locator('#identity-status').textContent()).resolves.toContain(message);
        await expect(other.locator('#identity-view').isHidden()).resolves.toBe(true);
        // Every section but the identity's is hidden, and the address is gone from the page: from its
        // text, hidden elements included (textContent; innerText skips what is hidden), and its markup.
        await expect(other.locator('main > section:not(#identity-section):visible').count()).resolves.toBe(0);
        await expect(other.evaluate(() => document.body.textContent!.toLowerCase())).resolves.not.toContain(address.toLowerCase());
        await expect(other.evaluate(() => document.documentElement.outerHTML.toLowerCase())).resolves.not.toContain(address.toLowerCase());
        await expect(other.locator('dialog').count()).resolves.toBe(0);
      };
      const unlock = async () => {
        await other.getByLabel('Passphrase', { exact: true }).fill(PASSPHRASE);
        await other.getByRole('button', { name: 'Unlock' }).click();
        await unlocked();
        await expect(other.locator('#identity-address').textContent()).resolves.toBe(address);
      };
      await unlocked();

      await other.getByRole('button', { name: 'Lock' }).click();
      await locked('Locked. The wallet’s keys were cleared from this page.');
      await screenshot(other, artifacts, '20-locked');
      await unlock();

      // Activity restarts the wait: 4 minutes, a click, 4 more minutes — still open.
      await other.clock.fastForward('04:00');
      await expect(other.locator('#identity-view').isVisible()).resolves.toBe(true);
      await other.locator('#identity-heading').click();
      await other.clock.fastForward('04:00');
      await expect(other.locator('#identity-view').isVisible()).resolves.toBe(true);
      // 5 minutes after the last click, it locks itself.
      await other.clock.fastForward('01:05');
      await locked('Locked after 5 minutes without activity.');
      await screenshot(other, artifacts, '21-auto-locked');
      await unlock();
      await screenshot(other, artifacts, '21b-unlocked-again');
    } finally {
      await context.close();
    }
  });

  test('applies without declaring a KYC level, is auto-approved, and receives a verified VC shown in plain words', async () => {
    // Step 1, as a new holder sees it on a fresh profile: fits 390 px, no axe violations.
    const fresh = await openWallet(browser, demo.walletUrl, true);
    try {
      await expect(fresh.locator('#steps li[aria-current="step"]').textContent()).resolves.toMatch(/1\s+Identity/);
      const first = await layoutAndAccessibility(fresh);
      expect(first.scrollWidth).toBeLessThanOrEqual(390);
      expect({ step: '01-identity', violations: first.violations }).toEqual({ step: '01-identity', violations: [] });
      // The audit sees through the wallet's CSP: an unlabelled image and a too-wide box are caught.
      await fresh.evaluate(() => {
        const wide = Object.assign(document.createElement('div'), { id: 'too-wide' });
        wide.setAttribute('aria-hidden', 'true');
        wide.append(Object.assign(document.createElement('img'), { src: 'missing.png', width: 600, height: 10 }));
        document.querySelector('main')!.append(wide);
      });
      const broken = await layoutAndAccessibility(fresh);
      expect(broken.scrollWidth).toBeGreaterThan(390);
      await fresh.evaluate(() => document.querySelector('#too-wide')!.removeAttribute('aria-hidden'));
      expect((await layoutAndAccessibility(fresh)).violations.map((v) => v.id)).toContain('image-alt');
    } finally {
      await fresh.context().close();
    }
    // Step 2, as a holder with an identity and no credential sees it.
    await expect(currentStep()).resolves.toBe('2 Verify with an issuer');
    await step('02b-verify-with-issuer');
    await expect(page.getByLabel(/KYC level/).count()).resolves.toBe(0);
    await expect(page.getByRole('group', { name: 'Investor status you will show evidence for' }).isVisible()).resolves.toBe(true);
    await applyForCredential(page, { jurisdiction: 'CH', birthDate: '1988-03-04', investorClasses: ['Qualified investor (CH)'] });
    // The result has the focus.
    await page.waitForFunction(() => document.activeElement?.id === 'apply-status', undefined, { timeout: 10_000 });
    await expect(page.locator('#apply-status').textContent()).resolves.toMatch(/^Approved at once/);
    const card = page.locator('#credential-list li[data-credential-id]');
    await expect(card.getAttribute('data-status')).resolves.toBe('active');
    const text = await card.textContent();
    expect(text).toContain('Switzerland (CH)');
    expect(text).toContain('1988-03-04');
    expect(text).toContain('Qualified investor (CH)');
    // The issuer's DID and the credential's place in its tree sit behind "Technical details".
    expect(text).toContain(demo.issuer.issuerDid);
    await expect(card.getByText(demo.issuer.issuerDid).isVisible()).resolves.toBe(false);
    await expect(card.getByText(/position \d+/).isVisible()).resolves.toBe(false);
    await card.locator('summary', { hasText: 'Technical details' }).click();
    await expect(card.getByText(demo.issuer.issuerDid).isVisible()).resolves.toBe(true);
    await card.locator('summary', { hasText: 'Technical details' }).click();
    // The application went out without a level; the issuer's reviewer (here dev auto-approval) set it.
    const sent = await demo.issuer.store.getApplication((await page.locator('#application-list li').getAttribute('data-application-id'))!);
    expect(sent?.attributes.kycLevel).toBeUndefined();
    // The flow moved on to choosing a token.
    await expect(currentStep()).resolves.toBe('3 Choose a token');
    await expect(page.locator('#stage-announcer').textContent()).resolves.toMatch(/^Step 3 of 5: Choose a token\./);
    await expect(page.locator('#application-list li').getAttribute('data-status')).resolves.toBe('approved');
    // The wallet collected it through OpenID4VCI: an offer, then a delivery to its key.
    const credentialId = await card.getAttribute('data-credential-id');
    const audit = await demo.issuer.store.listAuditEvents({ offset: 0, limit: 500 });
    expect(audit.some((e) => e.action === 'oid4vci-deliver' && e.subjectId === credentialId)).toBe(true);
    await step('03-credential-received');
  });

  test('ticks and crosses each rule of a policy the credential does not meet, and refuses to prove', async () => {
    const rules = await chooseToken(page, tokenLabel(1));
    const failed = rules.filter((r) => !r.ok).map((r) => r.rule);
    // CH is not the US, a Swiss qualified investor is not US-accredited, and the issuer's level is below 3; the age rule holds.
    expect(failed).toEqual(['jurisdiction', 'investorClass', 'kycLevel']);
    // Rules read as people know them; no tree ids.
    expect(rules.find((r) => r.rule === 'age')?.text).toContain('Age 21 or over');
    expect(rules.find((r) => r.rule === 'jurisdiction')?.text).toMatch(/^(Met: |Not met: )?Country of residence/);
    expect(rules.map((r) => r.text).join(' ')).not.toMatch(/#\d/);
    await expect(page.getByRole('button', { name: 'Prove and register' }).isDisabled()).resolves.toBe(true);
    await expect(page.locator('#prove-status').textContent()).resolves.toContain('Not eligible');
    await expect(currentStep()).resolves.toBe('3 Choose a token');
    await step('04-not-eligible');
  });

  test('the rules stay marked busy until the gate has answered, and a slow answer for an earlier choice of token never overwrites the latest', async () => {
    // The gate's answer to the first verifiedUntil read is held back until the holder has chosen again.
    const selector = chain().complianceGate.interface.getFunction('verifiedUntil').selector;
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let answered!: () => void;
    const heldAnswered = new Promise<void>((resolve) => (answered = resolve));
    let reads = 0;
    await page.route(demo.rpcUrl, async (route) => {
      const body = route.request().postDataJSON() as { method: string; params?: [{ data?: string; input?: string }] } | null;
      const data = body?.params?.[0]?.data ?? body?.params?.[0]?.input;
      if (body?.method === 'eth_call' && data?.startsWith(selector) && reads++ === 0) {
        await held;
        await route.continue();
        return answered();
      }
      return route.continue();
    });
    try {
      await page.getByLabel('Token', { exact: true }).selectOption({ label: tokenLabel(0) });
      await page.waitForFunction(() => document.querySelector('#policy-rules li[data-ok]') !== null);
      // Token 0's rules are drawn, but the gate has not said whether this wallet is registered yet.
      await expect(page.locator('#policy-rules').getAttribute('aria-busy')).resolves.toBe('true');
      await expect(page.locator('#prove-status').getAttribute('aria-busy')).resolves.toBe('true');
      const rules = await chooseToken(page, tokenLabel(1));
      expect(rules.filter((r) => !r.ok).map((r) => r.rule)).toEqual(['jurisdiction', 'investorClass', 'kycLevel']);
      release();
      await heldAnswered;
      // Time for the page to act on the late answer, which it must drop.
      await page.waitForTimeout(500);
      const after = await page.locator('#policy-rules li').evaluateAll((items) => items.map((li) => li.getAttribute('data-rule')));
      expect(after).toEqual(rules.map((r) => r.rule));
      await expect(page.locator('#prove-status').textContent()).resolves.toContain('Not eligible');
      await expect(page.locator('#policy-rules').getAttribute('aria-busy')).resolves.toBeNull();
    } finally {
      release();
      await page.unroute(demo.rpcUrl);
    }
  });

  test('proves in the worker, registers at the gate and shows verified-until', async () => {
    const rules = await chooseToken(page, tokenLabel(0));
    expect(rules.every((r) => r.ok)).toBe(true);
    await expect(currentStep()).resolves.toBe('4 Register');
    // The policy's ttl stands next to "stay verified until" (AREF: 30 days).
    await expect(page.locator('#ttl-note').textContent()).resolves.toContain('Registrations for this token last 30 days');
    await step('05-policy-met');
    const gate = chain().complianceGate;
    expect(await gate.isVerified(BigInt(token().policyId), holder)).toBe(false);

    // The registration is reviewed before it is signed: which wallet, until when, the gate named
    // in words, the fee. Cancelling sends nothing.
    const nonce = await provider.getTransactionCount(holder);
    await page.getByRole('button', { name: 'Prove and register' }).click();
    const review = page.getByRole('dialog', { name: `Review your registration for ${token().symbol}` });
    await review.waitFor({ timeout: 180_000 });
    const gateAddress = await gate.getAddress();
    await expect(review.locator('[data-field="to"]').textContent()).resolves.toBe(`the token’s compliance gate at ${gateAddress.slice(0, 6)}…${gateAddress.slice(-4)}`);
    await expect(review.locator('[data-field="action"]').textContent()).resolves.toMatch(/^Register wallet 0x[0-9a-fA-F]{4}…[0-9a-fA-F]{4} as verified for .*registrations last 30 days/);
    await expect(review.locator('[data-field="fee"]').textContent()).resolves.toMatch(/^about \d+(\.\d+)?(e-\d+)? ETH$/);
    await page.screenshot({ path: `${artifacts}/05b-registration-review.png` });
    // While the flow runs, the token, credential and date it proves for cannot change under it.
    for (const id of ['token-select', 'prove-credential', 'valid-until']) await expect(page.locator(`#${id}`).isDisabled()).resolves.toBe(true);
    await review.getByRole('button', { name: 'Cancel' }).click();
    await page.locator('#prove-status', { hasText: 'Registration cancelled: nothing was signed or sent.' }).waitFor();
    for (const id of ['token-select', 'prove-credential', 'valid-until']) await expect(page.locator(`#${id}`).isDisabled()).resolves.toBe(false);
    expect(await provider.getTransactionCount(holder)).toBe(nonce);
    expect(await gate.isVerified(BigInt(token().policyId), holder)).toBe(false);

    const result = await proveAndRegister(page);
    expect(result.proveMs).toBeGreaterThan(0);
    expect(await gate.isVerified(BigInt(token().policyId), holder)).toBe(true);
    const until = await gate.verifiedUntil(BigInt(token().policyId), holder);
    expect(result.verifiedUntil).toBe(new Date(Number(until) * 1000).toISOString().replace('T', ' ').slice(0, 19) + ' UTC');
    await mkdir(artifacts, { recursive: true });
    await writeFile(`${artifacts}/browser-proving.json`, JSON.stringify({ proveMs: result.proveMs, loadMs: result.loadMs, at: new Date().toISOString() }, null, 2));
    // Focus lands on the result, the flow moves to transfer, and the wallet no longer offers to prove
    // again: renewing is a secondary action while the registration has more than a tenth of its ttl left.
    await page.waitForFunction(() => document.activeElement?.id === 'registration-view', undefined, { timeout: 10_000 });
    await expect(currentStep()).resolves.toBe('5 Transfer');
    await expect(page.getByRole('button', { name: 'Prove and register' }).count()).resolves.toBe(0);
    await expect(page.getByRole('button', { name: 'Renew registration' }).getAttribute('class')).resolves.toContain('secondary');
    await expect(page.locator('#registration-view').textContent()).resolves.toContain('Registrations for this token last 30 days');
    await step('06-registered');
    await page.locator('#token-section').screenshot({ path: `${artifacts}/06b-registered-section.png` });
    // Choosing the token again (a later visit) shows the same "already verified" state.
    await chooseToken(page, tokenLabel(1));
    await chooseToken(page, tokenLabel(0));
    await expect(page.locator('#verified-until').textContent()).resolves.toBe(result.verifiedUntil);
    await expect(page.locator('#prove-status').textContent()).resolves.toContain('already verified');
  });

  // Issue 13 item 4 (recovery phrase + backup file): after the credential is received and proven
  // with, so that the restored wallet must bring the credential back, and the proof above ran under
  // the CSP.
  test("restores on a new browser profile from the recovery phrase and the backup file, with the credential re-checked; refuses another phrase's file", async () => {
    // The proof above ran in the worker under the CSP (WebAssembly, ffjavascript's thread pool) with no violation.
    expect(cspViolations).toEqual([]);
    const credentialId = (await page.locator('#credential-list li[data-credential-id]').first().getAttribute('data-credential-id'))!;
    const downloading = page.waitForEvent('download');
    await page.getByRole('button', { name: 'Download backup' }).click();
    const download = await downloading;
    expect(download.suggestedFilename()).toMatch(/^zkkyc-wallet-backup-\d{4}-\d{2}-\d{2}\.json$/);
    const file = `${artifacts}/backup-file.json`;
    await download.saveAs(file);
    const text = await readFile(file, 'utf8');
    // The key origin picks the key and stays readable; the key scheme is inside the ciphertext.
    expect(JSON.parse(text)).toEqual({ format: 'zkkyc-wallet-backup', version: 2, keyOrigin: 'recovery-phrase', cipher: 'AES-256-GCM', iv: expect.any(String), ciphertext: expect.any(String) });
    // The file alone shows nothing of the wallet.
    for (const secret of [credentialId, demo.issuer.issuerDid, holder.toLowerCase().slice(2), new URL(demo.issuerUrl).host]) expect(text.toLowerCase()).not.toContain(secret.toLowerCase());
    await page.locator('#identity-status[data-tone="ok"]', { hasText: 'Backup file downloaded (1 credential' }).waitFor();

    const other = await openWallet(browser, demo.walletUrl, true);
    try {
      const status = other.locator('#identity-status');
      await other.getByLabel('Restore from a recovery phrase').check();
      await other.getByLabel('Backup file (optional: brings back your credentials)').setInputFiles(file);
      await other.getByLabel('Passphrase to encrypt the wallet in this browser (8+ characters)').fill(PASSPHRASE);
      await other.getByLabel('Passphrase again').fill(PASSPHRASE);
      // A phrase with two words swapped: the checksum says so.
      const words = phrase.split(' ');
      await other.getByLabel('Recovery phrase (24 words)').fill([words[1], words[0], ...words.slice(2)].join(' '));
      await other.getByRole('button', { name: 'Restore wallet' }).click();
      await other.locator('#identity-status[data-tone="error"]').waitFor();
      await expect(status.textContent()).resolves.toMatch(/^recovery phrase: the checksum in the last word does not match/);
      // Another phrase: this file does not open, and nothing is stored.
      await other.getByLabel('Recovery phrase (24 words)').fill(newRecoveryPhrase());
      await other.getByRole('button', { name: 'Restore wallet' }).click();
      await other.locator('#identity-status[data-tone="error"]', { hasText: 'backup file:' }).waitFor();
      await expect(status.textContent()).resolves.toBe('backup file: was made by another recovery phrase or key, or has been changed since; nothing was restored');
      await expect(storedRecordKeys(other)).resolves.toBeNull();
      await screenshot(other, artifacts, '23-restore-refused');

      // The right phrase (as typed by hand: any case, line breaks): same identity, the credential back and verified.
      await other.getByLabel('Recovery phrase (24 words)').fill(`${words.slice(0, 12).join(' ').toUpperCase()}\n${words.slice(12).join('  ')}`);
      await other.getByRole('button', { name: 'Restore wallet' }).click();
      await other.locator('#identity-view').waitFor({ state: 'visible', timeout: 30_000 });
      await expect(status.textContent()).resolves.toBe('Wallet restored with 1 credential from the backup file, each checked again.');
      await expect(other.locator('#identity-address').textContent()).resolves.toBe(holder);
      await expect(other.locator('#identity-did').textContent()).resolves.toBe(await page.locator('#identity-did').textContent());
      const card = other.locator('#credential-list li[data-credential-id]');
      await expect(card.getAttribute('data-credential-id')).resolves.toBe(credentialId);
      await expect(card.textContent()).resolves.toContain('1988-03-04');
      await screenshot(other, artifacts, '24-restored-with-credential');
    } finally {
      await other.context().close();
    }
  });

  // After the credential, the registration and a proof: what locking must take off the page is all there.
  test('locking with a credential and a registration empties every panel (not just hides it), cancels the open review, ends the proving worker; unlocking shows it all again', async () => {
    const credentialId = (await page.locator('#credential-list li[data-credential-id]').first().getAttribute('data-credential-id'))!;
    const registrationTx = (await page.locator('#registration-tx').textContent())!.trim();
    expect(registrationTx).toMatch(/^0x[0-9a-f]{64}$/);
    const proverWorkers = () => page.workers().filter((w) => w.url().includes('prove-worker'));
    // The worker that proved is still up (it keeps the circuit loaded between proofs).
    expect(proverWorkers().length).toBeGreaterThan(0);
    const personal = { birthDate: '1988-03-04', credentialId, address: holder.toLowerCase(), registrationTx: registrationTx.toLowerCase() };
    const onPage = () =>
      page.evaluate(() => ({
        text: document.body.textContent!.toLowerCase(),
        html: document.documentElement.outerHTML.toLowerCase(),
        values: [...document.querySelectorAll<HTMLInputElement>('input, textarea, select')].map((e) => e.value.toLowerCase()).join(' '),
        openDialogs: document.querySelectorAll('dialog').length,
      }));
    const before = await onPage();
    for (const value of Object.values(personal)) expect(before.text).toContain(value);

    // A transfer review is open when the wallet locks (as auto-lock would, under the modal).
    const nonce = await provider.getTransactionCount(holder);
    await page.getByLabel('Recipient address').fill(demo.counterparty!);
    await page.getByLabel('Amount').fill('1');
    await page.getByRole('button', { name: 'Review transfer' }).click();
    const review = page.getByRole('dialog', { name: 'Review the transfer' });
    await review.waitFor();
    await page.evaluate(() => document.getElementById('lock-wallet')!.click());
    await page.locator('#unlock-form').waitFor({ state: 'visible' });
    await review.waitFor({ state: 'detached' });

    const after = await onPage();
    expect(after.openDialogs).toBe(0);
    // textContent, unlike innerText, includes hidden elements: each value is gone, not hidden.
    for (const [what, value] of Object.entries(personal)) {
      expect({ what, inText: after.text.includes(value), inHtml: after.html.includes(value), inFields: after.values.includes(value) }).toEqual({ what, inText: false, inHtml: false, inFields: false });
    }
    for (const id of ['credential-list', 'application-list', 'policy-rules', 'token-select', 'prove-credential', 'wallet-account']) {
      await expect(page.locator(`#${id} > *`).count()).resolves.toBe(0);
    }
    await expect(page.locator('#token-balance').textContent()).resolves.toBe('–');
    await expect(page.locator('#transfer-status').textContent()).resolves.toBe('');
    // The proving worker (its memory held the last witness) is gone.
    for (let waited = 0; waited < 5_000 && proverWorkers().length > 0; waited += 100) await page.waitForTimeout(100);
    expect(proverWorkers()).toHaveLength(0);
    // Nothing was signed for the review the lock cancelled.
    await page.waitForTimeout(500);
    expect(await provider.getTransactionCount(holder)).toBe(nonce);
    await shot('24b-locked-with-credential');

    // Unlocking renders every panel again from the stored wallet.
    await page.getByLabel('Passphrase', { exact: true }).fill(PASSPHRASE);
    await page.getByRole('button', { name: 'Unlock' }).click();
    await page.locator('#identity-view').waitFor({ state: 'visible' });
    await expect(page.locator('#identity-address').textContent()).resolves.toBe(holder);
    await expect(page.locator('#credential-list li[data-credential-id]').getAttribute('data-credential-id')).resolves.toBe(credentialId);
    await expect(page.locator('#credential-list').textContent()).resolves.toContain(personal.birthDate);
    await expect(page.locator('#application-list li').count()).resolves.toBe(1);
    expect((await chooseToken(page, tokenLabel(0))).every((r) => r.ok)).toBe(true);
    await page.locator('#registration-view:not([hidden])').waitFor();
    await page.locator('#token-balance').filter({ hasText: token().symbol }).waitFor();
  });

  test('transfers to a verified investor', async () => {
    const erc20 = chain().tokens[token().symbol].token;
    await page.locator('#token-balance').filter({ hasText: token().symbol }).waitFor();
    const before = await erc20.balanceOf(holder);
    expect(before).toBeGreaterThan(0n);
    const outcome = await transfer(page, demo.counterparty!, '25');
    expect(outcome.tone).toBe('ok');
    expect(outcome.text).toBe(`Sent 25 ${token().symbol} to ${demo.counterparty!.slice(0, 6)}…${demo.counterparty!.slice(-4)}.`);
    expect(await erc20.balanceOf(holder)).toBe(before - 25n * 10n ** BigInt(token().decimals));
    await page.waitForFunction(() => document.activeElement?.id === 'transfer-status', undefined, { timeout: 10_000 });
    await step('07-transfer-sent');
  });

  test('a transfer waits for the holder’s review: cancel or Escape sends nothing, confirm sends', async () => {
    const erc20 = chain().tokens[token().symbol].token;
    const before = await erc20.balanceOf(holder);
    const nonce = await provider.getTransactionCount(holder);
    await page.getByLabel('Recipient address').fill(demo.counterparty!);
    await page.getByLabel('Amount').fill('3');
    const open = page.getByRole('button', { name: 'Review transfer' });
    const review = page.getByRole('dialog', { name: 'Review the transfer' });

    // What, to whom, how much and the fee, in words; focus inside the dialog.
    await open.click();
    await review.waitFor();
    await expect(review.locator('[data-field="action"]').textContent()).resolves.toBe(`Send ${token().name} (${token().symbol}) from your wallet ${holder.slice(0, 6)}…${holder.slice(-4)}`);
    await expect(review.locator('[data-field="amount"]').textContent()).resolves.toBe(`3 ${token().symbol}`);
    await expect(review.locator('[data-field="to"]').textContent()).resolves.toBe(demo.counterparty!);
    await expect(review.locator('[data-field="fee"]').textContent()).resolves.toMatch(/^about \d+(\.\d+)?(e-\d+)? ETH$/);
    await expect(page.evaluate(() => document.activeElement?.closest('dialog')?.id)).resolves.toBe('review-dialog');
    await step('07b-transfer-review');
    await page.screenshot({ path: `${artifacts}/07c-transfer-review-viewport.png` });

    // Escape cancels; focus returns to the button that opened the review.
    await page.keyboard.press('Escape');
    await review.waitFor({ state: 'detached' });
    await expect(page.locator('#transfer-status').textContent()).resolves.toBe('Transfer cancelled: nothing was signed or sent.');
    await expect(page.evaluate(() => document.activeElement?.textContent)).resolves.toBe('Review transfer');
    // The Cancel button does the same.
    await open.click();
    await review.getByRole('button', { name: 'Cancel' }).click();
    await review.waitFor({ state: 'detached' });
    await expect(page.locator('#transfer-status').textContent()).resolves.toBe('Transfer cancelled: nothing was signed or sent.');
    expect(await provider.getTransactionCount(holder)).toBe(nonce);
    expect(await erc20.balanceOf(holder)).toBe(before);

    // Confirm sends.
    await open.click();
    await review.getByRole('button', { name: 'Confirm and send' }).click();
    await page.locator('#transfer-status[data-tone="ok"]').waitFor({ timeout: 60_000 });
    expect(await provider.getTransactionCount(holder)).toBe(nonce + 1);
    expect(await erc20.balanceOf(holder)).toBe(before - 3n * 10n ** BigInt(token().decimals));
  });

  test('a transfer to an unverified wallet shows the token’s reason and moves nothing', async () => {
    const erc20 = chain().tokens[token().symbol].token;
    const unverified = '0x000000000000000000000000000000000000dEaD';
    const before = await erc20.balanceOf(holder);
    const outcome = await transfer(page, unverified, '5');
    expect(outcome).toMatchObject({ tone: 'error', error: 'NotVerified' });
    expect(outcome.text).toContain('is not verified for this token');
    // Refused before any review, with no internal error name on screen.
    expect(outcome.text).not.toContain('NotVerified');
    expect(await erc20.balanceOf(holder)).toBe(before);
    expect(await erc20.balanceOf(unverified)).toBe(0n);
    // The balance in the token's units: no raw wei.
    const shown = tokenAmountInWords(before, token().decimals, token().symbol);
    // 1,000 minted, 28 sent: a whole number of tokens, shown without decimals or grouping.
    expect(shown).toBe(`${formatUnits(before, token().decimals).replace(/\.0$/, '')} ${token().symbol}`);
    await expect(page.locator('#token-balance').textContent()).resolves.toBe(shown);
    // More than the balance: refused in the token's units too.
    const tooMuch = await transfer(page, demo.counterparty!, '1000000');
    expect(tooMuch).toMatchObject({ tone: 'error', error: 'ERC20InsufficientBalance' });
    expect(tooMuch.text).toContain(`(1000000 ${token().symbol})`);
    expect(tooMuch.text).not.toMatch(/\d{19}/);
    await step('08-transfer-refused');
  });

  // Before the revocation below: the second wallet proves with the same, still active, credential.
  test('adds a second wallet under the same identity and registers it as the same investor, telling the issuer nothing', async () => {
    const policyId = BigInt(token().policyId);
    const gate = chain().complianceGate;
    const auditBefore = (await demo.issuer.store.listAuditEvents({ offset: 0, limit: 500 })).length;
    const did = (await page.locator('#identity-did').textContent())!.trim();
    expect(did).toMatch(/^did:key:zQ3s/);

    await page.getByRole('button', { name: 'Add another wallet' }).click();
    await page.locator('#identity-status[data-tone="ok"]', { hasText: 'Wallet 2 added' }).waitFor();
    const second = (await page.locator('#identity-address').textContent())!.trim();
    expect(second).toMatch(/^0x[0-9a-fA-F]{40}$/);
    expect(second).not.toBe(holder);
    await expect(page.locator('#wallet-account option').count()).resolves.toBe(2);
    // Same identity, same DID for the issuer; the new wallet is not registered yet.
    await expect(page.locator('#identity-did').textContent()).resolves.toBe(did);
    const rules = await chooseToken(page, tokenLabel(0));
    expect(rules.every((r) => r.ok)).toBe(true);
    await page.locator('#registration-view').waitFor({ state: 'hidden' });
    await expect(currentStep()).resolves.toBe('4 Register');
    await shot('08b-second-wallet');

    await proveAndRegister(page);
    expect(await gate.isVerified(policyId, second)).toBe(true);
    const investor = await gate.investorOf(policyId, holder);
    expect(investor).not.toBe(0n);
    expect(await gate.investorOf(policyId, second)).toBe(investor);
    expect(await gate.walletCount(policyId, investor)).toBe(2n);
    // The issuer recorded nothing for it (proving reads the issuer's public tree, which it does not log).
    expect((await demo.issuer.store.listAuditEvents({ offset: 0, limit: 500 })).length).toBe(auditBefore);
    await shot('08c-second-wallet-registered');

    // Back to the first wallet: the tests after this one act as it.
    await page.getByLabel('Wallet that registers and transfers').selectOption('0');
    await page.locator('#identity-address', { hasText: holder }).waitFor();
    await page.locator('#identity-status', { hasText: 'Wallet 1 is now' }).waitFor();
  });

  test('for a token whose policy has an escrow key, says so before proving, proves with the escrow circuit and the gate logs the sealed reference', async () => {
    const escrowToken = demo.deployment.tokens[2];
    const policyId = BigInt(escrowToken.policyId);
    const gate = chain().complianceGate;
    expect(await gate.escrowKeyOf(policyId)).toEqual(demo.escrow.publicKey);
    const rules = await chooseToken(page, tokenLabel(2));
    expect(rules.every((r) => r.ok)).toBe(true);
    // One plain sentence under the rules, before anything is proven; none for a policy without a key.
    const notice = page.locator('#escrow-notice');
    await expect(notice.isVisible()).resolves.toBe(true);
    await expect(notice.textContent()).resolves.toBe(ESCROW_IN_WORDS);
    await expect(page.getByRole('button', { name: 'Prove and register' }).isEnabled()).resolves.toBe(true);
    await shot('15-escrow-policy');

    const result = await proveAndRegister(page);
    expect(result.proveMs).toBeGreaterThan(0);
    await expect(page.locator('#prove-time').getAttribute('data-circuit')).resolves.toBe('kycPolicyEscrow32');
    expect(await gate.isVerified(policyId, holder)).toBe(true);
    // The registration logged the leaf index encrypted to the policy's key; the key's holder opens it.
    const logged = await gate.queryFilter(gate.filters.EscrowCiphertext(policyId, holder));
    expect(logged).toHaveLength(1);
    const { escrowX, escrowC } = logged[0].args;
    const credentialId = (await page.locator('#credential-list li[data-credential-id]').getAttribute('data-credential-id'))!;
    const record = await demo.issuer.store.getCredential(credentialId);
    expect(decryptLeafIndex(demo.escrow.secretKey, { R: pointFromX(escrowX), c: escrowC })).toBe(record!.leafIndex);
    const proving = JSON.parse(await readFile(`${artifacts}/browser-proving.json`, 'utf8'));
    await writeFile(`${artifacts}/browser-proving.json`, JSON.stringify({ ...proving, escrow: { proveMs: result.proveMs, loadMs: result.loadMs } }, null, 2));
    await shot('16-escrow-registered');

    // Back on the first token, whose policy has no key: no escrow sentence.
    await chooseToken(page, tokenLabel(0));
    await expect(notice.isHidden()).resolves.toBe(true);
  });

  test('a revoked credential is shown as revoked and can no longer be proven', async () => {
    const credentialId = (await page.locator('#credential-list li[data-credential-id]').getAttribute('data-credential-id'))!;
    const response = await fetch(`${demo.issuerUrl}/credentials/${credentialId}/revoke`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': 'dev-reviewer-key' },
      body: JSON.stringify({ reason: 'documents withdrawn' }),
    });
    expect(response.status).toBeLessThan(300);
    await page.getByRole('button', { name: /Check status of the credential/ }).click();
    await page.locator('#credential-list li[data-status="revoked"]').waitFor();
    await expect(page.locator('#credential-list li[data-status="revoked"] .badge').textContent()).resolves.toBe('withdrawn by the issuer');
    const rules = await chooseToken(page, tokenLabel(0));
    expect(rules.find((r) => r.rule === 'validity')).toMatchObject({ ok: false });
    // The wallet is still registered (until its record ends), but cannot renew with a revoked credential.
    await expect(page.getByRole('button', { name: 'Renew registration' }).isDisabled()).resolves.toBe(true);
    await expect(page.locator('#prove-status').textContent()).resolves.toContain('cannot be renewed');
    await shot('09-revoked');
  });

  test('a wrong passphrase keeps the wallet locked; the right one restores it', async () => {
    await page.getByRole('button', { name: 'Lock' }).click();
    await page.getByLabel('Passphrase', { exact: true }).fill('not the passphrase');
    await page.getByRole('button', { name: 'Unlock' }).click();
    await page.locator('#identity-status[data-tone="error"]').waitFor();
    await expect(page.locator('#identity-status').textContent()).resolves.toContain('Wrong passphrase');
    await expect(page.locator('#identity-view').isHidden()).resolves.toBe(true);
    await shot('10-wrong-passphrase');
    await page.getByLabel('Passphrase', { exact: true }).fill(PASSPHRASE);
    await page.getByRole('button', { name: 'Unlock' }).click();
    await page.locator('#identity-view').waitFor({ state: 'visible' });
    await expect(page.locator('#identity-address').textContent()).resolves.toBe(holder);
    await expect(page.locator('#credential-list li[data-credential-id]').count()).resolves.toBe(1);
    await shot('11-unlocked');
  });

  test('an unreachable issuer and an unreachable chain are reported as such', async () => {
    // The same app and deployment, configured with an issuer and a node that are not listening.
    const [deadIssuer, deadChain] = await Promise.all([freePort(), freePort()]);
    const repo = fileURLToPath(new URL('../..', import.meta.url));
    const offline = await startWalletServer(
      {
        distDir: `${repo}wallet-demo/dist`,
        artifactsDir: `${repo}circuits/artifacts`,
        files: {
          'wallet-config.json': () => ({ rpcUrl: `http://127.0.0.1:${deadChain}`, issuerUrl: `http://127.0.0.1:${deadIssuer}`, deploymentUrl: 'deployment.json' }),
          'deployment.json': () => demo.deployment,
        },
      },
      0,
    );
    const other = await openWallet(browser, `${offline.url}/`, true);
    try {
      await createIdentity(other, PASSPHRASE);
      await other.getByLabel('Country of residence').selectOption('CH');
      await other.getByLabel('Date of birth').fill('1990-01-01');
      await other.getByRole('button', { name: 'Apply', exact: true }).click();
      await other.locator('#notice', { hasText: 'Issuer unreachable' }).waitFor();
      await expect(other.locator('#apply-status').textContent()).resolves.toBe('The issuer cannot be reached right now.');
      await screenshot(other, artifacts, '12-issuer-unreachable');

      await other.getByLabel('Token', { exact: true }).selectOption({ label: tokenLabel(1) });
      await other.locator('#notice', { hasText: 'Chain unreachable' }).waitFor();
      await expect(other.locator('#prove-status').textContent()).resolves.toBe('The chain cannot be reached right now.');
      // The policy is still readable from the deployment file, but nothing can be proven against it.
      await expect(other.locator('#policy-rules li[data-rule="jurisdiction"]').textContent()).resolves.toContain('United States (US)');
      await expect(other.getByRole('button', { name: 'Prove and register' }).isDisabled()).resolves.toBe(true);
      await screenshot(other, artifacts, '13-chain-unreachable');
      // An escrow policy is named as such from the deployment file too.
      await other.getByLabel('Token', { exact: true }).selectOption({ label: tokenLabel(2) });
      await other.locator('#escrow-notice[data-escrow="key"]').waitFor();
      await expect(other.locator('#escrow-notice').textContent()).resolves.toBe(ESCROW_IN_WORDS);
      await expect(other.getByRole('button', { name: 'Prove and register' }).isDisabled()).resolves.toBe(true);
    } finally {
      await other.context().close();
      await new Promise<void>((resolve) => offline.server.close(() => resolve()));
    }
  });

  test('a proof made against a policy the operator has since changed is rejected on-chain, and nothing is recorded', async () => {
    const other = await openWallet(browser, demo.walletUrl, true);
    try {
      const wallet = await createIdentity(other, PASSPHRASE);
      await applyForCredential(other, { jurisdiction: 'SG', birthDate: '1979-06-30', investorClasses: ['Institutional investor'] });
      expect((await chooseToken(other, tokenLabel(0))).every((r) => r.ok)).toBe(true);
      // The operator tightens policy 1 after the holder read it; the proof binds the old policyHash.
      const recorded = demo.deployment.policies.find((p) => p.policyId === token().policyId)!;
      await setGatePolicy(await provider.getSigner(0), demo.deployment, {
        policyId: BigInt(recorded.policyId),
        jurisdictionMask: BigInt(recorded.jurisdictionMask),
        minAge: 21,
        investorClassMask: recorded.investorClassMask,
        minKycLevel: recorded.minKycLevel,
        acceptedIssuers: recorded.acceptedIssuers.map(BigInt),
        ttl: recorded.ttl,
        maxWalletsPerInvestor: recorded.maxWalletsPerInvestor,
      });
      await other.getByRole('button', { name: 'Prove and register' }).click();
      await other.locator('#prove-status[data-error]').waitFor({ timeout: 180_000 });
      await expect(other.locator('#prove-status').getAttribute('data-error')).resolves.toBe('PolicyHashMismatch');
      await expect(other.locator('#prove-status').textContent()).resolves.toMatch(/^Proof rejected on-chain: .*policy changed/);
      expect(await chain().complianceGate.verifiedUntil(BigInt(token().policyId), wallet)).toBe(0n);
      await screenshot(other, artifacts, '14-proof-rejected');
    } finally {
      await other.context().close();
    }
  });

  test('receives through a pasted OpenID4VCI credential offer and the code shown with it; a wrong code is refused in words', async () => {
    // The holder applied elsewhere (here: through the SDK with its backup key) and the issuer showed
    // it an offer and a code; it restores its wallet in this browser and pastes both.
    const key = Wallet.createRandom().privateKey;
    // The DID the wallet will show this issuer: derived from the backup key for this issuer alone.
    const { did, privateKey: didKey } = await holderDidForIssuer(key, demo.issuer.issuerDid);
    const idc = identityCommitment(identitySecretFromSignature(await new Wallet(key).signMessage(IDENTITY_MESSAGE)));
    const client = new IssuerClient(demo.issuerUrl);
    const { nonce } = await client.createChallenge(did);
    const applied = await client.apply({
      did,
      challenge: nonce,
      signature: await signDidChallenge(didKey, nonce, demo.issuer.issuerDid),
      identityCommitment: idc.toString(),
      attributes: { jurisdiction: 'CH', birthDate: '1979-09-09', investorClasses: [], kycLevel: 1 },
    });
    expect(applied).toMatchObject({ status: 'approved', credentialId: expect.any(String) });
    const offer = await client.withAccessToken(applied.accessToken).credentialOffer(applied.id);

    const other = await openWallet(browser, demo.walletUrl, true);
    try {
      await other.getByLabel('Restore from a backup key').check();
      await other.getByLabel('Backup key (0x + 64 hex digits)').fill(key);
      await other.getByLabel('Passphrase to encrypt the wallet in this browser (8+ characters)').fill(PASSPHRASE);
      await other.getByLabel('Passphrase again').fill(PASSPHRASE);
      await other.getByRole('button', { name: 'Restore wallet' }).click();
      await other.locator('#identity-view').waitFor({ state: 'visible' });
      await expect(other.locator('#identity-did').textContent()).resolves.toBe(did);

      const status = other.locator('#offer-status');
      await other.getByLabel('Credential offer link (openid-credential-offer://…)').fill(offer.credentialOfferUri);
      await other.getByLabel('Code shown with the offer').fill(offer.txCode === '000000' ? '111111' : '000000');
      await other.getByRole('button', { name: 'Receive credential' }).click();
      await other.locator('#offer-status[data-tone="error"]').waitFor();
      await expect(status.textContent()).resolves.toContain('the code is wrong');
      await expect(other.locator('#credential-list li[data-credential-id]').count()).resolves.toBe(0);
      await screenshot(other, artifacts, '18-offer-wrong-code');

      await other.getByLabel('Code shown with the offer').fill(offer.txCode);
      await other.getByRole('button', { name: 'Receive credential' }).click();
      await other.locator('#offer-status[data-tone="ok"]').waitFor({ timeout: 30_000 });
      const card = other.locator('#credential-list li[data-credential-id]');
      await expect(card.getAttribute('data-credential-id')).resolves.toBe(applied.credentialId);
      await expect(card.textContent()).resolves.toContain('1979-09-09');
      const audit = await demo.issuer.store.listAuditEvents({ offset: 0, limit: 500 });
      expect(audit.some((e) => e.action === 'oid4vci-deliver' && e.subjectId === applied.credentialId)).toBe(true);
      await screenshot(other, artifacts, '19-offer-received');

      // The offer was single-use: pasting it again is refused, and nothing is added.
      await other.getByLabel('Credential offer link (openid-credential-offer://…)').fill(offer.credentialOfferUri);
      await other.getByLabel('Code shown with the offer').fill(offer.txCode);
      await other.getByRole('button', { name: 'Receive credential' }).click();
      await other.locator('#offer-status[data-tone="error"]').waitFor();
      await expect(status.textContent()).resolves.toContain('already used');
      await expect(card.count()).resolves.toBe(1);
    } finally {
      await other.context().close();
    }
  });

  test('an escrow key outside the prime-order subgroup is refused before proving, in words', async () => {
    // A gate that answers escrowKeyOf with (0, −1), the point of order 2: on the curve, but with it
    // anybody could open the sealed reference. The real gate refuses such a key when it is set, so
    // the node's answer is replaced for this page only.
    const other = await openWallet(browser, demo.walletUrl, true);
    try {
      const selector = chain().complianceGate.interface.getFunction('escrowKeyOf').selector;
      const lowOrder = '0x' + [0n, SNARK_FIELD - 1n].map((v) => v.toString(16).padStart(64, '0')).join('');
      await other.route(demo.rpcUrl, async (route) => {
        const body = route.request().postDataJSON() as { id: number; method: string; params?: [{ data?: string; input?: string }] } | null;
        const data = body?.params?.[0]?.data ?? body?.params?.[0]?.input;
        if (body?.method === 'eth_call' && data?.startsWith(selector)) {
          const result = JSON.stringify({ jsonrpc: '2.0', id: body.id, result: lowOrder });
          return route.fulfill({ contentType: 'application/json', headers: { 'access-control-allow-origin': '*' }, body: result });
        }
        return route.continue();
      });
      await createIdentity(other, PASSPHRASE);
      await applyForCredential(other, { jurisdiction: 'CH', birthDate: '1985-05-05', investorClasses: ['Qualified investor (CH)'] });
      const rules = await chooseToken(other, tokenLabel(2));
      expect(rules.every((r) => r.ok)).toBe(true);
      const status = other.locator('#prove-status');
      await other.locator('#prove-status[data-error="EscrowKeyInvalid"]').waitFor();
      await expect(status.textContent()).resolves.toMatch(/weak key.*will not prove for this token/);
      await expect(other.getByRole('button', { name: 'Prove and register' }).isDisabled()).resolves.toBe(true);
      await expect(other.locator('#escrow-notice').getAttribute('data-escrow')).resolves.toBe('invalid-key');
      await screenshot(other, artifacts, '17-escrow-key-refused');
    } finally {
      await other.context().close();
    }
  });

  // ── A browser wallet (EIP-1193) and the relayer ─────────────────────────────────────────────
  /**
   * A page whose `window.ethereum` is a test EIP-1193 provider: its `request` calls a binding backed
   * by an ethers Wallet on the demo's node (a fresh key holding 0 ETH). It starts on chain 1, so
   * connecting must ask it to switch; reads it does not answer itself go to the node, as a real
   * browser wallet's RPC would. `refuseSwitch` makes it decline wallet_switchEthereumChain.
   */
  async function pageWithInjectedWallet() {
    const account = Wallet.createRandom().connect(provider);
    const state = { chainId: '0x1', refuseSwitch: true, calls: [] as string[] };
    const context = await browser.newContext({ viewport: { width: 390, height: 844 } });
    await context.exposeBinding('__zkkycInjected', async (_source, method: string, params: unknown[]) => {
      state.calls.push(method);
      switch (method) {
        case 'eth_requestAccounts':
        case 'eth_accounts':
          return [account.address];
        case 'eth_chainId':
          return state.chainId;
        case 'wallet_switchEthereumChain': {
          if (state.refuseSwitch) throw new Error('4001: the holder declined to switch networks');
          state.chainId = (params[0] as { chainId: string }).chainId;
          return null;
        }
        case 'eth_signTypedData_v4': {
          const [from, json] = params as [string, string];
          if (from.toLowerCase() !== account.address.toLowerCase()) throw new Error(`unknown account ${from}`);
          const { domain, types, message } = JSON.parse(json) as { domain: Record<string, unknown>; types: Record<string, { name: string; type: string }[]>; message: Record<string, unknown> };
          delete types.EIP712Domain;
          return account.signTypedData(domain, types, message);
        }
        case 'eth_sendTransaction': {
          const [tx] = params as [{ to: string; data?: string; value?: string; gas?: string }];
          const sent = await account.sendTransaction({ to: tx.to, data: tx.data, value: tx.value ? BigInt(tx.value) : 0n, ...(tx.gas ? { gasLimit: BigInt(tx.gas) } : {}) });
          return sent.hash;
        }
        default:
          return provider.send(method, params);
      }
    });
    await context.addInitScript(() => {
      const listeners: Record<string, ((value: unknown) => void)[]> = {};
      const emit = (event: string, value: unknown) => (listeners[event] ?? []).forEach((listener) => listener(value));
      const call = (window as unknown as { __zkkycInjected(method: string, params: unknown[]): Promise<unknown> }).__zkkycInjected;
      (window as unknown as { ethereum: unknown }).ethereum = {
        async request({ method, params }: { method: string; params?: unknown[] }) {
          let result: unknown;
          try {
            result = await call(method, params ?? []);
          } catch (err) {
            const message = (err as Error).message;
            throw Object.assign(new Error(message), { code: /4001/.test(message) ? 4001 : -32603 });
          }
          if (method === 'wallet_switchEthereumChain') emit('chainChanged', (params![0] as { chainId: string }).chainId);
          return result;
        },
        on(event: string, listener: (value: unknown) => void) {
          (listeners[event] ??= []).push(listener);
        },
        removeListener(event: string, listener: (value: unknown) => void) {
          listeners[event] = (listeners[event] ?? []).filter((l) => l !== listener);
        },
      };
      // What the browser wallet does when its holder switches accounts or networks in it.
      (window as unknown as { __zkkycEmit: typeof emit }).__zkkycEmit = emit;
    });
    const injectedPage = await context.newPage();
    injectedPage.on('pageerror', (err) => console.error(`[browser] ${err.message}`));
    await injectedPage.goto(demo.walletUrl);
    await injectedPage.locator('body[data-ready="true"]').waitFor({ timeout: 30_000 });
    return { page: injectedPage, account, state };
  }

  test('connects a browser wallet (EIP-1193) on the right chain, and its account with 0 ETH registers through the relayer', async () => {
    const { page: other, account, state } = await pageWithInjectedWallet();
    try {
      await createIdentity(other, PASSPHRASE);
      await applyForCredential(other, { jurisdiction: 'CH', birthDate: '1985-05-05', investorClasses: ['Qualified investor (CH)'] });
      const connectStatus = other.locator('#connect-status');
      // On another chain, and the browser wallet declines to switch: the wallet says so and stays on its own account.
      await other.getByRole('button', { name: 'Connect a browser wallet' }).click();
      await other.locator('#connect-status[data-tone="error"]').waitFor();
      await expect(connectStatus.textContent()).resolves.toMatch(/on chain 1, but this token is on chain 31337.*Switch networks/);
      await expect(other.locator('#connect-status').getAttribute('data-problem')).resolves.toBe('wrong-network');
      await screenshot(other, artifacts, '25-injected-wrong-network');

      state.refuseSwitch = false;
      await other.getByRole('button', { name: 'Connect a browser wallet' }).click();
      await other.locator('#connect-status[data-tone="ok"]').waitFor();
      expect(state.chainId).toBe('0x7a69');
      await expect(other.locator('#connected-address').textContent()).resolves.toBe(account.address);
      await expect(other.getByRole('button', { name: 'Disconnect' }).isVisible()).resolves.toBe(true);
      await expect(other.getByLabel('Let the relayer pay the fee').isVisible()).resolves.toBe(true);
      await screenshot(other, artifacts, '26-injected-connected');

      const policyId = BigInt(token().policyId);
      const gate = chain().complianceGate;
      expect(await provider.getBalance(account.address)).toBe(0n);
      expect(await gate.isVerified(policyId, account.address)).toBe(false);
      const relayerBalance = await provider.getBalance(demo.relayer.address);
      const rules = await chooseToken(other, tokenLabel(0));
      expect(rules.every((r) => r.ok)).toBe(true);
      await proveAndRegister(other);
      const txHash = (await other.locator('#registration-tx').textContent())!.trim();
      await screenshot(other, artifacts, '27-registered-through-relayer');
      expect(txHash).toMatch(/^0x[0-9a-f]{64}$/);

      // The proof named the browser wallet's account, the relayer sent it and paid; the account still holds 0 ETH.
      expect(await gate.isVerified(policyId, account.address)).toBe(true);
      expect(await provider.getBalance(account.address)).toBe(0n);
      const receipt = (await provider.getTransactionReceipt(txHash))!;
      expect(receipt.from).toBe(demo.relayer.address);
      expect(await provider.getBalance(demo.relayer.address)).toBeLessThan(relayerBalance);
      // Sent in one of the relayer's batches (verifyBatch), the path every plain registration takes.
      expect((await provider.getTransaction(txHash))!.data.slice(0, 10)).toBe(gate.interface.getFunction('verifyBatch')!.selector);
      expect(state.calls).toContain('eth_signTypedData_v4');
      expect(state.calls).not.toContain('eth_sendTransaction');

      // The holder switches accounts in the browser wallet: this wallet lets go of the old one.
      await other.evaluate(() => (window as unknown as { __zkkycEmit(event: string, value: unknown): void }).__zkkycEmit('accountsChanged', ['0x' + '12'.repeat(20)]));
      await other.locator('#connected-account[hidden]').waitFor({ state: 'attached', timeout: 20_000 });
      await expect(other.locator('#connect-status').textContent()).resolves.toContain('switched accounts');

      // Connected again, then disconnected by hand: the wallet's own account is the active one again.
      await other.getByRole('button', { name: 'Connect a browser wallet' }).click({ timeout: 20_000 });
      await other.locator('#connect-status[data-tone="ok"]').waitFor({ timeout: 20_000 });
      await other.getByRole('button', { name: 'Disconnect' }).click({ timeout: 20_000 });
      await other.locator('#connected-account[hidden]').waitFor({ state: 'attached', timeout: 20_000 });
      await expect(other.getByRole('button', { name: 'Connect a browser wallet' }).isVisible()).resolves.toBe(true);
      await expect(other.locator('#connect-status').textContent()).resolves.toContain('Disconnected');
    } finally {
      await other.context().close();
    }
  });
});
