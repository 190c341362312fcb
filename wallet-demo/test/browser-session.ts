import { chromium, type Browser, type Page } from 'playwright-core';
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';

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

/** Creates a new key and encrypts the wallet with `passphrase`; returns the wallet address. */
export async function createIdentity(page: Page, passphrase: string): Promise<string> {
  await page.getByLabel('Passphrase to encrypt the wallet in this browser (8+ characters)').fill(passphrase);
  await page.getByLabel('Passphrase again').fill(passphrase);
  await page.getByRole('button', { name: 'Create wallet' }).click();
  await page.locator('#identity-view').waitFor({ state: 'visible' });
  return (await page.locator('#identity-address').textContent())!.trim();
}

export interface Application {
  jurisdiction: string;
  birthDate: string;
  investorClasses: string[];
  kycLevel: number;
}

/** Fills and sends the application form; waits until a credential appears in section 3. */
export async function applyForCredential(page: Page, a: Application): Promise<void> {
  await page.getByLabel('Country of residence').selectOption(a.jurisdiction);
  await page.getByLabel('Date of birth').fill(a.birthDate);
  for (const label of a.investorClasses) await page.getByLabel(label).check();
  await page.getByLabel('KYC level (0–255)').fill(String(a.kycLevel));
  await page.getByRole('button', { name: 'Apply', exact: true }).click();
  await page.locator('#credential-list li[data-credential-id]').first().waitFor({ timeout: 30_000 });
}

/** Chooses a token; returns each policy rule with whether the wallet ticked it. */
export async function chooseToken(page: Page, tokenLabel: string): Promise<{ rule: string; ok: boolean; text: string }[]> {
  await page.getByLabel('Token', { exact: true }).selectOption({ label: tokenLabel });
  await page.locator('#policy-rules li[data-ok]').first().waitFor();
  return page.locator('#policy-rules li').evaluateAll((items) =>
    items.map((li) => ({ rule: li.getAttribute('data-rule') ?? '', ok: li.getAttribute('data-ok') === 'true', text: li.textContent ?? '' })),
  );
}

/** Proves in the worker and registers; resolves with the browser's proving time and verified-until. */
export async function proveAndRegister(page: Page): Promise<{ proveMs: number; loadMs: number; verifiedUntil: string }> {
  await page.getByRole('button', { name: 'Prove and register' }).click();
  await page.locator('#registration-view:not([hidden]) #registration-tx:not(:empty)').waitFor({ timeout: 180_000 });
  const proveTime = page.locator('#prove-time');
  return {
    proveMs: Number(await proveTime.getAttribute('data-prove-ms')),
    loadMs: Number(await proveTime.getAttribute('data-load-ms')),
    verifiedUntil: (await page.locator('#verified-until').textContent())!.trim(),
  };
}

/** Sends a transfer and returns the outcome line (and the decoded error name on refusal). */
export async function transfer(page: Page, to: string, amount: string): Promise<{ tone: string; text: string; error?: string }> {
  const status = page.locator('#transfer-status');
  await status.evaluate((el) => {
    el.textContent = '';
    el.removeAttribute('data-tone');
  });
  await page.getByLabel('Recipient address').fill(to);
  await page.getByLabel('Amount').fill(amount);
  await page.getByRole('button', { name: 'Transfer' }).click();
  await page.locator('#transfer-status[data-tone="ok"], #transfer-status[data-tone="error"]').waitFor({ timeout: 60_000 });
  return {
    tone: (await status.getAttribute('data-tone'))!,
    text: (await status.textContent())!.trim(),
    error: (await status.getAttribute('data-error')) ?? undefined,
  };
}
