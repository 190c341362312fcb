/**
 * What `npm run wallet` prints once everything is up: where each part listens and what a new user
 * types where — the wallet, the issuer's API and its reviewer console with the dev reviewer keys
 * (public, dev mode only), the chain, the relayer.
 */
export interface DemoBannerFacts {
  walletUrl: string;
  issuerUrl: string;
  /** The issuer's reviewer console (issuer-service/console, served at /console/). */
  consoleUrl: string;
  /** The reviewer keys the dev issuer accepts (its own public dev key unless REVIEWER_API_KEYS names others). */
  reviewers: ReadonlyArray<{ name: string; apiKey: string }>;
  rpcUrl: string;
  chainId: string | number | bigint;
  relayer: { url: string; address: string };
  counterparty?: { symbol: string; address: string };
  escrow?: { symbol: string; publicKey: readonly [bigint, bigint] };
}

export function demoBanner(facts: DemoBannerFacts): string[] {
  const keys = facts.reviewers.map((r) => `${r.apiKey} (${r.name})`).join(', ') || 'none configured';
  const lines = [
    '',
    `  Wallet:   ${facts.walletUrl}`,
    `  Issuer:   ${facts.issuerUrl}  (API docs ${facts.issuerUrl}/docs)`,
    `  Console:  ${facts.consoleUrl}  (the issuer's reviewers: applications, credentials; reviewer key ${keys})`,
    `  Chain:    ${facts.rpcUrl}  (chain id ${facts.chainId})`,
    `  Relayer:  ${facts.relayer.url}  (pays registrations from ${facts.relayer.address}, with the wallet's signed consent)`,
  ];
  if (facts.counterparty) lines.push(`  Verified recipient for ${facts.counterparty.symbol}: ${facts.counterparty.address}`);
  if (facts.escrow) {
    const [x, y] = facts.escrow.publicKey;
    lines.push(`  Escrow key of ${facts.escrow.symbol}'s policy (secret held by the demo): (${x}, ${y})`);
  }
  lines.push('  Ctrl-C to stop.');
  return lines;
}
