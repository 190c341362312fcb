import { ApiError, invalidField, notFound } from '../api-error.js';
import { StoreConflict, type AuditEventRecord, type IssuerStore, type ScreeningMatchRecord, type ScreeningMatchStatus } from '../store/issuer-store.js';
import type { Clock } from './clock.js';
import { checkReason } from './decision-reason.js';
import { validityEnd, type IdentityRecordVault } from './identity-records.js';
import type { IssuanceService } from './issuance.js';
import type { Actor } from './reviewer-auth.js';

/**
 * Ongoing screening, the issuer's side (issue 11, item 4). The compliance monitor screens every
 * verified person against each sanctions-list import, as KYC providers do; here the issuer hands it
 * the persons and takes back the candidates, and a reviewer decides.
 *
 * 1. **Export** (`exportPersons`, role `screening`): for each active credential, the person the
 *    reviewer verified, opened from its sealed identity record — only the fields screening scores
 *    (names, birth date, issuing country), never the document number. This is personal data leaving
 *    the service, so each export is one audit event (who, how many).
 * 2. **Matches** (`recordMatches`, role `screening`): a batch of candidates, each naming the
 *    credential, the list entry, the score and the reasons. Checked whole before anything is
 *    stored; one that repeats an open match (credential + source + entry uid) is skipped, not
 *    doubled; one for a credential already revoked or expired is stored closed as `moot`.
 * 3. **Decision** (`confirm`, role revoker; `dismiss`, role reviewer, reason required): confirming
 *    revokes the credential through IssuanceService.revoke — the same transaction closes the match,
 *    the leaf becomes zero, and the publisher anchors the next root as for any revocation.
 *    A match whose credential has meanwhile ended is closed as `moot` instead.
 */

/** The person as screening needs it: the compliance monitor's `ScreenedPerson`. */
export interface ScreenedPerson {
  credentialId: string;
  familyName: string;
  givenNames: string;
  birthDate: string;
  issuingCountry?: string;
}

/** One candidate as the monitor posts it (its `ScreeningMatch`). */
export interface ScreeningMatchInput {
  credentialId: string;
  source: string;
  entryUid: string;
  entryName: string;
  matchedName: string;
  score: number;
  /**
   * Why the scorer matched, as factors and their weights. The scorer's free-text `detail` quotes
   * the verified person (name, birth date, document country) and is not kept: the queue must not
   * become a second, unsealed copy of the identity record that outlives its retention.
   */
  reasons: Array<{ factor: string; effect: number; detail?: string }>;
}

export const MAX_MATCHES_PER_BATCH = 500;

export class ScreeningService {
  constructor(private readonly deps: { store: IssuerStore; records: IdentityRecordVault; clock: Clock; issuance: IssuanceService }) {}

  /** A credential that is revoked, or past its expiry day, cannot be revoked by a match: the match is moot. */
  private async credentialEnded(credentialId: string): Promise<boolean> {
    const c = await this.deps.store.getCredential(credentialId);
    return !c || c.status !== 'active' || validityEnd(c.expiryDate) <= this.deps.clock.now();
  }

  /**
   * The active credentials' verified persons, a page of credentials at a time in leaf order, after
   * the leaf index `after` (null: from the start); one audit event per call. Keyset paging: a
   * credential revoked while a screening run pages through cannot shift the pages under it and
   * make the run skip a person, as an offset would.
   */
  async exportPersons(actor: Actor, page: { after: number | null; limit: number }): Promise<{ persons: ScreenedPerson[]; nextAfter: number | null }> {
    const { store, records, clock } = this.deps;
    const persons: ScreenedPerson[] = [];
    const now = clock.now();
    const credentials = await store.listActiveCredentialIds({ afterLeafIndex: page.after, limit: page.limit });
    for (const { id } of credentials) {
      const row = await store.getIdentityRecord(id);
      if (!row || row.sealed === null) continue; // issued before records existed, or purged
      const credential = await store.getCredential(id);
      if (!credential || validityEnd(credential.expiryDate) <= now) continue;
      const person = records.open(row).person;
      if (!person) continue; // dev auto-approvals are bound to nobody
      persons.push({ credentialId: id, familyName: person.familyName, givenNames: person.givenNames, birthDate: person.birthDate, issuingCountry: person.issuingCountry });
    }
    await store.recordAudit({
      at: now,
      actor: actor.name,
      role: actor.role,
      action: 'screening-export',
      subjectType: 'screening-match',
      subjectId: null,
      detail: { persons: persons.length, after: page.after, limit: page.limit },
    });
    // A page can hold fewer persons than credentials (unbound, purged, expired): the cursor is the
    // last credential's leaf index, and null once the credentials ran out.
    return { persons, nextAfter: credentials.length < page.limit ? null : credentials[credentials.length - 1].leafIndex };
  }

  /** Stores a batch of candidates (checked whole first); returns the stored ones and how many repeated an open match. */
  async recordMatches(input: ScreeningMatchInput[], actor: Actor): Promise<{ stored: ScreeningMatchRecord[]; duplicates: number }> {
    const { store, clock } = this.deps;
    for (const [i, m] of input.entries()) {
      if (!(await store.getCredential(m.credentialId))) {
        throw invalidField(`matches[${i}].credentialId`, 'known-credential', `no credential ${m.credentialId} at this issuer`);
      }
    }
    const now = clock.now();
    const rows: Array<Omit<ScreeningMatchRecord, 'id'>> = [];
    for (const m of input) {
      const ended = await this.credentialEnded(m.credentialId);
      rows.push({
        credentialId: m.credentialId,
        source: m.source,
        entryUid: m.entryUid,
        entryName: m.entryName,
        matchedName: m.matchedName,
        score: m.score,
        reasons: m.reasons.map((r) => ({ factor: r.factor, effect: r.effect })),
        status: ended ? 'moot' : 'open',
        reportedBy: actor.name,
        reportedAt: now,
        decidedBy: ended ? actor.name : null,
        decidedAt: ended ? now : null,
        decisionReason: ended ? 'credential already revoked or expired when the match arrived' : null,
      });
    }
    return store.recordScreeningMatches(rows, (m) => ({
      at: now,
      actor: actor.name,
      role: actor.role,
      action: 'screening-match',
      subjectType: 'screening-match',
      subjectId: String(m.id),
      detail: { credentialId: m.credentialId, source: m.source, entryUid: m.entryUid, score: m.score, status: m.status },
    }));
  }

  list(q: { status?: ScreeningMatchStatus; offset: number; limit: number }): Promise<ScreeningMatchRecord[]> {
    return this.deps.store.listScreeningMatches(q);
  }

  private async openMatch(id: number): Promise<ScreeningMatchRecord> {
    const m = await this.deps.store.getScreeningMatch(id);
    if (!m) throw notFound('screening match');
    if (m.status !== 'open') throw new ApiError(409, 'match_not_open', `screening match ${id} is already ${m.status}`, 'id');
    return m;
  }

  /**
   * Confirms a match: revokes its credential (reason naming the list and entry) and closes the match,
   * in one transaction. A credential that has ended meanwhile makes the match moot instead.
   */
  async confirm(id: number, reason: string | undefined, actor: Actor): Promise<ScreeningMatchRecord> {
    if (reason !== undefined) checkReason(reason);
    const m = await this.openMatch(id);
    if (await this.credentialEnded(m.credentialId)) return this.closeMoot(m, actor);
    const why = `sanctions screening: ${m.source} entry ${m.entryUid} (${m.entryName}), match ${m.id}${reason ? ` — ${reason}` : ''}`;
    const now = this.deps.clock.now();
    try {
      await this.deps.issuance.revoke(m.credentialId, why, actor, {
        closeMatch: { id: m.id, status: 'confirmed', decidedBy: actor.name, decidedAt: now, reason: reason ?? why },
        audit: this.decisionAudit(m, actor, 'screening-confirm', now, reason ?? why),
      });
    } catch (err) {
      throw translate(err);
    }
    return (await this.deps.store.getScreeningMatch(id)) as ScreeningMatchRecord;
  }

  /** Dismisses a match (not the listed person): the credential stays; the reason is recorded. */
  async dismiss(id: number, reason: string, actor: Actor): Promise<ScreeningMatchRecord> {
    checkReason(reason);
    const m = await this.openMatch(id);
    if (await this.credentialEnded(m.credentialId)) return this.closeMoot(m, actor);
    const now = this.deps.clock.now();
    try {
      await this.deps.store.closeScreeningMatch({ id, status: 'dismissed', decidedBy: actor.name, decidedAt: now, reason }, [this.decisionAudit(m, actor, 'screening-dismiss', now, reason)]);
    } catch (err) {
      throw translate(err);
    }
    return (await this.deps.store.getScreeningMatch(id)) as ScreeningMatchRecord;
  }

  private async closeMoot(m: ScreeningMatchRecord, actor: Actor): Promise<ScreeningMatchRecord> {
    const now = this.deps.clock.now();
    const reason = 'credential already revoked or expired';
    try {
      await this.deps.store.closeScreeningMatch({ id: m.id, status: 'moot', decidedBy: actor.name, decidedAt: now, reason }, [this.decisionAudit(m, actor, 'screening-moot', now, reason)]);
    } catch (err) {
      throw translate(err);
    }
    return (await this.deps.store.getScreeningMatch(m.id)) as ScreeningMatchRecord;
  }

  private decisionAudit(m: ScreeningMatchRecord, actor: Actor, action: AuditEventRecord['action'], at: number, reason: string): AuditEventRecord {
    return {
      at,
      actor: actor.name,
      role: actor.role,
      action,
      subjectType: 'screening-match',
      subjectId: String(m.id),
      detail: { credentialId: m.credentialId, source: m.source, entryUid: m.entryUid, reason },
    };
  }
}

function translate(err: unknown): unknown {
  if (err instanceof StoreConflict && err.reason === 'match_not_open') return new ApiError(409, 'match_not_open', err.message, 'id');
  return err;
}
