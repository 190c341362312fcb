import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import './support/inject-shim.js';
import hre from 'hardhat';
// Type-only: brings in hardhat-ethers' `hre.ethers` augmentation (the plugin itself is loaded by the config).
import type {} from '@nomicfoundation/hardhat-ethers';
import Database from 'better-sqlite3';
import { IssuerRegistry__factory, type IssuerRegistry } from '@zkkyc/contracts/typechain';
import { RegistryRootAnchor } from '../../packages/sdk/src/registry-anchor.js';
import { makeHolder } from './support/holder.js';
import { apply, nextYear, reviewer, startService, tempDir, testConfig } from './support/service.js';
import type { IssuerService } from '../src/issuer-service.js';

/**
 * The publisher against the real IssuerRegistry on Hardhat's in-process chain, through the sdk's
 * RegistryRootAnchor: roots land on-chain, revocation supersedes the old root, and restarts never
 * send a duplicate transaction (the registry would revert RootAlreadyCurrent anyway).
 */
const ISSUER_ID = 7n;
let registry: IssuerRegistry;
let anchor: RegistryRootAnchor;
const tmp = tempDir();

beforeAll(async () => {
  const [admin, publisher] = await hre.ethers.getSigners();
  registry = await (await new IssuerRegistry__factory(admin).deploy(admin.address, 3600)).waitForDeployment();
  await (await registry.addIssuer(ISSUER_ID, 'did:key:placeholder', publisher.address, 32)).wait();
  anchor = new RegistryRootAnchor(registry.connect(publisher), ISSUER_ID);
});
afterAll(() => tmp.cleanup());

async function issue(service: IssuerService): Promise<{ credentialId: string }> {
  const applied = await apply(service, makeHolder());
  const res = await service.app.inject({ method: 'POST', url: `/applications/${applied.json.id}/approve`, headers: reviewer, payload: { expiryDate: nextYear() } });
  expect(res.statusCode).toBe(201);
  return { credentialId: res.json().credentialId };
}

describe('root publication on IssuerRegistry (in-process Hardhat chain)', () => {
  it('anchors roots, supersedes on revocation, and stays idempotent across restarts', async () => {
    const config = testConfig(tmp.dbPath, { treeId: ISSUER_ID.toString() });
    const service = await startService(config, { anchor });
    const first = await issue(service);
    await issue(service);
    expect(await anchor.currentRoot()).toBeNull();

    const published = await service.publisher!.publishNow();
    expect(published.status).toBe('published');
    const onChain = await registry.issuer(ISSUER_ID);
    expect(onChain.currentRoot).toBe(service.tree.root);
    expect(onChain.leafCount).toBe(2n);
    const receipt = await hre.ethers.provider.getTransactionReceipt((published as { txHash: string }).txHash);
    expect(receipt!.status).toBe(1);
    const firstRoot = service.tree.root;

    const revoked = await service.app.inject({ method: 'POST', url: `/credentials/${first.credentialId}/revoke`, headers: reviewer, payload: { reason: 'test' } });
    expect(revoked.statusCode).toBe(200);
    await service.publisher!.publishNow();
    expect((await registry.issuer(ISSUER_ID)).currentRoot).toBe(service.tree.root);
    expect(service.tree.root).not.toBe(firstRoot);
    // The superseded root stays acceptable for maxRootAge, so proofs in flight still land.
    expect((await registry.rootStatus(firstRoot)).acceptable).toBe(true);
    await service.close();

    // Restart: nothing new, no transaction.
    const blockBefore = await hre.ethers.provider.getBlockNumber();
    const again = await startService(config, { anchor });
    expect((await again.publisher!.publishNow()).status).toBe('unchanged');
    await again.close();

    // A crash lost the record of the last publication: the anchor is asked, nothing is re-sent.
    const db = new Database(tmp.dbPath);
    db.prepare('DELETE FROM root_publications WHERE id = (SELECT MAX(id) FROM root_publications)').run();
    db.close();
    const recovered = await startService(config, { anchor });
    expect((await recovered.publisher!.publishNow()).status).toBe('already-anchored');
    expect(await hre.ethers.provider.getBlockNumber()).toBe(blockBefore);
    await recovered.close();
  });
});
