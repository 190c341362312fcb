import { chromium, type Browser, type Page } from 'playwright-core';
import { existsSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';

/**
 * A real headless Chromium on the wallet, and the steps of the holder story as the user does
 * them: through labelled form controls and buttons, the way keyboard and screen-reader users
 * reach them too. Shared by the browser test and the proving benchmark.
 */
const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'];

/**
 * The Chromium to drive: `CHROMIUM_PATH`, else the system's /usr/bin/chromium, else the one the
 * `@sparticuz/chromium` npm package ships (unpacked on first use, with the flags it needs), so a
 * machine with only Node and npm runs the browser tests too. Never a download.
 */
async function chromiumToLaunch(): Promise<{ executablePath: string; args: string[] }> {
  const chosen = process.env.CHROMIUM_PATH;
  if (chosen) {
    if (!existsSync(chosen)) throw new Error(`CHROMIUM_PATH=${chosen}: no such file`);
    return { executablePath: chosen, args: FLAGS };
  }
  if (existsSync('/usr/bin/chromium')) return { executablePath: '/usr/bin/chromium', args: FLAGS };
  const { default: packaged } = await import('@sparticuz/chromium');
  // Its serverless defaults include --single-process (closing one context then takes the whole
  // browser down) and relaxed web security; the tests need neither.
  const unwanted = new Set(['--single-process', '--disable-web-security', '--allow-running-insecure-content']);
  const args = packaged.args.filter((a: string) => !unwanted.has(a));
  return { executablePath: await packaged.executablePath(), args: [...new Set([...args, ...FLAGS])] };
}

export async function launchBrowser(): Promise<Browser> {
  return chromium.launch(await chromiumToLaunch());
}

/** Opens the wallet in a fresh context (empty IndexedDB) sized like a phone when `narrow`. */
export async function openWallet(browser: Browser, url: string, narrow = false): Promise<Page> {
  const context = await browser.newContext(narrow ? { viewport: { width: 390, height: 844 } } : { viewport: { width: 1100, height: 900 } });
  const page = await context.newPage();
  page.on('pageerror', (err) => console.error(`[browser] ${err.message}`));
  await page.goto(url);
  await page.locator('body[data-ready="true"]').waitFor({ timeout: 30_000 });
  return page;
}

export async function screenshot(page: Page, dir: string, name: string): Promise<string> {
  await mkdir(dir, { recursive: true });
  const path = `${dir}/${name}.png`;
  await page.screenshot({ path, fullPage: true });
  return path;
}

/**
 * Creates a wallet the way a holder does: passphrase, then the 24-word recovery phrase shown once
 * (read off the page, as the holder writes it down), then the three words the wallet asks for.
 * Resolves with the wallet address and the phrase.
 */
export async function createIdentityWithPhrase(page: Page, passphrase: string): Promise<{ address: string; phrase: string }> {
  await page.getByLabel('Passphrase to encrypt the wallet in this browser (8+ characters)').fill(passphrase);
  await page.getByLabel('Passphrase again').fill(passphrase);
  await page.getByRole('button', { name: 'Create wallet' }).click();
  const words = page.locator('#phrase-words li');
  await words.first().waitFor();
  const phrase = (await words.allTextContents()).map((w) => w.trim());
  await page.getByRole('button', { name: 'I have written them down' }).click();
  for (let i = 0; i < 3; i++) {
    const label = (await page.locator(`#confirm-word-${i}-label`).textContent())!;
    const position = Number(/^Word (\d+)$/.exec(label.trim())![1]);
    await page.getByLabel(label.trim(), { exact: true }).fill(phrase[position - 1]);
  }
  await page.getByRole('button', { name: 'Confirm and create wallet' }).click();
  await page.locator('#identity-view').waitFor({ state: 'visible' });
  return { address: (await page.locator('#identity-address').textContent())!.trim(), phrase: phrase.join(' ') };
}

/** Creates a wallet (createIdentityWithPhrase); returns the wallet address. */
export async function createIdentity(page: Page, passphrase: string): Promise<string> {
  return (await createIdentityWithPhrase(page, passphrase)).address;
}

/** What an applicant declares; the KYC level is not among it (the issuer's reviewer sets it). */
export interface Application {
  jurisdiction: string;
  birthDate: string;
  /** Labels of the investor statuses to tick. */
  investorClasses: string[];
}

/** Fills and sends the application form; waits until a credential appears under "Your credentials". */
export async function applyForCredential(page: Page, a: Application): Promise<void> {
  await page.getByLabel('Country of residence').selectOption(a.jurisdiction);
  await page.getByLabel('Date of birth').fill(a.birthDate);
  for (const label of a.investorClasses) await page.getByLabel(label).check();
  await page.getByRole('button', { name: 'Apply', exact: true }).click();
  await page.locator('#credential-list li[data-credential-id]').first().waitFor({ timeout: 30_000 });
}

/** Chooses a token; returns each policy rule with whether the wallet ticked it. */
export async function chooseToken(page: Page, tokenLabel: string): Promise<{ rule: string; ok: boolean; text: string }[]> {
  await page.getByLabel('Token', { exact: true }).selectOption({ label: tokenLabel });
  // The panel is aria-busy until the gate has answered; only then are the rules and the status final.
  await page.locator('#policy-rules:not([aria-busy]) li[data-ok]').first().waitFor();
  return page
    .locator('#policy-rules li')
    .evaluateAll((items) => items.map((li) => ({ rule: li.getAttribute('data-rule') ?? '', ok: li.getAttribute('data-ok') === 'true', text: li.textContent ?? '' })));
}

/**
 * Proves in the worker, confirms the review that comes before the registration is signed, and
 * registers; resolves with the browser's proving time and verified-until.
 */
export async function proveAndRegister(page: Page, button = 'Prove and register'): Promise<{ proveMs: number; loadMs: number; verifiedUntil: string }> {
  await page.getByRole('button', { name: button }).click();
  const review = page.getByRole('dialog', { name: /^Review your registration/ });
  await review.waitFor({ timeout: 180_000 });
  await review.getByRole('button', { name: 'Confirm and send' }).click();
  // The transaction hash sits in the collapsed "Technical details": present, not shown.
  await page.locator('#registration-view:not([hidden]) #registration-tx:not(:empty)').waitFor({ state: 'attached', timeout: 180_000 });
  // The hash is shown before the flow ends (the dev operator's mint, the "Verified for" status); until
  // then the panel is busy, and a token chosen meanwhile is drawn without its status and with the
  // button disabled. The progress box hides when the flow has ended.
  await page.locator('#prove-progress[hidden]').waitFor({ state: 'attached', timeout: 60_000 });
  const proveTime = page.locator('#prove-time');
  return {
    proveMs: Number(await proveTime.getAttribute('data-prove-ms')),
    loadMs: Number(await proveTime.getAttribute('data-load-ms')),
    verifiedUntil: (await page.locator('#verified-until').textContent())!.trim(),
  };
}

/**
 * Renews a registration the wallet already shows ("Renew registration" proves again in the same,
 * now warm, worker); resolves once a new transaction hash replaced the previous one, so the timing
 * read is this proof's and not the last one's.
 */
export async function renewRegistration(page: Page): Promise<{ proveMs: number; loadMs: number; verifiedUntil: string }> {
  const previousTx = (await page.locator('#registration-tx').textContent())!.trim();
  if (!previousTx) throw new Error('renewRegistration: the wallet shows no registration to renew (prove and register first)');
  const renewed = await proveAndRegister(page, 'Renew registration');
  const tx = (await page.locator('#registration-tx').textContent())!.trim();
  if (tx === previousTx) throw new Error(`renewRegistration: the registration transaction is still ${previousTx}; the renewal was not recorded`);
  return renewed;
}

/**
 * Sends a transfer, confirming its review when the wallet shows one (a transfer the token refuses
 * is refused before any review), and returns the outcome line (and the decoded error name on refusal).
 */
export async function transfer(page: Page, to: string, amount: string): Promise<{ tone: string; text: string; error?: string }> {
  const status = page.locator('#transfer-status');
  await status.evaluate((el) => {
    el.textContent = '';
    el.removeAttribute('data-tone');
  });
  await page.getByLabel('Recipient address').fill(to);
  await page.getByLabel('Amount').fill(amount);
  await page.getByRole('button', { name: 'Review transfer' }).click();
  const review = page.getByRole('dialog', { name: 'Review the transfer' });
  const outcome = page.locator('#transfer-status[data-tone="ok"], #transfer-status[data-tone="error"]');
  await review.or(outcome).first().waitFor({ timeout: 60_000 });
  if (await review.isVisible()) await review.getByRole('button', { name: 'Confirm and send' }).click();
  await outcome.waitFor({ timeout: 60_000 });
  return {
    tone: (await status.getAttribute('data-tone'))!,
    text: (await status.textContent())!.trim(),
    error: (await status.getAttribute('data-error')) ?? undefined,
  };
}

/** An axe-core finding, reduced to what a failing assertion should print. */
export interface AxeFinding {
  id: string;
  impact: string | null;
  help: string;
  targets: string[];
}

const axeSource = (() => {
  let source: Promise<string> | undefined;
  return () => (source ??= readFile(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8'));
})();

/**
 * What a 390 px phone and an accessibility audit see of the page as it is now: the document's
 * width (more than the viewport means sideways scrolling) and axe-core's violations (WCAG 2.1 A/AA
 * and best practices). axe is evaluated through the DevTools protocol, which the wallet's
 * Content-Security-Policy does not govern, so the page's CSP stays as strict as it is served.
 */
export async function layoutAndAccessibility(page: Page): Promise<{ scrollWidth: number; viewportWidth: number; violations: AxeFinding[] }> {
  if (!(await page.evaluate(() => 'axe' in window))) await page.evaluate(await axeSource());
  const { scrollWidth, viewportWidth } = await page.evaluate(() => ({ scrollWidth: document.scrollingElement!.scrollWidth, viewportWidth: window.innerWidth }));
  const violations = await page.evaluate(async () => {
    const axe = (
      window as unknown as { axe: { run(context: Document, options: object): Promise<{ violations: { id: string; impact: string | null; help: string; nodes: { target: unknown[] }[] }[] }> } }
    ).axe;
    const result = await axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice'] }, resultTypes: ['violations'] });
    return result.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, targets: v.nodes.map((n) => n.target.map(String).join(' ')) }));
  });
  return { scrollWidth, viewportWidth, violations };
}
