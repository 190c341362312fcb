/**
 * @zkkyc/relayer — registers a wallet at a ComplianceGate with the wallet's EIP-712 consent and pays
 * the gas, so a holder with no ETH can register (relayer/README.md). Clients use `RelayerClient` and
 * `signRegistrationConsent` from @zkkyc/sdk.
 */
export { ApiError } from './api-error.js';
export { ConfigError, DEFAULT_BATCH, DEFAULT_LIMITS, loadRelayerConfig, type BatchSettings, type RelayerConfig, type RelayerLimits } from './config.js';
export { createRelayer, StartError, type Relayer, type RelayerOptions } from './server.js';
export { loadProofCheck, type ProofCheck } from './services/proof-check.js';
export { parseRegistrationRequest, type RegistrationRequest } from './services/registration-request.js';
export { Batcher, DEADLINE_MARGIN_SECONDS } from './services/batcher.js';
export { RegistrationService, requestView, type RelayedRegistration, type RequestView, type Submission } from './services/registrations.js';
export type { Journal, JournalEntry, JournalOutcome, JournalStatus, RegistrationRequestEntry, RequestStatus } from './store/journal.js';
export { SqliteJournal } from './store/sqlite-journal.js';
