import type { IssuerStore, RetentionPurge } from '../store/issuer-store.js';
import type { Clock } from './clock.js';

/**
 * How long the issuer keeps what it no longer needs, and the purge that enforces it.
 *
 * - A used challenge documents one proof of DID control. While an application references it, it
 *   stays with the application; a used challenge no application references (a token recovery's)
 *   goes `usedChallengeDays` after its use. Unused challenges go as soon as they expire.
 * - A rejected application (the applicant's claimed attributes, its decisions, its proposals and
 *   its challenge) goes `rejectedApplicationDays` after the rejection, and the detail of its audit
 *   events (proposed attributes, reasons) is replaced by `{ "purged": true }`: who did what and when
 *   stays in the audit trail, what they said about the applicant does not. Record-keeping rules for refused onboarding
 *   differ by jurisdiction; the default of five years follows the usual AML retention period —
 *   set it to what yours requires.
 * - A credential's verified identity record (services/identity-records.ts) is kept
 *   `identityRecordDays` after the credential ended — revoked (a replacement included), or past
 *   its expiry date, whichever came first — the AML record-keeping period, five years by default,
 *   and never under a year (config.ts, `MIN_IDENTITY_RECORD_RETENTION_DAYS`): a registration stays
 *   current at the gate up to its policy's ttl after the credential ended, and must not outlive it.
 *   The purge deletes the sealed record and keeps the row's credential id, leaf index and purge
 *   time (a disclosure of it then answers 410), and writes a `purge-identity-record` audit event
 *   per record in the same transaction.
 * - Pending and approved applications, credentials, leaves and root publications are never purged:
 *   the tree and the chain depend on them, and revocation must stay possible.
 *
 * The purge runs once at start and then every `intervalSeconds` (0 = only at start).
 */
export interface RetentionPolicy {
  usedChallengeDays: number;
  rejectedApplicationDays: number;
  intervalSeconds: number;
  /** Days an identity record is kept after its credential ended (`IDENTITY_RECORD_RETENTION_DAYS`); unset = 1826. */
  identityRecordDays?: number;
}

export const DEFAULT_IDENTITY_RECORD_DAYS = 1826;

export const DEFAULT_RETENTION: RetentionPolicy = { usedChallengeDays: 30, rejectedApplicationDays: 1826, intervalSeconds: 3600 };

const DAY_MS = 86_400_000;

export class RetentionPurger {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<RetentionPurge> | null = null;

  constructor(
    private readonly deps: {
      store: IssuerStore;
      clock: Clock;
      policy: RetentionPolicy;
      /** Where a failed periodic purge is reported (it is retried at the next tick). */
      log?: (message: string, detail: unknown) => void;
    },
  ) {}

  /** Deletes everything past its retention period now; concurrent calls share one run. */
  purgeNow(): Promise<RetentionPurge> {
    if (this.running) return this.running;
    const { store, clock, policy } = this.deps;
    const now = clock.now();
    this.running = store
      .purgeRetained({
        now,
        usedChallengesBefore: now - policy.usedChallengeDays * DAY_MS,
        rejectedBefore: now - policy.rejectedApplicationDays * DAY_MS,
        identityRecordsEndedBefore: now - (policy.identityRecordDays ?? DEFAULT_IDENTITY_RECORD_DAYS) * DAY_MS,
      })
      .finally(() => {
        this.running = null;
      });
    return this.running;
  }

  /** Starts the periodic purge (not the one at start: the caller awaits `purgeNow()` for that). */
  start(): void {
    const every = this.deps.policy.intervalSeconds;
    if (every <= 0 || this.timer) return;
    this.timer = setInterval(() => {
      this.purgeNow().then(
        (purged) => {
          if (purged.challenges + purged.applications + (purged.identityRecords ?? 0) > 0) this.deps.log?.('retention purge', purged);
        },
        (err) => this.deps.log?.('retention purge failed; retried at the next interval', err),
      );
    }, every * 1000);
    this.timer.unref();
  }

  /** Stops the timer and waits for a purge in progress. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.running?.catch(() => undefined);
  }
}
