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

  /**
   * Keeps an unchanged current root acceptable. When the registry gives this issuer a maximum
   * current-root age, a root nobody re-publishes goes stale and new proofs against it are refused;
   * this confirms `root` once half of that age has passed since it was published or last confirmed
   * (so one missed tick still leaves time). Returns null when nothing needed sending: no age limit,
   * still fresh, or `root` is not the current root (a newer publication is the publisher's job).
   */
  async confirmIfAging(root: bigint): Promise<{ txHash: string } | null> {
    const [{ maxCurrentRootAge }, issuer] = await Promise.all([this.registry.rootControls(this.issuerId), this.registry.issuer(this.issuerId)]);
    if (maxCurrentRootAge === 0n || issuer.currentRoot !== root) return null;
    const info = await this.registry.rootInfo(this.issuerId, root);
    const block = await this.registry.runner?.provider?.getBlock('latest');
    const now = BigInt(block?.timestamp ?? Math.floor(Date.now() / 1000));
    if (now < info.confirmedAt + maxCurrentRootAge / 2n) return null;
    const tx = await this.registry.confirmRoot(this.issuerId, root);
    const receipt = await tx.wait();
    if (!receipt || receipt.status !== 1) throw new Error(`root confirmation ${tx.hash} failed`);
    return { txHash: tx.hash };
  }
}
