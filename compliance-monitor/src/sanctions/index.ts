/**
 * Sanctions lists (issue 11, item 4): parse the OFAC SDN and EU consolidated XML files, import them
 * with a diff and a removal limit, push their Ethereum addresses to the on-chain SanctionsList, and
 * screen verified persons against their entries. The CLI is cli.ts.
 */
export * from './entries.js';
export { parseOfacSdn } from './ofac-sdn.js';
export { parseEuConsolidated } from './eu-consolidated.js';
export { countryCode } from './countries.js';
export { nameVariants, nameTokens, looseKey, jaroWinkler, tokenSimilarity } from './names.js';
export * from './store.js';
export * from './imports.js';
export * from './chain-push.js';
export * from './screening.js';
export { runSanctionsCli, type CliIo } from './cli.js';
