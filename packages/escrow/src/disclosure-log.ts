import { EscrowError } from './errors.js';
import { pointsEqual, type Point } from './group.js';
import type { Ciphertext } from './leaf-index-encryption.js';

/**
 * The rule that comes before any decryption: a disclosure request is first recorded in the on-chain
 * disclosure log (rate-limited, public), and an auditor refuses to contribute a partial decryption
 * for a request that is not there. The log is what makes the escrow accountable: every opening leaves
 * a public trace that names who asked and why, before anyone can act on it.
 *
 * The auditor's tooling depends on the capability, not on a chain client: a {@link DisclosureLogCheck}
 * answers "is this request, for this ciphertext under this key, in the log?". The CLI's default is
 * `ChainDisclosureLogCheck` (disclosure-log-chain.ts), which reads the DisclosureLog contract; the
 * log entry file ({@link LogEntryFileCheck}) remains as an offline alternative, used only when named.
 */

/** What an auditor is asked to decrypt. */
export interface DisclosureQuery {
  request: string;
  publicKey: Point;
  ciphertext: Ciphertext;
  /** The auditor's index. */
  auditor: number;
}

/** Answers whether a disclosure request is recorded in the disclosure log. */
export interface DisclosureLogCheck {
  /** Resolves if `query` is recorded; rejects with an EscrowError (rule `disclosure-logged`) if not. */
  assertLogged(query: DisclosureQuery): Promise<void>;
}

/**
 * A disclosure log entry as a file: the offline alternative for an auditor without an RPC node. The
 * file proves nothing by itself — whoever hands it over vouches that its request is in the on-chain
 * log (docs/disclosure-log.md); what the check needs from it is the request reference, the escrow
 * key and the ciphertext it concerns.
 */
export interface DisclosureLogEntry {
  request: string;
  publicKey: Point;
  ciphertext: Ciphertext;
}

/** Accepts a query only when it matches the given log entry in request, key and ciphertext. */
export class LogEntryFileCheck implements DisclosureLogCheck {
  constructor(private readonly entry: DisclosureLogEntry) {}

  async assertLogged(query: DisclosureQuery): Promise<void> {
    const { entry } = this;
    if (entry.request !== query.request) {
      throw new EscrowError('request', 'disclosure-logged', `"${query.request}" is not the request in the log entry ("${entry.request}")`);
    }
    if (!pointsEqual(entry.publicKey, query.publicKey)) {
      throw new EscrowError('request', 'disclosure-logged', `"${query.request}" is logged for another escrow key`);
    }
    if (!pointsEqual(entry.ciphertext.R, query.ciphertext.R) || entry.ciphertext.c !== query.ciphertext.c) {
      throw new EscrowError('request', 'disclosure-logged', `"${query.request}" is logged for another ciphertext`);
    }
  }
}

/**
 * Accepts every request. For tests and local experiments only: it is never the CLI's default and no
 * CLI flag selects it; a program must pass it in explicitly.
 */
export const permissiveDisclosureLogCheck: DisclosureLogCheck = {
  async assertLogged(): Promise<void> {},
};
