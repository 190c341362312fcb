import { readFileSync, rmSync } from 'node:fs';
import { dirname } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { releaseProverThreads } from '@zkkyc/prover';
import { runStory, type StoryFigures } from '../../demo/story.js';

// The demo's story is the product's main job: issuer, holders, gate and token together.
describe('the zkkyc story (npm run demo)', () => {
  let figures: StoryFigures;
  beforeAll(async () => {
    figures = await runStory();
  }, 300_000);
  afterAll(async () => {
    if (figures) rmSync(dirname(figures.escrow.registerCsv), { recursive: true, force: true });
    await releaseProverThreads();
  });

  it('registers both eligible holders with real proofs', () => {
    const outcomes = Object.fromEntries(figures.steps.map((s) => [s.step, s.outcome]));
    expect(outcomes['alice checks the policy locally']).toBe('all rules met');
    expect(outcomes['alice registers the wallet at the gate']).toBe('wallet verified');
    expect(outcomes['carol registers the wallet at the gate']).toBe('wallet verified');
    expect(figures.registrationGas).toHaveLength(2);
    expect(figures.transferGas).toBeGreaterThan(21_000);
  });

  it('refuses a transfer to an unverified wallet, naming the rule', () => {
    expect(figures.refusals['alice transfers to dave (unverified)']).toMatch(/^NotVerified\(0x[0-9a-fA-F]{40}\)$/);
  });

  it('tells the excluded applicant why locally, and the gate refuses a doctored proof', () => {
    const local = figures.steps.find((s) => s.step === 'mallory checks the policy locally')!;
    expect(local.outcome).toMatch(/jurisdiction US is not among the 5 allowed/);
    expect(figures.refusals['mallory tries to prove anyway']).toMatch(/jurisdiction US/);
    expect(figures.refusals['gate refuses mallory’s doctored proof']).toMatch(/^PolicyHashMismatch\(/);
  });

  it('stops a revoked credential: no new path, and the old root is refused once it ages out', () => {
    // The path now comes from the published tree chunk, where her leaf is 0 (docs/issuer-service.md, "Tree chunks").
    expect(figures.refusals['alice asks for a path of the revoked credential']).toMatch(/rule: not-revoked/);
    expect(figures.refusals['gate refuses the proof on the aged-out root']).toMatch(/^RootNotAcceptable\(/);
  });

  it('escrow registrations carry a ciphertext; the transfer agent writes the register from chain and issuer', () => {
    const outcomes = Object.fromEntries(figures.steps.map((s) => [s.step, s.outcome]));
    expect(outcomes['alice registers for AHB31 (verifyEscrow)']).toBe('wallet verified; EscrowCiphertext emitted with it');
    expect(figures.escrow.registrationGas.length).toBe(3);
    expect(figures.escrow.registerHolders).toBe(2);
    const csv = readFileSync(figures.escrow.registerCsv, 'utf8');
    // Both holders, named as the reviewer verified them, with their balances.
    expect(csv).toMatch(/Keller/);
    expect(csv).toMatch(/X1234567/);
    expect(csv).toMatch(/50,?000/);
    expect(csv).toMatch(/Hoffmann/);
    expect(csv).toMatch(/20,?000/);
    expect(csv).not.toMatch(/Moore/);
    const html = readFileSync(figures.escrow.registerHtml, 'utf8');
    expect(html).toMatch(/Alpine Hydro Bond 2031/);
    expect(html).not.toMatch(/<script/i);
  });

  it('a 2-of-3 panel discloses one investor after a logged request; one auditor alone cannot; an unlogged request is refused', () => {
    expect(figures.escrow.disclosedFamilyName).toBe('Hoffmann');
    expect(figures.refusals['auditor 2 alone tries to open the registration']).toMatch(/at-least-k|need 2/);
    expect(figures.refusals['an auditor is asked for a request that is not in the log']).toMatch(/not in the log/);
  });

  it('transaction trust: the monitor catches structuring, freezes what was structured and holds the wallet', () => {
    const t = figures.transactionTrust;
    expect(t.hits.slice(0, 1)).toEqual(['structuring']);
    expect(t.frozen).toBe(3n * 9_500n * 10n ** 18n);
    expect(t.actions.map((a) => [a.kind, a.status])).toEqual(
      expect.arrayContaining([
        ['open-case', 'done'],
        ['freeze-partial', 'done'],
        ['hold-transfers', 'done'],
      ]),
    );
  });

  it('transaction trust: a large transfer is refused, then settles once a compliance agent approves it', () => {
    expect(figures.refusals['alice sends 20,000 HLN to carol directly']).toMatch(/APPROVAL_REQUIRED/);
    expect(figures.transactionTrust.pendingId).toBe(1n);
    expect(figures.transactionTrust.hits).toContain('large-transfer');
  });

  it('transaction trust: a list import sanctions a wallet on chain, and it can no longer move tokens', () => {
    expect(figures.transactionTrust.pushBatches).toBe(1);
    expect(figures.refusals['carol (now sanctioned) sends 1 token to alice']).toMatch(/SENDER_SANCTIONED/);
    expect(figures.transactionTrust.hits).toContain('sanctions-exposure');
  });

  it('transaction trust: the SAR draft is written as goAML XML and a printable page', () => {
    const xml = readFileSync(figures.transactionTrust.sar.xml, 'utf8');
    expect(xml).toMatch(/^<\?xml/);
    expect(xml).toContain('<report_code>');
    expect(readFileSync(figures.transactionTrust.sar.html, 'utf8')).toContain('<html');
  });
});
