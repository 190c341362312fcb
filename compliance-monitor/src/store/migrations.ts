/**
 * Numbered schema migrations, one list for SQLite and PostgreSQL. A shipped migration is never
 * edited; changes go in a new, higher-numbered entry. An entry without `postgres` runs its `sql` on
 * both backends — the monitor's schema is written so that it can (text ids made by the store, BIGINT
 * and DOUBLE PRECISION, which SQLite reads as INTEGER and REAL).
 *
 * Amounts, policy ids and tags are decimal or hex strings: they are uint256 on chain.
 */
export interface Migration {
  version: number;
  name: string;
  sql: string;
  postgres?: string;
}

export function migrationSql(m: Migration, dialect: 'sqlite' | 'postgres'): string {
  return dialect === 'postgres' ? (m.postgres ?? m.sql) : m.sql;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'indexer, cases, risk scores, audit trail',
    sql: `
      -- Where the indexer is: the last block it finished (final: confirmations deep), with its hash
      -- so a restart can tell whether the chain it indexed is still the node's chain.
      CREATE TABLE chain_cursor (
        chain_id     BIGINT PRIMARY KEY,
        block_number BIGINT NOT NULL,
        block_hash   TEXT NOT NULL,
        updated_at   BIGINT NOT NULL
      );

      -- Hashes of the blocks indexed (every block with an event, and each batch's last block):
      -- comparing them with the node's finds the fork point of a reorg.
      CREATE TABLE chain_blocks (
        chain_id     BIGINT NOT NULL,
        block_number BIGINT NOT NULL,
        block_hash   TEXT NOT NULL,
        block_time   BIGINT NOT NULL,
        PRIMARY KEY (chain_id, block_number)
      );

      -- Every decoded event of the monitored contracts, once: the primary key is where it sits.
      CREATE TABLE chain_events (
        chain_id     BIGINT NOT NULL,
        tx_hash      TEXT NOT NULL,
        log_index    INTEGER NOT NULL,
        block_number BIGINT NOT NULL,
        block_hash   TEXT NOT NULL,
        block_time   BIGINT NOT NULL,
        address      TEXT NOT NULL,
        source       TEXT NOT NULL CHECK (source IN ('token', 'gate', 'registry', 'sanctions')),
        name         TEXT NOT NULL,
        args_json    TEXT NOT NULL,
        CONSTRAINT chain_events_once PRIMARY KEY (chain_id, tx_hash, log_index)
      );
      CREATE INDEX chain_events_order ON chain_events (chain_id, block_number, log_index);
      CREATE INDEX chain_events_name ON chain_events (name, block_number);
      CREATE INDEX chain_events_time ON chain_events (block_time);

      -- The wallets an event names (any address argument), for look-ups by wallet.
      CREATE TABLE event_wallets (
        chain_id     BIGINT NOT NULL,
        tx_hash      TEXT NOT NULL,
        log_index    INTEGER NOT NULL,
        arg          TEXT NOT NULL,
        wallet       TEXT NOT NULL,
        block_number BIGINT NOT NULL,
        PRIMARY KEY (chain_id, tx_hash, log_index, arg),
        FOREIGN KEY (chain_id, tx_hash, log_index) REFERENCES chain_events (chain_id, tx_hash, log_index) ON DELETE CASCADE
      );
      CREATE INDEX event_wallets_wallet ON event_wallets (wallet, block_number);

      -- Wallet to investor, per gate policy, from WalletVerified (tag = nullifier masked to 192 bits)
      -- and WalletRevoked. A revoked wallet keeps its tag: its history still belongs to that person.
      CREATE TABLE wallet_investors (
        chain_id     BIGINT NOT NULL,
        policy_id    TEXT NOT NULL,
        wallet       TEXT NOT NULL,
        investor_tag TEXT NOT NULL,
        status       TEXT NOT NULL CHECK (status IN ('verified', 'revoked')),
        block_number BIGINT NOT NULL,
        log_index    INTEGER NOT NULL,
        at           BIGINT NOT NULL,
        PRIMARY KEY (chain_id, policy_id, wallet)
      );
      CREATE INDEX wallet_investors_tag ON wallet_investors (investor_tag);
      CREATE INDEX wallet_investors_block ON wallet_investors (block_number);

      -- What the rules found. block_number is the block of the event that completed the pattern:
      -- a reorg below it withdraws the hit.
      CREATE TABLE rule_hits (
        id            TEXT PRIMARY KEY,
        chain_id      BIGINT NOT NULL,
        token         TEXT NOT NULL,
        rule_id       TEXT NOT NULL,
        rules_version TEXT NOT NULL,
        investor_tag  TEXT,
        wallets_json  TEXT NOT NULL,
        severity      TEXT NOT NULL CHECK (severity IN ('low', 'medium', 'high')),
        score         DOUBLE PRECISION NOT NULL,
        summary       TEXT NOT NULL,
        evidence_json TEXT NOT NULL,
        at            BIGINT NOT NULL,
        block_number  BIGINT NOT NULL,
        created_at    BIGINT NOT NULL
      );
      CREATE INDEX rule_hits_subject ON rule_hits (investor_tag, at);
      CREATE INDEX rule_hits_block ON rule_hits (block_number);
      CREATE INDEX rule_hits_time ON rule_hits (at);

      CREATE TABLE cases (
        id           TEXT PRIMARY KEY,
        token        TEXT NOT NULL,
        investor_tag TEXT,
        wallets_json TEXT NOT NULL,
        status       TEXT NOT NULL CHECK (status IN ('open', 'escalated', 'closed')),
        opened_at    BIGINT NOT NULL,
        updated_at   BIGINT NOT NULL
      );
      CREATE INDEX cases_status ON cases (status, opened_at);
      CREATE INDEX cases_subject ON cases (investor_tag);
      CREATE INDEX cases_closed ON cases (updated_at) WHERE status = 'closed';

      CREATE TABLE case_hits (
        case_id TEXT NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
        hit_id  TEXT NOT NULL REFERENCES rule_hits (id) ON DELETE CASCADE,
        PRIMARY KEY (case_id, hit_id)
      );
      CREATE INDEX case_hits_hit ON case_hits (hit_id);

      -- A case's history: opened, notes, status changes, playbook actions, hits joining it.
      CREATE TABLE case_log (
        id        TEXT PRIMARY KEY,
        case_id   TEXT NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
        at        BIGINT NOT NULL,
        kind      TEXT NOT NULL CHECK (kind IN ('opened', 'note', 'status', 'action', 'hit', 'withdrawn')),
        actor     TEXT NOT NULL,
        text      TEXT NOT NULL,
        data_json TEXT
      );
      CREATE INDEX case_log_case ON case_log (case_id, id);

      -- Raw risk score per subject (an investor tag; a wallet address for a wallet never
      -- registered), as of updated_at; the decay is applied on read. All times in this schema are
      -- unix seconds.
      CREATE TABLE risk_scores (
        subject    TEXT PRIMARY KEY,
        score      DOUBLE PRECISION NOT NULL,
        updated_at BIGINT NOT NULL
      );

      -- Consumers' own state (the rule engine's windows and counters), as JSON under a key, written
      -- in the batch's transaction: it is always the state as of the cursor (block_number).
      CREATE TABLE monitor_state (
        key          TEXT PRIMARY KEY,
        value_json   TEXT NOT NULL,
        block_number BIGINT NOT NULL,
        updated_at   BIGINT NOT NULL
      );

      -- Who did what, when: officers' notes and status changes, playbook actions, reorg rewinds.
      CREATE TABLE audit_log (
        id           TEXT PRIMARY KEY,
        at           BIGINT NOT NULL,
        actor        TEXT NOT NULL,
        action       TEXT NOT NULL,
        subject_type TEXT NOT NULL,
        subject_id   TEXT NOT NULL,
        detail_json  TEXT
      );
      CREATE INDEX audit_log_subject ON audit_log (subject_type, subject_id);
    `,
  },
  {
    version: 2,
    name: 'state checkpoints',
    sql: `
      -- A consumer's state as of the end of each batch (the rule engine's snapshot and score book),
      -- so that a reorg rebuilds from the checkpoint at or below the fork and replays only the stored
      -- events after it: the retention purge deletes old events, so a replay from block 0 would be
      -- wrong. A rewind drops the checkpoints above the fork; the purge those below its last purged
      -- block (they would need purged events); forgetting old block hashes, all but the newest of those
      -- below the kept hashes (no reorg reaches further).
      CREATE TABLE state_checkpoints (
        key          TEXT NOT NULL,
        block_number BIGINT NOT NULL,
        value_json   TEXT NOT NULL,
        PRIMARY KEY (key, block_number)
      );
    `,
  },
  {
    version: 3,
    name: 'case disclosures',
    sql: `
      -- The issuer's answer to an escrow disclosure an officer attached to a case: the person behind
      -- one of the case's registrations, which a SAR draft then names as its subject. The record is
      -- personal data: it goes when the retention purge removes its case (docs/compliance-monitor.md).
      CREATE TABLE case_disclosures (
        id                     TEXT PRIMARY KEY,
        case_id                TEXT NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
        chain_id               BIGINT NOT NULL,
        policy_id              TEXT NOT NULL,
        registration_tx        TEXT NOT NULL,
        registration_log_index BIGINT NOT NULL,
        wallet                 TEXT NOT NULL,
        issuer_disclosure_id   TEXT NOT NULL,
        request_id             TEXT NOT NULL,
        record_json            TEXT NOT NULL,
        attached_by            TEXT NOT NULL,
        attached_at            BIGINT NOT NULL,
        UNIQUE (case_id, issuer_disclosure_id)
      );
      CREATE INDEX case_disclosures_case ON case_disclosures (case_id, attached_at);
    `,
  },
];
