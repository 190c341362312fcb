/**
 * @zkkyc/escrow — accountable privacy (DESIGN §9, docs/escrow.md): a registration proof encrypts the
 * holder credential's leaf index to a policy's escrow key on Baby Jubjub, and only the key's holder —
 * the transfer agent, or any k of n auditors who made the key together — can open it, each opening
 * for a named disclosure request.
 */
export { EscrowError } from './errors.js';
export {
  addPoints,
  assertScalar,
  assertSubgroupPoint,
  BASE8,
  IDENTITY,
  multiply,
  multiplyBase,
  pointFromX,
  pointsEqual,
  randomScalar,
  SNARK_FIELD,
  sqrtModP,
  SUBGROUP_ORDER,
  type Point,
} from './group.js';
export { decodeFieldElement, decodePoint, decodeScalar, encodeInteger, encodePoint } from './encoding.js';
export {
  assertCiphertext,
  assertLeafIndex,
  decryptLeafIndex,
  encryptLeafIndex,
  LEAF_INDEX_BOUND,
  leafIndexFromSharedPoint,
  maskFromSharedPoint,
  type Ciphertext,
  type LeafIndexEncryption,
} from './leaf-index-encryption.js';
export { generateSingleKey, publicKeyOf, type EscrowKeyPair } from './single-key.js';
export { proveEqualLogs, verifyEqualLogs, equalLogChallenge, type EqualLogProof, type EqualLogStatement } from './chaum-pedersen.js';
export { evaluatePolynomial, lagrangeCoefficientsAtZero, randomPolynomial } from './shamir.js';
export { commitToPolynomial, committedSharePoint, shareMatchesCommitments } from './feldman.js';
export { openShare, sealShare, type SealedShare, type ShareContext } from './share-transport.js';
export {
  deal,
  finalizeDkg,
  judgeComplaint,
  MAX_PARTICIPANTS,
  publicFaultOf,
  qualifiedDealers,
  receiveDealings,
  receiveShare,
  rosterOf,
  startDkg,
  thresholdPublicKey,
  type Announcement,
  type Complaint,
  type Dealing,
  type Disqualification,
  type KeyShare,
  type ParticipantSecrets,
  type ReceivedShare,
  type Roster,
  type ThresholdPublicKey,
} from './dkg.js';
export { assertRequestReference, createPartialDecryption, MAX_REQUEST_BYTES, partialStatement, verifyPartialDecryption, type PartialDecryption } from './partial-decryption.js';
export { combine, interpolateSharedPoint, type CombineResult, type RejectedPartial } from './combine.js';
export { LogEntryFileCheck, permissiveDisclosureLogCheck, type DisclosureLogCheck, type DisclosureLogEntry, type DisclosureQuery } from './disclosure-log.js';
export {
  assertDisclosureSubject,
  ChainDisclosureLogCheck,
  DISCLOSURE_LOG_ABI,
  disclosureEntryHash,
  disclosureRequestReference,
  gateOfLog,
  parseDisclosureRequestReference,
  type ChainDisclosureLogCheckOptions,
  registrationCiphertextOfRequest,
  type DisclosureLogLocation,
  type DisclosureSubject,
} from './disclosure-log-chain.js';
export { openRequestsOf, recordDisclosureRequest, type LoggedDisclosureRequest, type OpenRequests } from './disclosure-requests.js';
export { assertCaseReference, assertCaseSalt, CASE_HASH_TAG, caseRefHash, derivedCaseSalt, randomCaseSalt } from './case-hash.js';
export {
  assertPolicyEscrowKey,
  ciphertextFromReceipt,
  ciphertextOfEvent,
  decodeEscrowCiphertext,
  ESCROW_CIPHERTEXT_TOPIC,
  GATE_ABI,
  INVESTOR_TAG_MASK,
  readPolicyEscrowKey,
  readRegistration,
  readRegistrationCiphertext,
  registrationFromReceipt,
  WALLET_REVOKED_TOPIC,
  WALLET_VERIFIED_TOPIC,
  type EscrowCiphertextEvent,
  type RegistrationPointer,
} from './gate-events.js';
export {
  assertRegistrationEscrowKey,
  keyInForceAt,
  POLICY_ESCROW_KEY_SET_TOPIC,
  policyEscrowKeyAt,
  readPolicyEscrowKeyHistory,
  type ChainPosition,
  type PolicyEscrowKeyVersion,
} from './escrow-key-history.js';
export { readRegistrations, readTokenHolders, type BlockRange, type GateRegistration, type TokenHolders, type WalletRegistrations } from './holders-chain.js';
export {
  disclosureRequestBody,
  HttpIssuerDisclosures,
  parseIssuerDisclosure,
  type DisclosedRecord,
  type IssuerDisclosure,
  type IssuerDisclosureQuery,
  type IssuerDisclosures,
} from './issuer-disclosure.js';
export {
  buildRegisterOfHolders,
  groupHolders,
  personKeyOf,
  type RegisterHolder,
  type RegisterOfHolders,
  type RegisterOfHoldersOptions,
  type RegisterWallet,
  type WalletStatus,
} from './register-of-holders.js';
export { csvField, escapeHtml, formatAmount, registerCsv, registerHtml } from './register-writers.js';
export { writePrivateText } from './json-files.js';
export * from './documents.js';
