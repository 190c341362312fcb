import type { IssuerRegistry } from '@zkkyc/contracts/typechain';

/**
 * Anchors an issuer's tree root in IssuerRegistry: the `RootAnchor`
 * capability issuer-service publishes through. `registry` must be connected
 * with the issuer's publisher key.
 */
export class RegistryRootAnchor {
  constructor(
    private readonly registry: IssuerRegistry,
    readonly issuerId: bigint,
  ) {}

  async publishRoot(root: bigint, leafCount: number): Promise<{ txHash: string }> {
    const tx = await this.registry.publishRoot(this.issuerId, root, leafCount);
    const receipt = await tx.wait();
    if (!receipt || receipt.status !== 1) throw new Error(`root publication ${tx.hash} failed`);
    return { txHash: tx.hash };
  }

  async currentRoot(): Promise<bigint | null> {
    const issuer = await this.registry.issuer(this.issuerId);
    return issuer.currentRoot === 0n ? null : issuer.currentRoot;
  }
}
