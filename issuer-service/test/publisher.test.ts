import { afterEach, describe, expect, it } from '@jest/globals';
import './support/inject-shim.js';
import { approveNewHolder, RecordingRootAnchor, reviewer, startService, tempDir, testConfig } from './support/service.js';
import { RootPublisher, PublishError } from '../src/publisher.js';
import type { IssuerService } from '../src/issuer-service.js';
import { systemClock } from '../src/services/clock.js';

/**
 * The publisher against an in-memory RootAnchor that records calls — a test double for the chain
 * boundary only (the registry-backed anchor is exercised in registry-anchor.test.ts).
 */
const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

async function issue(service: IssuerService, n: number): Promise<void> {
  for (let i = 0; i < n; i++) {
    const res = await approveNewHolder(service);
    expect(res.statusCode).toBe(201);
  }
}

async function open(anchor: RecordingRootAnchor, dbPath?: string) {
  const tmp = dbPath ? null : tempDir();
  if (tmp) cleanups.push(tmp.cleanup);
  const path = dbPath ?? tmp!.dbPath;
  const service = await startService(testConfig(path), { anchor });
  return { service, path };
}

describe('root publisher', () => {
  it('publishes many changes in one transaction and does not re-publish an unchanged root', async () => {
    const anchor = new RecordingRootAnchor();
    const { service } = await open(anchor);
    cleanups.push(() => service.close());
    expect((await service.publisher!.publishNow()).status).toBe('empty');
    await issue(service, 3);
    expect(await service.publisher!.hasUnpublishedChanges()).toBe(true);

    const outcome = await service.publisher!.publishNow();
    expect(outcome).toMatchObject({ status: 'published', root: service.tree.root, leafCount: 3 });
    expect(anchor.published).toHaveLength(1);
    expect((await service.publisher!.publishNow()).status).toBe('unchanged');
    expect(anchor.published).toHaveLength(1);

    const roots = await service.app.inject({ method: 'GET', url: '/tree/roots' });
    expect(roots.json()).toMatchObject({
      current: { root: service.tree.root.toString(), leafCount: 3 },
      published: [{ root: service.tree.root.toString(), leafCount: 3, txHash: anchor.published[0].txHash }],
    });
    const health = await service.app.inject({ method: 'GET', url: '/health' });
    expect(health.json()).toMatchObject({ status: 'ok', issuerDid: service.issuerDid, leafCount: 3, unpublishedChanges: false });
  });

  it('retries a failing anchor, and records nothing when every attempt fails', async () => {
    const anchor = new RecordingRootAnchor();
    const { service } = await open(anchor);
    cleanups.push(() => service.close());
    await issue(service, 1);

    anchor.failNext = 3; // as many failures as attempts
    await expect(service.publisher!.publishNow()).rejects.toBeInstanceOf(PublishError);
    expect(await service.store.listRootPublications(0, 10)).toEqual([]);
    anchor.failNext = 3;
    const viaHttp = await service.app.inject({ method: 'POST', url: '/tree/publish', headers: reviewer });
    expect(viaHttp.statusCode).toBe(502);
    expect(viaHttp.json().error.code).toBe('anchor_unavailable');

    anchor.failNext = 2; // fewer failures than attempts: the retry gets through
    const res = await service.app.inject({ method: 'POST', url: '/tree/publish', headers: reviewer });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ status: 'published', leafCount: 1, root: service.tree.root.toString() });
    expect(await service.store.listRootPublications(0, 10)).toHaveLength(1);
  });

  it('is idempotent across restarts, even when a crash lost the record of a sent transaction', async () => {
    const anchor = new RecordingRootAnchor();
    const first = await open(anchor);
    await issue(first.service, 2);
    await first.service.publisher!.publishNow();
    await first.service.close();

    const second = await startService(testConfig(first.path), { anchor });
    expect((await second.publisher!.publishNow()).status).toBe('unchanged');
    expect(anchor.published).toHaveLength(1);

    // The anchor accepted a root but the process died before recording it.
    await issue(second, 1);
    await anchor.publishRoot(second.tree.root, second.tree.size);
    await second.close();

    const third = await startService(testConfig(first.path), { anchor });
    cleanups.push(() => third.close());
    const outcome = await third.publisher!.publishNow();
    expect(outcome.status).toBe('already-anchored');
    expect(anchor.published).toHaveLength(2);
    expect(await third.store.latestRootPublication()).toMatchObject({ root: third.tree.root.toString(), leafCount: 3, txHash: null });
  });

  it('publishes on its interval', async () => {
    const anchor = new RecordingRootAnchor();
    const { service } = await open(anchor);
    cleanups.push(() => service.close());
    await issue(service, 1);
    const periodic = new RootPublisher({ anchor, store: service.store, tree: service.tree, clock: systemClock, intervalMs: 10, retryDelayMs: 1 });
    periodic.start();
    cleanups.push(() => periodic.stop());
    for (let i = 0; i < 500 && anchor.published.length === 0; i++) await new Promise((r) => setTimeout(r, 10));
    expect(anchor.published).toEqual([expect.objectContaining({ root: service.tree.root, leafCount: 1 })]);
  });

  it('answers 503 on /tree/publish when the service has no anchor', async () => {
    const tmp = tempDir();
    cleanups.push(tmp.cleanup);
    const service = await startService(testConfig(tmp.dbPath));
    cleanups.push(() => service.close());
    const res = await service.app.inject({ method: 'POST', url: '/tree/publish', headers: reviewer });
    expect(res.statusCode).toBe(503);
    expect(res.json().error.code).toBe('no_anchor');
  });
  it('writes the audit row of a publication with its record, in the same transaction — on demand by the key, on the interval by the publisher', async () => {
    const anchor = new RecordingRootAnchor();
    const { service } = await open(anchor);
    cleanups.push(() => service.close());
    await issue(service, 1);
    const viaRoute = await service.app.inject({ method: 'POST', url: '/tree/publish', headers: reviewer });
    expect(viaRoute.json().status).toBe('published');
    await issue(service, 1);
    expect((await service.publisher!.publishNow()).status).toBe('published'); // what the interval tick calls
    expect((await service.publisher!.publishNow()).status).toBe('unchanged'); // nothing recorded, nothing audited
    const audit = (await service.store.listAuditEvents({ offset: 0, limit: 100 })).filter((e) => e.action === 'publish');
    expect(audit.map((e) => ({ actor: e.actor, role: e.role, status: e.detail.status, root: e.detail.root }))).toEqual([
      { actor: 'alice', role: 'publisher', status: 'published', root: anchor.published[0].root.toString() },
      { actor: 'publisher (interval)', role: 'publisher', status: 'published', root: anchor.published[1].root.toString() },
    ]);
    expect(await service.store.listRootPublications(0, 10)).toHaveLength(2);
  });
});
