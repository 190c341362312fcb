import { randomUUID } from 'node:crypto';
import { decodePoint, EscrowError, maskFromSharedPoint, SNARK_FIELD, type Point } from '@zkkyc/escrow';
import { ApiError, invalidField } from '../api-error.js';
import type { DisclosureConfig } from '../config.js';
import { StoreConflict, type AuditEventRecord, type CredentialRecord, type DisclosureRecord, type IssuerStore } from '../store/issuer-store.js';
import type { Clock } from './clock.js';
import type { DisclosureChain, ResolvedDisclosureRequest } from './disclosure-chain.js';
import type { IdentityRecord, IdentityRecordVault } from './identity-records.js';
import type { Actor } from './reviewer-auth.js';

/**
 * Disclosure at the issuer (DESIGN §9; docs/issuer-service.md, "Disclosure"). A disclosure officer
 * who was given a disclosure request logged on chain, and the shared point `K = r·E` the escrow
 * key's holders computed for its registration, asks for the identity record behind the leaf the
 * ciphertext encrypts. The service gives it only when the chain says the request is real and open,
 * names a registration the configured gate emitted under this issuer's published root, and the
 * ciphertext in that registration decrypts with `K` to exactly that leaf — so the officer cannot
 * ask for a leaf of its choosing. Every disclosure is recorded (table `disclosures`, and the audit
 * trail without personal data), and every answer, a repeat included, rests on what the chain says
 * at that moment.
 */

/** POST /disclosures, as the route's schema admits it (types checked; values checked here). */
export interface DisclosureInput {
  request: { chainId: number; log: string; id: string };
  sharedPoint: [string, string];
  leafIndex: string;
}

export interface DisclosureResult {
  disclosure: DisclosureRecord;
  record: IdentityRecord;
  credential: CredentialRecord;
}

const DECIMAL = /^(0|[1-9][0-9]*)$/;
const LEAF_INDEX_BOUND = 1n << 32n;
const UINT256_BOUND = 1n << 256n;

export class DisclosureService {
  constructor(
    private readonly deps: {
      store: IssuerStore;
      records: IdentityRecordVault;
      clock: Clock;
      /** This service's issuer id in the IssuerRegistry (`ISSUER_TREE_ID`). */
      issuerId: string;
      /** Unset: disclosure is not configured, and every request answers 503. */
      config?: DisclosureConfig;
      chain: DisclosureChain | null;
    },
  ) {}

  /** 503 `disclosure_not_configured` unless a log and a chain reader are configured. */
  assertConfigured(): { config: DisclosureConfig; chain: DisclosureChain } {
    const { config, chain } = this.deps;
    if (!config || !chain) {
      throw new ApiError(503, 'disclosure_not_configured', 'this service has no disclosure log configured (DISCLOSURE_RPC_URL, DISCLOSURE_LOG_ADDRESS)');
    }
    return { config, chain };
  }

  /**
   * Checks the request (see the class comment and docs/issuer-service.md for the order), records
   * the disclosure and returns it with the identity record. The same officer asking again for the
   * same log entry gets the same disclosure back (no second row), after the same checks on chain:
   * the entry must still be open, confirmed, from the configured gate, and name what was recorded
   * the first time — a request cancelled (or dropped by a reorg) since is not answered again.
   */
  async disclose(input: DisclosureInput, officer: Actor): Promise<DisclosureResult> {
    const { config, chain } = this.assertConfigured();
    const { store } = this.deps;

    // 1. The input, before anything is read: refused with the field and the rule.
    const log = input.request.log.toLowerCase();
    if (log !== config.logAddress) {
      throw invalidField('request.log', 'configured-log', `request.log ${input.request.log} is not the disclosure log this service serves (${config.logAddress})`);
    }
    const requestId = decimal(input.request.id, 'request.id', 1n, UINT256_BOUND, 'a request id, 1 ≤ id < 2^256');
    const K = sharedPoint(input.sharedPoint);
    const leafIndex = Number(decimal(input.leafIndex, 'leafIndex', 0n, LEAF_INDEX_BOUND, 'a leaf index, 0 ≤ leafIndex < 2^32'));
    const where = { chainId: String(input.request.chainId), logAddress: log, requestId: requestId.toString() };

    // 2. One leaf per request; a repeat by the same officer will answer with the disclosure of the first.
    const earlier = await store.disclosuresForRequest(where);
    const otherLeaf = earlier.find((d) => d.leafIndex !== leafIndex);
    if (otherLeaf) {
      throw new ApiError(409, 'disclosure_conflict', `request ${requestId} was disclosed for another leaf; a request names one registration, so one leaf`, 'leafIndex', 'one-leaf-per-request');
    }
    const mine = earlier.find((d) => d.officer === officer.name);

    // 3. The chain, for a repeat too: the log entry (still open and confirmed) and its registration
    // (services/disclosure-chain.ts).
    const resolved = await chain.resolve({ chainId: input.request.chainId, log, id: requestId });
    // 4. The registration's events came from the configured gate, not from whatever the log names.
    if (resolved.gate.toLowerCase() !== config.gateAddress.toLowerCase()) {
      throw new ApiError(
        503,
        'disclosure_gate_mismatch',
        `the disclosure log ${log} names gate ${resolved.gate.toLowerCase()}, not the configured ${config.gateAddress.toLowerCase()} (DISCLOSURE_GATE_ADDRESS): its registrations cannot be trusted`,
        'request.log',
        'configured-gate',
      );
    }
    // 5. A repeat: the entry still names what was disclosed (a reorg may have put another request under the id).
    if (mine) assertSameEntry(mine, resolved);
    // 6. The registration is under this issuer and a root this service published.
    if (resolved.issuerId.toString() !== this.deps.issuerId) {
      throw new ApiError(
        422,
        'other_issuer',
        `the registration of request ${requestId} was proven under issuer ${resolved.issuerId}, not this service's issuer ${this.deps.issuerId}`,
        'request.id',
        'this-issuer',
      );
    }
    const publication = await store.findRootPublication(resolved.root.toString());
    if (!publication) {
      throw new ApiError(
        422,
        'root_not_published',
        `the registration of request ${requestId} was proven against root ${resolved.root}, which this service never published`,
        'request.id',
        'published-root',
      );
    }
    // 7. The shared point opens the registration's ciphertext to exactly this leaf, inside that root.
    assertDecrypts(resolved.escrowC, K, leafIndex);
    if (leafIndex >= publication.leafCount) {
      throw new ApiError(422, 'leaf_not_in_root', `leaf ${leafIndex} is not among the ${publication.leafCount} leaves of root ${resolved.root}`, 'leafIndex', 'in-root');
    }
    // 8. The record, then the disclosure (a repeat: the first one, and an audit event for the look).
    const { credential, record } = await this.openRecord(leafIndex);
    if (mine) {
      await store.recordAudit(audit(mine, officer, resolved, true, this.deps.clock.now()));
      return { disclosure: mine, record, credential };
    }
    const disclosure: DisclosureRecord = {
      id: randomUUID(),
      officer: officer.name,
      chainId: where.chainId,
      logAddress: log,
      requestId: where.requestId,
      policyId: resolved.policyId.toString(),
      caseRefHash: resolved.caseRefHash,
      registrationTx: resolved.registrationTx,
      registrationLogIndex: resolved.registrationLogIndex,
      escrowC: resolved.escrowC.toString(),
      leafIndex,
      credentialId: credential.id,
      disclosedAt: this.deps.clock.now(),
    };
    try {
      await store.recordDisclosure(disclosure, audit(disclosure, officer, resolved, false));
    } catch (err) {
      // The same officer's identical request won a race: answer with its disclosure.
      if (err instanceof StoreConflict && err.reason === 'disclosure_exists') {
        const winner = (await store.disclosuresForRequest(where)).find((d) => d.officer === officer.name);
        if (winner && winner.leafIndex === leafIndex) return { disclosure: winner, record, credential };
      }
      throw err;
    }
    return { disclosure, record, credential };
  }

  /** Recorded disclosures, oldest first: no personal data. */
  list(q: { offset: number; limit: number }): Promise<DisclosureRecord[]> {
    return this.deps.store.listDisclosures(q);
  }

  private async openRecord(leafIndex: number): Promise<{ credential: CredentialRecord; record: IdentityRecord }> {
    const credential = await this.deps.store.getCredentialByLeafIndex(leafIndex);
    if (!credential) throw new ApiError(404, 'identity_record_missing', `no credential holds leaf ${leafIndex}`, 'leafIndex', 'issued-leaf');
    const row = await this.deps.store.getIdentityRecord(credential.id);
    if (!row) {
      throw new ApiError(404, 'identity_record_missing', `credential ${credential.id} (leaf ${leafIndex}) was issued before identity records were kept`, 'leafIndex', 'has-record');
    }
    if (row.sealed === null) {
      throw new ApiError(
        410,
        'identity_record_purged',
        `the identity record of credential ${credential.id} (leaf ${leafIndex}) was deleted on ${new Date(row.purgedAt ?? 0).toISOString()}, past its retention period (IDENTITY_RECORD_RETENTION_DAYS)`,
        'leafIndex',
        'retention',
      );
    }
    return { credential, record: this.deps.records.open(row) };
  }
}

/** A canonical decimal in [min, bound), or 400 naming `field`. */
function decimal(value: string, field: string, min: bigint, bound: bigint, what: string): bigint {
  if (!DECIMAL.test(value) || value.length > 78) throw invalidField(field, 'decimal', `${field} must be a canonical decimal string (digits only, no sign, no leading zero)`);
  const v = BigInt(value);
  if (v < min || v >= bound) throw invalidField(field, 'range', `${field} must be ${what}`);
  return v;
}

/** `K`: a canonical point of Baby Jubjub's prime-order subgroup, not the identity (docs/escrow.md §1). */
function sharedPoint(value: [string, string]): Point {
  try {
    return decodePoint(value, 'sharedPoint');
  } catch (err) {
    if (err instanceof EscrowError) throw invalidField(err.field, err.rule, err.message.replace(/ \(rule: [^)]*\)$/, ''));
    throw err;
  }
}

/**
 * `leafIndex == (c − Poseidon2(K.x, K.y)) mod p` — docs/escrow.md §3's decryption. Finding another
 * `K` that opens the same `c` to another leaf would need a Poseidon preimage, so this pins the leaf
 * to the logged registration.
 */
function assertDecrypts(escrowC: bigint, K: Point, leafIndex: number): void {
  const m = (((escrowC - maskFromSharedPoint(K)) % SNARK_FIELD) + SNARK_FIELD) % SNARK_FIELD;
  if (m !== BigInt(leafIndex)) {
    throw new ApiError(
      422,
      'leaf_index_mismatch',
      `sharedPoint does not open the registration's ciphertext to leaf ${leafIndex} (c − Poseidon(K) mod p is ${m < LEAF_INDEX_BOUND ? `leaf ${m}` : 'not a leaf index: K is not r·E for this ciphertext'})`,
      'leafIndex',
      'decrypts-ciphertext',
    );
  }
}

/**
 * A repeat's log entry must still be the one disclosed: the fields its entry hash covers (policy,
 * registration, case) and the ciphertext. The reader has checked the entry hash against the event.
 */
function assertSameEntry(d: DisclosureRecord, resolved: ResolvedDisclosureRequest): void {
  const now = [resolved.policyId.toString(), resolved.registrationTx.toLowerCase(), resolved.registrationLogIndex, resolved.caseRefHash.toLowerCase(), resolved.escrowC.toString()];
  const then = [d.policyId, d.registrationTx.toLowerCase(), d.registrationLogIndex, d.caseRefHash.toLowerCase(), d.escrowC];
  if (now.some((v, i) => v !== then[i])) {
    throw new ApiError(
      409,
      'request_changed',
      `disclosure request ${d.requestId} no longer names what was disclosed on ${new Date(d.disclosedAt).toISOString()} (policy, registration, case or ciphertext differ: a reorg may have replaced it)`,
      'request.id',
      'recorded-entry',
    );
  }
}

/** The audit event of a disclosure: which entry, which leaf and credential; never the person. */
function audit(d: DisclosureRecord, officer: Actor, resolved: ResolvedDisclosureRequest, repeat: boolean, at = d.disclosedAt): AuditEventRecord {
  return {
    at,
    actor: officer.name,
    role: officer.role,
    action: 'disclose',
    subjectType: 'credential',
    subjectId: d.credentialId,
    detail: {
      disclosureId: d.id,
      chainId: d.chainId,
      log: d.logAddress,
      requestId: d.requestId,
      policyId: d.policyId,
      caseRefHash: d.caseRefHash,
      registrationTx: d.registrationTx,
      leafIndex: d.leafIndex,
      requester: resolved.requester.toLowerCase(),
      repeat,
    },
  };
}
