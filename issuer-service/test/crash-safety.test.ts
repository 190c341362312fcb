import { afterAll, describe, expect, it } from '@jest/globals';
import './support/inject-shim.js';
import { leafFromCredential, verifyKycCredential } from '@zkkyc/credentials';
import { IssuerTree } from '@zkkyc/tree';
import { applyOver, call, exited, killAll, startChildService } from './support/child-service.js';
import { nextYear, REVIEWER_KEY, tempDir } from './support/service.js';
import { newPerson } from './support/people.js';

/**
 * Crash safety: the service runs as a child process (`main.ts`), is killed with SIGKILL while
 * approvals are in flight, and restarted on the same database. No credential a client was told
 * about may be lost, none may be duplicated, leaf indices stay 0..n-1, and the rebuilt tree is
 * exactly the stored leaves.
 */
const tmp = tempDir();
afterAll(() => {
  killAll();
  tmp.cleanup();
});

const startChild = () => startChildService({ DATABASE_PATH: tmp.dbPath, ISSUER_KEY_SECRET: 'ULhpWiMnr34tr3JTaHEDo7JsL1syKOFX' });

describe('crash safety', () => {
  it('loses and duplicates nothing when killed mid-issue', async () => {
    const first = await startChild();
    const apps = [];
    for (let i = 0; i < 8; i++) apps.push(await applyOver(first.url));
    const issuerDid = (await call(first.url, 'GET', '/health')).json.issuerDid;

    // Fire every approval at once; kill the process as soon as the first one is confirmed.
    const confirmed: Array<{ applicationId: string; credentialId: string }> = [];
    const inFlight = apps.map((a) =>
      call(first.url, 'POST', `/applications/${a.id}/approve`, { expiryDate: nextYear(), person: newPerson(), attributes: { kycLevel: 2 } }, { 'x-api-key': REVIEWER_KEY }).then(
        (res) => {
          if (res.status === 201) confirmed.push({ applicationId: a.id, credentialId: res.json.credentialId });
        },
        () => undefined, // connection cut by the kill
      ),
    );
    await Promise.race(inFlight);
    first.child.kill('SIGKILL');
    await Promise.allSettled(inFlight);
    await exited(first.child);
    expect(confirmed.length).toBeGreaterThan(0);

    const second = await startChild();
    try {
      expect((await call(second.url, 'GET', '/health')).json.issuerDid).toBe(issuerDid);
      // Every confirmed credential survived.
      for (const c of confirmed) {
        expect((await call(second.url, 'GET', `/credentials/${c.credentialId}/status`)).json.status).toBe('active');
      }
      // Finish the job: the still-pending applications are approved now; approved ones refuse a second approval.
      const credentialIds: string[] = [];
      for (const a of apps) {
        const view = await call(second.url, 'GET', `/applications/${a.id}`, undefined, { authorization: `Bearer ${a.token}` });
        if (view.json.status === 'pending') {
          const res = await call(second.url, 'POST', `/applications/${a.id}/approve`, { expiryDate: nextYear(), person: newPerson(), attributes: { kycLevel: 2 } }, { 'x-api-key': REVIEWER_KEY });
          expect(res.status).toBe(201);
          credentialIds.push(res.json.credentialId);
        } else {
          expect(view.json.status).toBe('approved');
          expect(view.json.decisions.filter((d: { action: string }) => d.action === 'approve')).toHaveLength(1);
          const again = await call(second.url, 'POST', `/applications/${a.id}/approve`, { expiryDate: nextYear() }, { 'x-api-key': REVIEWER_KEY });
          expect(again.json.error.code).toBe('application_not_pending');
          credentialIds.push(view.json.credentialId);
        }
      }
      // One credential per application, leaf indices exactly 0..7, each leaf opening its VC.
      const leaves = (await call(second.url, 'GET', '/tree/leaves?limit=1000')).json;
      expect(leaves.total).toBe(apps.length);
      const indices: number[] = [];
      for (const [i, id] of credentialIds.entries()) {
        const c = (await call(second.url, 'GET', `/credentials/${id}`, undefined, { authorization: `Bearer ${apps[i].token}` })).json;
        const verified = await verifyKycCredential(c.vc, { issuerDid });
        expect(verified.verified).toBe(true);
        expect(verified.credential!.credentialSubject.leafIndex).toBe(c.leafIndex);
        expect(leafFromCredential(verified.credential!, BigInt(c.salt)).toString()).toBe(leaves.leaves[c.leafIndex]);
        indices.push(c.leafIndex);
      }
      expect(indices.sort((a, b) => a - b)).toEqual([...Array(apps.length).keys()]);
      // The restarted tree is exactly the stored leaves.
      expect(new IssuerTree(32, leaves.leaves.map(BigInt)).root.toString()).toBe(leaves.root);
    } finally {
      second.child.kill('SIGTERM');
      await exited(second.child);
    }
  });
});
