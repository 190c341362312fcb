/**
 * @zkkyc/relayer — registers a wallet at a ComplianceGate with the wallet's EIP-712 consent and pays
 * the gas, so a holder with no ETH can register (relayer/README.md). Clients use `RelayerClient` and
 * `signRegistrationConsent` from @zkkyc/sdk.
 */
export { ApiError } from './api-error.js';
export { ConfigError, DEFAULT_LIMITS, loadRelayerConfig, type RelayerConfig, type RelayerLimits } from './config.js';
export { createRelayer, StartError, type Relayer, type RelayerOptions } from './server.js';
export { loadProofCheck, type ProofCheck } from './services/proof-check.js';
export { parseRegistrationRequest, type RegistrationRequest } from './services/registration-request.js';
export { RegistrationService, type RelayedRegistration } from './services/registrations.js';
export type { Journal, JournalEntry, JournalOutcome, JournalStatus } from './store/journal.js';
export { SqliteJournal } from './store/sqlite-journal.js';
