/**
 * The holder's story in a real headless Chromium against the real stack started by serve.ts
 * (Hardhat node, contracts, issuer-service in dev auto-approve mode, the built wallet): create an
 * identity → apply → receive the VC → check a token's policy → prove in the Web Worker → register
 * at the gate → transfer → add a second wallet of the same identity and register it as the same
 * investor with no issuer record; and the refusals a holder must understand: a transfer to an unverified
 * wallet (the token's custom error), a policy the credential does not meet, a revoked credential,
 * and a wrong passphrase. A token whose policy has an escrow key: the wallet says so before
 * proving, proves with the escrow circuit, and the gate logs the ciphertext the demo's key opens;
 * a key outside the prime-order subgroup is refused before proving. Screenshots of every step go to
 * wallet-demo/test/artifacts/.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { formatUnits, Wallet } from 'ethers';
import type { Browser, Page } from 'playwright-core';
import { IDENTITY_MESSAGE, identityCommitment, identitySecretFromSignature, SNARK_FIELD } from '@zkkyc/credentials';
import { decryptLeafIndex, pointFromX } from '@zkkyc/escrow';
import { releaseProverThreads } from '@zkkyc/prover';
import { connectZkKyc, holderDidForIssuer, IssuerClient, setGatePolicy, signDidChallenge } from '@zkkyc/sdk';
import { JsonRpcProvider } from 'ethers';
import { freePort } from '../scripts/free-port.js';
import { startWalletDemo, type WalletDemo } from '../scripts/serve.js';
import { startWalletServer } from '../scripts/wallet-server.js';
import { ESCROW_IN_WORDS } from '../src/ui/plain-words.js';
import { applyForCredential, chooseToken, createIdentity, launchBrowser, openWallet, proveAndRegister, screenshot, transfer } from './browser-session.js';

const artifacts = fileURLToPath(new URL('./artifacts', import.meta.url));
const PASSPHRASE = 'correct horse battery staple';
// Chromium comes from the system or from the @sparticuz/chromium package (browser-session.ts): a
// machine without one fails this suite, it never skips it.
describe('wallet in a headless browser', () => {
  let demo: WalletDemo;
  let browser: Browser;
  let page: Page;
  let provider: JsonRpcProvider;
  let holder: string;
  const shot = (name: string) => screenshot(page, artifacts, name);

  beforeAll(async () => {
    demo = await startWalletDemo({ chainPort: 0, issuerPort: 0, walletPort: 0, log: () => undefined });
    provider = new JsonRpcProvider(demo.rpcUrl, undefined, { staticNetwork: true });
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

  test('creates an identity whose key is backed up and whose wallet is encrypted at rest', async () => {
    await shot('01-start');
    holder = await createIdentity(page, PASSPHRASE);
    expect(holder).toMatch(/^0x[0-9a-fA-F]{40}$/);
    await expect(page.locator('#identity-did').textContent()).resolves.toMatch(/^did:key:zQ3s/);
    await page.getByRole('button', { name: 'Show backup key' }).click();
    await expect(page.locator('#backup-key').textContent()).resolves.toMatch(/0x[0-9a-f]{64}/);
    await page.getByRole('button', { name: 'Hide backup key' }).click();
    // Only ciphertext reaches IndexedDB.
    const stored = await page.evaluate(
      () =>
        new Promise<string>((resolve) => {
          const open = indexedDB.open('zkkyc-wallet', 1);
          open.onsuccess = () => {
            const get = open.result.transaction('vault').objectStore('vault').get('state');
            get.onsuccess = () => resolve(JSON.stringify({ keys: Object.keys(get.result), bytes: get.result.ciphertext.byteLength }));
          };
        }),
    );
    expect(JSON.parse(stored)).toEqual({ keys: ['kdf', 'iterations', 'salt', 'iv', 'ciphertext'], bytes: expect.any(Number) });
    await shot('02-identity');
  });

  test('applies, is auto-approved, and receives a verified VC shown in plain words', async () => {
    await applyForCredential(page, { jurisdiction: 'CH', birthDate: '1988-03-04', investorClasses: ['Qualified investor (CH)'], kycLevel: 2 });
    const card = page.locator('#credential-list li[data-credential-id]');
    await expect(card.getAttribute('data-status')).resolves.toBe('active');
    const text = await card.textContent();
    expect(text).toContain('Switzerland (CH)');
    expect(text).toContain('1988-03-04');
    expect(text).toContain('Qualified investor (CH)');
    expect(text).toContain(demo.issuer.issuerDid);
    await expect(page.locator('#application-list li').getAttribute('data-status')).resolves.toBe('approved');
    // The wallet collected it through OpenID4VCI: an offer, then a delivery to its key.
    const credentialId = await card.getAttribute('data-credential-id');
    const audit = await demo.issuer.store.listAuditEvents({ offset: 0, limit: 500 });
    expect(audit.some((e) => e.action === 'oid4vci-deliver' && e.subjectId === credentialId)).toBe(true);
    await shot('03-credential-received');
  });

  test('ticks and crosses each rule of a policy the credential does not meet, and refuses to prove', async () => {
    const rules = await chooseToken(page, tokenLabel(1));
    const failed = rules.filter((r) => !r.ok).map((r) => r.rule);
    // CH is not the US, a Swiss qualified investor is not US-accredited, and level 2 is below 3; the age rule holds.
    expect(failed).toEqual(['jurisdiction', 'investorClass', 'kycLevel']);
    await expect(page.getByRole('button', { name: 'Prove and register' }).isDisabled()).resolves.toBe(true);
    await expect(page.locator('#prove-status').textContent()).resolves.toContain('Not eligible');
    await shot('04-not-eligible');
  });

  test('proves in the worker, registers at the gate and shows verified-until', async () => {
    const rules = await chooseToken(page, tokenLabel(0));
    expect(rules.every((r) => r.ok)).toBe(true);
    await shot('05-policy-met');
    const gate = chain().complianceGate;
    expect(await gate.isVerified(BigInt(token().policyId), holder)).toBe(false);

    const result = await proveAndRegister(page);
    expect(result.proveMs).toBeGreaterThan(0);
    expect(await gate.isVerified(BigInt(token().policyId), holder)).toBe(true);
    const until = await gate.verifiedUntil(BigInt(token().policyId), holder);
    expect(result.verifiedUntil).toBe(new Date(Number(until) * 1000).toISOString().replace('T', ' ').slice(0, 19) + ' UTC');
    await mkdir(artifacts, { recursive: true });
    await writeFile(`${artifacts}/browser-proving.json`, JSON.stringify({ proveMs: result.proveMs, loadMs: result.loadMs, at: new Date().toISOString() }, null, 2));
    await shot('06-registered');
  });

  test('transfers to a verified investor', async () => {
    const erc20 = chain().tokens[token().symbol].token;
    await page.locator('#token-balance').filter({ hasText: token().symbol }).waitFor();
    const before = await erc20.balanceOf(holder);
    expect(before).toBeGreaterThan(0n);
    const outcome = await transfer(page, demo.counterparty!, '25');
    expect(outcome.tone).toBe('ok');
    expect(await erc20.balanceOf(holder)).toBe(before - 25n * 10n ** BigInt(token().decimals));
    await shot('07-transfer-sent');
  });

  test('a transfer to an unverified wallet shows the token’s reason and moves nothing', async () => {
    const erc20 = chain().tokens[token().symbol].token;
    const unverified = '0x000000000000000000000000000000000000dEaD';
    const before = await erc20.balanceOf(holder);
    const outcome = await transfer(page, unverified, '5');
    expect(outcome).toMatchObject({ tone: 'error', error: 'NotVerified' });
    expect(outcome.text).toContain('is not verified for this token');
    expect(await erc20.balanceOf(holder)).toBe(before);
    expect(await erc20.balanceOf(unverified)).toBe(0n);
    await expect(page.locator('#token-balance').textContent()).resolves.toBe(`${formatUnits(before, token().decimals)} ${token().symbol}`);
    await shot('08-transfer-refused');
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
    await page.getByRole('button', { name: /Check revocation status/ }).click();
    await page.locator('#credential-list li[data-status="revoked"]').waitFor();
    const rules = await chooseToken(page, tokenLabel(0));
    expect(rules.find((r) => r.rule === 'validity')).toMatchObject({ ok: false });
    await expect(page.getByRole('button', { name: 'Prove and register' }).isDisabled()).resolves.toBe(true);
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
      await applyForCredential(other, { jurisdiction: 'SG', birthDate: '1979-06-30', investorClasses: ['Institutional investor'], kycLevel: 4 });
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
      await applyForCredential(other, { jurisdiction: 'CH', birthDate: '1985-05-05', investorClasses: ['Qualified investor (CH)'], kycLevel: 3 });
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

});
