/**
 * Where the issuer's tree root is anchored — on-chain, the IssuerRegistry contract. The service
 * depends on this capability, not on a chain client: the lead wires it to the registry through
 * `@zkkyc/sdk`, and anything else that can publish a root and report the current one fits.
 */
export interface RootAnchor {
  /** Publishes `root` as the issuer's current root, covering `leafCount` appended leaves. */
  publishRoot(root: bigint, leafCount: number): Promise<{ txHash: string }>;
  /** The root currently anchored for this issuer, or null if none was ever published. */
  currentRoot(): Promise<bigint | null>;
  /**
   * Optional: re-confirms `root`, the unchanged current root, when the anchor would otherwise let it
   * go stale (IssuerRegistry's maximum current-root age); null when nothing needed sending.
   */
  confirmIfAging?(root: bigint): Promise<{ txHash: string } | null>;
}
