import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import './support/inject-shim.js';
import hre from 'hardhat';
// Type-only: brings in hardhat-ethers' `hre.ethers` augmentation (the plugin itself is loaded by the config).
import type {} from '@nomicfoundation/hardhat-ethers';
import Database from 'better-sqlite3';
import { IssuerRegistry__factory, type IssuerRegistry } from '@zkkyc/contracts/typechain';
import { RegistryRootAnchor } from '../../packages/sdk/src/registry-anchor.js';
import { approveNewHolder, reviewer, startService, tempDir, testConfig } from './support/service.js';
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
  const res = await approveNewHolder(service);
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
    expect((await registry.rootStatus(ISSUER_ID, firstRoot)).acceptable).toBe(true);
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

  it('keeps an unchanged root from going stale when the registry sets a maximum current-root age', async () => {
    const [admin, publisher] = await hre.ethers.getSigners();
    const issuerId = ISSUER_ID + 1n;
    await (await registry.connect(admin).addIssuer(issuerId, 'did:key:placeholder2', publisher.address, 32)).wait();
    const freshAnchor = new RegistryRootAnchor(registry.connect(publisher), issuerId);
    const dir = tempDir();
    const service = await startService(testConfig(dir.dbPath, { treeId: issuerId.toString() }), { anchor: freshAnchor });
    try {
      await issue(service);
      expect((await service.publisher!.publishNow()).status).toBe('published');
      const root = service.tree.root;
      // Without an age limit nothing is ever re-sent.
      await hre.network.provider.send('evm_increaseTime', [10 * 86400]);
      await hre.network.provider.send('evm_mine', []);
      expect((await service.publisher!.publishNow()).status).toBe('unchanged');

      const DAY = 86400n;
      await (await registry.connect(admin).setMaxCurrentRootAge(issuerId, Number(DAY))).wait();
      // Published ten days ago, limit one day: stale until confirmed.
      expect((await registry.rootStatus(issuerId, root)).acceptable).toBe(false);
      const confirmed = await service.publisher!.publishNow();
      expect(confirmed.status).toBe('confirmed');
      const receipt = await hre.ethers.provider.getTransactionReceipt((confirmed as { txHash: string }).txHash);
      expect(receipt!.logs.map((l) => registry.interface.parseLog(l)?.name)).toEqual(['RootConfirmed']);
      expect((await registry.rootStatus(issuerId, root)).acceptable).toBe(true);

      // Less than half the age later: fresh enough, nothing sent. Past half: confirmed again.
      const blocks = await hre.ethers.provider.getBlockNumber();
      await hre.network.provider.send('evm_increaseTime', [6 * 3600]);
      await hre.network.provider.send('evm_mine', []);
      expect((await service.publisher!.publishNow()).status).toBe('unchanged');
      expect(await hre.ethers.provider.getBlockNumber()).toBe(blocks + 1);
      await hre.network.provider.send('evm_increaseTime', [7 * 3600]);
      await hre.network.provider.send('evm_mine', []);
      expect((await service.publisher!.publishNow()).status).toBe('confirmed');
      await hre.network.provider.send('evm_increaseTime', [20 * 3600]);
      await hre.network.provider.send('evm_mine', []);
      expect((await registry.rootStatus(issuerId, root)).acceptable).toBe(true);
    } finally {
      await service.close();
      dir.cleanup();
    }
  });
});
