/**
 * Numbered schema migrations, one list for both backends. A migration, once shipped, is never
 * edited: changes go in a new, higher-numbered entry, so every database reaches the same schema by
 * the same path.
 *
 * Each entry has a SQLite statement (`sql`) and, where the dialects differ, a Postgres one
 * (`postgres`); an entry without `postgres` runs its `sql` on both. The two must describe the same
 * tables, columns, constraints and constraint names — the stores map constraint violations by name.
 *
 * Values that are field elements (identity commitments, leaves, roots, salts) are stored as decimal
 * strings: SQLite integers stop at 2^63.
 */
export interface Migration {
  version: number;
  name: string;
  /** SQLite dialect (and the shared text when `postgres` is absent). */
  sql: string;
  /** Postgres dialect, when it must differ from `sql`. */
  postgres?: string;
}

/** The statement a backend runs for `m`. */
export function migrationSql(m: Migration, dialect: 'sqlite' | 'postgres'): string {
  return dialect === 'postgres' ? (m.postgres ?? m.sql) : m.sql;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'initial schema',
    sql: `
      CREATE TABLE settings (
        key   TEXT PRIMARY KEY,
        value TEXT NOT NULL
      );

      CREATE TABLE challenges (
        nonce      TEXT PRIMARY KEY,
        did        TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        expires_at INTEGER NOT NULL,
        used_at    INTEGER
      );
      CREATE INDEX challenges_expiry ON challenges (expires_at);

      CREATE TABLE applications (
        id                  TEXT PRIMARY KEY,
        holder_did          TEXT NOT NULL,
        identity_commitment TEXT NOT NULL,
        attributes_json     TEXT NOT NULL,
        status              TEXT NOT NULL CHECK (status IN ('pending', 'approved', 'rejected')),
        access_token_hash   TEXT NOT NULL,
        challenge_nonce     TEXT NOT NULL UNIQUE REFERENCES challenges (nonce),
        created_at          INTEGER NOT NULL,
        updated_at          INTEGER NOT NULL
      );
      -- One open application per holder, enforced by the database rather than by a read-then-write.
      CREATE UNIQUE INDEX applications_one_pending ON applications (holder_did) WHERE status = 'pending';
      CREATE INDEX applications_status ON applications (status, created_at);

      CREATE TABLE credentials (
        id              TEXT PRIMARY KEY,
        application_id  TEXT NOT NULL UNIQUE REFERENCES applications (id),
        holder_did      TEXT NOT NULL,
        leaf_index      INTEGER NOT NULL UNIQUE,
        leaf            TEXT NOT NULL,
        salt            TEXT NOT NULL,
        attributes_json TEXT NOT NULL,
        expiry_date     TEXT NOT NULL,
        vc_jwt          TEXT NOT NULL,
        status          TEXT NOT NULL CHECK (status IN ('active', 'revoked')),
        issued_at       INTEGER NOT NULL,
        revoked_at      INTEGER
      );

      -- The tree's leaves in insertion order; a revoked leaf is kept with value '0'.
      CREATE TABLE leaves (
        leaf_index    INTEGER PRIMARY KEY,
        value         TEXT NOT NULL,
        credential_id TEXT NOT NULL UNIQUE REFERENCES credentials (id)
      );

      -- Who decided what, when and why: approvals, rejections and revocations.
      CREATE TABLE decisions (
        id           INTEGER PRIMARY KEY AUTOINCREMENT,
        subject_type TEXT NOT NULL CHECK (subject_type IN ('application', 'credential')),
        subject_id   TEXT NOT NULL,
        action       TEXT NOT NULL CHECK (action IN ('approve', 'reject', 'revoke')),
        reviewer     TEXT NOT NULL,
        reason       TEXT,
        decided_at   INTEGER NOT NULL
      );
      CREATE INDEX decisions_subject ON decisions (subject_type, subject_id);

      CREATE TABLE root_publications (
        id           INTEGER PRIMARY KEY AUTOINCREMENT,
        root         TEXT NOT NULL,
        leaf_count   INTEGER NOT NULL,
        tx_hash      TEXT,
        published_at INTEGER NOT NULL
      );

      -- Veramo stores: key metadata, encrypted private keys, DIDs.
      CREATE TABLE veramo_keys (
        kid            TEXT PRIMARY KEY,
        kms            TEXT NOT NULL,
        type           TEXT NOT NULL,
        public_key_hex TEXT NOT NULL,
        meta_json      TEXT
      );
      CREATE TABLE veramo_private_keys (
        alias      TEXT PRIMARY KEY,
        type       TEXT NOT NULL,
        sealed_key TEXT NOT NULL
      );
      CREATE TABLE veramo_dids (
        did             TEXT PRIMARY KEY,
        alias           TEXT UNIQUE,
        provider        TEXT NOT NULL,
        identifier_json TEXT NOT NULL
      );
    `,
    // Postgres: millisecond timestamps and leaf indices (up to 2^32 - 1) need BIGINT, and ids are
    // identity columns rather than AUTOINCREMENT. Everything else matches the SQLite text.
    postgres: `
      CREATE TABLE settings (
        key   TEXT PRIMARY KEY,
        value TEXT NOT NULL
      );

      CREATE TABLE challenges (
        nonce      TEXT PRIMARY KEY,
        did        TEXT NOT NULL,
        created_at BIGINT NOT NULL,
        expires_at BIGINT NOT NULL,
        used_at    BIGINT
      );
      CREATE INDEX challenges_expiry ON challenges (expires_at);

      CREATE TABLE applications (
        id                  TEXT PRIMARY KEY,
        holder_did          TEXT NOT NULL,
        identity_commitment TEXT NOT NULL,
        attributes_json     TEXT NOT NULL,
        status              TEXT NOT NULL CHECK (status IN ('pending', 'approved', 'rejected')),
        access_token_hash   TEXT NOT NULL,
        challenge_nonce     TEXT NOT NULL UNIQUE REFERENCES challenges (nonce),
        created_at          BIGINT NOT NULL,
        updated_at          BIGINT NOT NULL
      );
      CREATE UNIQUE INDEX applications_one_pending ON applications (holder_did) WHERE status = 'pending';
      CREATE INDEX applications_status ON applications (status, created_at);

      CREATE TABLE credentials (
        id              TEXT PRIMARY KEY,
        application_id  TEXT NOT NULL UNIQUE REFERENCES applications (id),
        holder_did      TEXT NOT NULL,
        leaf_index      BIGINT NOT NULL UNIQUE,
        leaf            TEXT NOT NULL,
        salt            TEXT NOT NULL,
        attributes_json TEXT NOT NULL,
        expiry_date     TEXT NOT NULL,
        vc_jwt          TEXT NOT NULL,
        status          TEXT NOT NULL CHECK (status IN ('active', 'revoked')),
        issued_at       BIGINT NOT NULL,
        revoked_at      BIGINT
      );

      CREATE TABLE leaves (
        leaf_index    BIGINT PRIMARY KEY,
        value         TEXT NOT NULL,
        credential_id TEXT NOT NULL UNIQUE REFERENCES credentials (id)
      );

      CREATE TABLE decisions (
        id           BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
        subject_type TEXT NOT NULL CHECK (subject_type IN ('application', 'credential')),
        subject_id   TEXT NOT NULL,
        action       TEXT NOT NULL CHECK (action IN ('approve', 'reject', 'revoke')),
        reviewer     TEXT NOT NULL,
        reason       TEXT,
        decided_at   BIGINT NOT NULL
      );
      CREATE INDEX decisions_subject ON decisions (subject_type, subject_id);

      CREATE TABLE root_publications (
        id           BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
        root         TEXT NOT NULL,
        leaf_count   BIGINT NOT NULL,
        tx_hash      TEXT,
        published_at BIGINT NOT NULL
      );

      CREATE TABLE veramo_keys (
        kid            TEXT PRIMARY KEY,
        kms            TEXT NOT NULL,
        type           TEXT NOT NULL,
        public_key_hex TEXT NOT NULL,
        meta_json      TEXT
      );
      CREATE TABLE veramo_private_keys (
        alias      TEXT PRIMARY KEY,
        type       TEXT NOT NULL,
        sealed_key TEXT NOT NULL
      );
      CREATE TABLE veramo_dids (
        did             TEXT PRIMARY KEY,
        alias           TEXT UNIQUE,
        provider        TEXT NOT NULL,
        identifier_json TEXT NOT NULL
      );
    `,
  },
  {
    version: 2,
    name: 'person binding, proposals, audit trail',
    // One person, one investor: a credential names the verified person as a keyed hash (HMAC, never
    // the plain document data), and at most one credential per person is active — the partial unique
    // index makes the database refuse a second one. Credentials issued before this migration have no
    // person (NULL), which the index ignores.
    // Four-eyes: a reviewer's proposal of the verified values (the person's key and the final
    // attributes) that a different approver then approves, naming it by its id. No foreign key to
    // applications; the retention purge deletes the proposals of the rejected applications it
    // purges (a rejected applicant's attributes go with the application) and keeps the others.
    // Audit trail: every reviewer decision, with the reviewer's name, the role it acted under, and a
    // JSON detail of what it decided (never key material, never plain person data). The retention
    // purge keeps the events of purged applications but replaces their detail by {"purged":true}.
    sql: `
      ALTER TABLE credentials ADD COLUMN person_key TEXT;
      CREATE UNIQUE INDEX credentials_one_active_person ON credentials (person_key) WHERE status = 'active';

      CREATE TABLE proposals (
        id              INTEGER PRIMARY KEY AUTOINCREMENT,
        application_id  TEXT NOT NULL,
        reviewer        TEXT NOT NULL,
        attributes_json TEXT NOT NULL,
        person_key      TEXT NOT NULL,
        reason          TEXT,
        proposed_at     INTEGER NOT NULL
      );
      CREATE INDEX proposals_application ON proposals (application_id, id);

      CREATE TABLE audit_events (
        id           INTEGER PRIMARY KEY AUTOINCREMENT,
        at           INTEGER NOT NULL,
        actor        TEXT NOT NULL,
        role         TEXT NOT NULL,
        action       TEXT NOT NULL,
        subject_type TEXT NOT NULL,
        subject_id   TEXT,
        detail_json  TEXT NOT NULL
      );
      CREATE INDEX audit_events_subject ON audit_events (subject_type, subject_id);
    `,
    postgres: `
      ALTER TABLE credentials ADD COLUMN person_key TEXT;
      CREATE UNIQUE INDEX credentials_one_active_person ON credentials (person_key) WHERE status = 'active';

      CREATE TABLE proposals (
        id              BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
        application_id  TEXT NOT NULL,
        reviewer        TEXT NOT NULL,
        attributes_json TEXT NOT NULL,
        person_key      TEXT NOT NULL,
        reason          TEXT,
        proposed_at     BIGINT NOT NULL
      );
      CREATE INDEX proposals_application ON proposals (application_id, id);

      CREATE TABLE audit_events (
        id           BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
        at           BIGINT NOT NULL,
        actor        TEXT NOT NULL,
        role         TEXT NOT NULL,
        action       TEXT NOT NULL,
        subject_type TEXT NOT NULL,
        subject_id   TEXT,
        detail_json  TEXT NOT NULL
      );
      CREATE INDEX audit_events_subject ON audit_events (subject_type, subject_id);
    `,
  },
  {
    version: 3,
    name: 'indexes for token recovery and retention',
    // Token recovery finds a DID's newest application; the retention purge finds used challenges
    // and rejected applications by age. Same text on both backends.
    sql: `
      CREATE INDEX applications_holder ON applications (holder_did, created_at);
      CREATE INDEX applications_rejected ON applications (updated_at) WHERE status = 'rejected';
      CREATE INDEX challenges_used ON challenges (used_at) WHERE used_at IS NOT NULL;
    `,
  },
  {
    version: 4,
    name: 'identity records and disclosures',
    // The verified identity behind each credential, sealed (AES-256-GCM, bound to the credential id
    // and leaf index): written with the credential in one transaction. The retention purge deletes
    // `sealed_record` a configured time after the credential ended and sets `purged_at`; the row
    // stays, so a disclosure of a purged record can say so (410) instead of "never existed".
    // A proposal keeps the person it verified, sealed, until the approval moves it into the record.
    // Disclosures: who was shown which credential's record for which on-chain log entry; no
    // personal data. One per officer and log entry (a repeat returns the same one).
    sql: `
      CREATE TABLE identity_records (
        credential_id TEXT PRIMARY KEY REFERENCES credentials (id),
        leaf_index    INTEGER NOT NULL UNIQUE,
        sealed_record TEXT,
        valid_until   INTEGER NOT NULL,
        created_at    INTEGER NOT NULL,
        purged_at     INTEGER,
        CONSTRAINT identity_records_purged CHECK ((sealed_record IS NULL) = (purged_at IS NOT NULL))
      );
      CREATE INDEX identity_records_live ON identity_records (valid_until) WHERE purged_at IS NULL;

      ALTER TABLE proposals ADD COLUMN sealed_person TEXT;

      CREATE TABLE disclosures (
        id                     TEXT PRIMARY KEY,
        officer                TEXT NOT NULL,
        chain_id               TEXT NOT NULL,
        log_address            TEXT NOT NULL,
        request_id             TEXT NOT NULL,
        policy_id              TEXT NOT NULL,
        case_ref_hash          TEXT NOT NULL,
        registration_tx        TEXT NOT NULL,
        registration_log_index INTEGER NOT NULL,
        escrow_c               TEXT NOT NULL,
        leaf_index             INTEGER NOT NULL,
        credential_id          TEXT NOT NULL REFERENCES credentials (id),
        disclosed_at           INTEGER NOT NULL,
        CONSTRAINT disclosures_one_per_officer UNIQUE (chain_id, log_address, request_id, officer)
      );
      CREATE INDEX disclosures_time ON disclosures (disclosed_at);
    `,
    postgres: `
      CREATE TABLE identity_records (
        credential_id TEXT PRIMARY KEY REFERENCES credentials (id),
        leaf_index    BIGINT NOT NULL UNIQUE,
        sealed_record TEXT,
        valid_until   BIGINT NOT NULL,
        created_at    BIGINT NOT NULL,
        purged_at     BIGINT,
        CONSTRAINT identity_records_purged CHECK ((sealed_record IS NULL) = (purged_at IS NOT NULL))
      );
      CREATE INDEX identity_records_live ON identity_records (valid_until) WHERE purged_at IS NULL;

      ALTER TABLE proposals ADD COLUMN sealed_person TEXT;

      CREATE TABLE disclosures (
        id                     TEXT PRIMARY KEY,
        officer                TEXT NOT NULL,
        chain_id               TEXT NOT NULL,
        log_address            TEXT NOT NULL,
        request_id             TEXT NOT NULL,
        policy_id              TEXT NOT NULL,
        case_ref_hash          TEXT NOT NULL,
        registration_tx        TEXT NOT NULL,
        registration_log_index BIGINT NOT NULL,
        escrow_c               TEXT NOT NULL,
        leaf_index             BIGINT NOT NULL,
        credential_id          TEXT NOT NULL REFERENCES credentials (id),
        disclosed_at           BIGINT NOT NULL,
        CONSTRAINT disclosures_one_per_officer UNIQUE (chain_id, log_address, request_id, officer)
      );
      CREATE INDEX disclosures_time ON disclosures (disclosed_at);
    `,
  },
  {
    version: 5,
    name: 'ongoing screening matches',
    // Candidate sanctions matches the compliance monitor posts (routes/screening-routes.ts). No
    // personal data of the verified person: the credential id, the list entry (public) and the score.
    // One open match per credential, list and entry (a partial unique index: once closed, the same
    // entry can be matched again by a later import). Additive: nothing existing changes.
    sql: `
      CREATE TABLE screening_matches (
        id              INTEGER PRIMARY KEY AUTOINCREMENT,
        credential_id   TEXT NOT NULL REFERENCES credentials (id),
        source          TEXT NOT NULL,
        entry_uid       TEXT NOT NULL,
        entry_name      TEXT NOT NULL,
        matched_name    TEXT NOT NULL,
        score           REAL NOT NULL,
        reasons_json    TEXT NOT NULL,
        status          TEXT NOT NULL CHECK (status IN ('open', 'confirmed', 'dismissed', 'moot')),
        reported_by     TEXT NOT NULL,
        reported_at     INTEGER NOT NULL,
        decided_by      TEXT,
        decided_at      INTEGER,
        decision_reason TEXT
      );
      CREATE UNIQUE INDEX screening_matches_one_open ON screening_matches (credential_id, source, entry_uid) WHERE status = 'open';
      CREATE INDEX screening_matches_status ON screening_matches (status, id);
    `,
    postgres: `
      CREATE TABLE screening_matches (
        id              BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
        credential_id   TEXT NOT NULL REFERENCES credentials (id),
        source          TEXT NOT NULL,
        entry_uid       TEXT NOT NULL,
        entry_name      TEXT NOT NULL,
        matched_name    TEXT NOT NULL,
        score           DOUBLE PRECISION NOT NULL,
        reasons_json    TEXT NOT NULL,
        status          TEXT NOT NULL CHECK (status IN ('open', 'confirmed', 'dismissed', 'moot')),
        reported_by     TEXT NOT NULL,
        reported_at     BIGINT NOT NULL,
        decided_by      TEXT,
        decided_at      BIGINT,
        decision_reason TEXT
      );
      CREATE UNIQUE INDEX screening_matches_one_open ON screening_matches (credential_id, source, entry_uid) WHERE status = 'open';
      CREATE INDEX screening_matches_status ON screening_matches (status, id);
    `,
  },
  {
    version: 6,
    name: 'credential formats and the bitstring status list',
    // The format each credential was issued in ('vc1.1': the VC-JWT of migrations 1-5, the default
    // for the rows already there; 'vc2': VC Data Model 2.0 + VC-JOSE-COSE). A 2.0 credential names a
    // bit of a W3C Bitstring Status List (list number, bit index): chosen at random among the free
    // bits of the current list at issuance, so the index says nothing about the leaf index or the
    // order of issuance; at most one credential per bit (the partial unique index). 1.1 credentials
    // have no bit (NULL).
    // status_lists: one row per list, the bitstring itself (131,072 bits = 16 KiB, bit 0 the
    // left-most bit of byte 0); a revocation sets the credential's bit in the transaction that zeroes
    // its leaf and bumps `version`. The signed list credential is cached with the version it shows
    // (signed lazily on read when the version moved), so a burst of revocations costs one signature.
    sql: `
      ALTER TABLE credentials ADD COLUMN format TEXT NOT NULL DEFAULT 'vc1.1' CHECK (format IN ('vc1.1', 'vc2'));
      ALTER TABLE credentials ADD COLUMN status_list INTEGER;
      ALTER TABLE credentials ADD COLUMN status_index INTEGER;
      CREATE UNIQUE INDEX credentials_status_bit ON credentials (status_list, status_index) WHERE status_index IS NOT NULL;

      CREATE TABLE status_lists (
        id             INTEGER PRIMARY KEY,
        purpose        TEXT NOT NULL CHECK (purpose = 'revocation'),
        bits           BLOB NOT NULL,
        version        INTEGER NOT NULL,
        updated_at     INTEGER NOT NULL,
        signed_jwt     TEXT,
        signed_version INTEGER,
        signed_at      INTEGER
      );
    `,
    postgres: `
      ALTER TABLE credentials ADD COLUMN format TEXT NOT NULL DEFAULT 'vc1.1' CHECK (format IN ('vc1.1', 'vc2'));
      ALTER TABLE credentials ADD COLUMN status_list BIGINT;
      ALTER TABLE credentials ADD COLUMN status_index BIGINT;
      CREATE UNIQUE INDEX credentials_status_bit ON credentials (status_list, status_index) WHERE status_index IS NOT NULL;

      CREATE TABLE status_lists (
        id             BIGINT PRIMARY KEY,
        purpose        TEXT NOT NULL CHECK (purpose = 'revocation'),
        bits           BYTEA NOT NULL,
        version        BIGINT NOT NULL,
        updated_at     BIGINT NOT NULL,
        signed_jwt     TEXT,
        signed_version BIGINT,
        signed_at      BIGINT
      );
    `,
  },
  {
    version: 7,
    name: 'OpenID4VCI pre-authorized codes, access tokens and nonces',
    // OpenID4VCI delivery of an approved application's credential (services/oid4vci.ts). Every
    // secret is stored as its SHA-256 only (the transaction code hashed together with its
    // pre-authorized code, so a copy of the table cannot be brute-forced over the six digits).
    // The rows make the flow survive a restart and make each secret single-use: a code is redeemed
    // once (`redeemed_at`) or voided (a newer offer, too many wrong transaction codes); an access
    // token delivers once (`used_at`); a nonce is consumed once (`used_at`). Expired rows are
    // pruned; nothing here is personal data beyond the application and credential ids.
    sql: `
      CREATE TABLE oid4vci_offers (
        code_hash       TEXT PRIMARY KEY,
        application_id  TEXT NOT NULL REFERENCES applications (id),
        credential_id   TEXT NOT NULL REFERENCES credentials (id),
        tx_code_hash    TEXT NOT NULL,
        failed_attempts INTEGER NOT NULL DEFAULT 0,
        created_at      INTEGER NOT NULL,
        expires_at      INTEGER NOT NULL,
        redeemed_at     INTEGER,
        voided_at       INTEGER
      );
      CREATE INDEX oid4vci_offers_application ON oid4vci_offers (application_id);
      CREATE INDEX oid4vci_offers_expiry ON oid4vci_offers (expires_at);

      CREATE TABLE oid4vci_access_tokens (
        token_hash     TEXT PRIMARY KEY,
        code_hash      TEXT NOT NULL UNIQUE REFERENCES oid4vci_offers (code_hash),
        application_id TEXT NOT NULL REFERENCES applications (id),
        credential_id  TEXT NOT NULL REFERENCES credentials (id),
        created_at     INTEGER NOT NULL,
        expires_at     INTEGER NOT NULL,
        used_at        INTEGER
      );
      CREATE INDEX oid4vci_access_tokens_expiry ON oid4vci_access_tokens (expires_at);

      CREATE TABLE oid4vci_nonces (
        nonce_hash TEXT PRIMARY KEY,
        created_at INTEGER NOT NULL,
        expires_at INTEGER NOT NULL,
        used_at    INTEGER
      );
      CREATE INDEX oid4vci_nonces_expiry ON oid4vci_nonces (expires_at);
    `,
    postgres: `
      CREATE TABLE oid4vci_offers (
        code_hash       TEXT PRIMARY KEY,
        application_id  TEXT NOT NULL REFERENCES applications (id),
        credential_id   TEXT NOT NULL REFERENCES credentials (id),
        tx_code_hash    TEXT NOT NULL,
        failed_attempts INTEGER NOT NULL DEFAULT 0,
        created_at      BIGINT NOT NULL,
        expires_at      BIGINT NOT NULL,
        redeemed_at     BIGINT,
        voided_at       BIGINT
      );
      CREATE INDEX oid4vci_offers_application ON oid4vci_offers (application_id);
      CREATE INDEX oid4vci_offers_expiry ON oid4vci_offers (expires_at);

      CREATE TABLE oid4vci_access_tokens (
        token_hash     TEXT PRIMARY KEY,
        code_hash      TEXT NOT NULL UNIQUE REFERENCES oid4vci_offers (code_hash),
        application_id TEXT NOT NULL REFERENCES applications (id),
        credential_id  TEXT NOT NULL REFERENCES credentials (id),
        created_at     BIGINT NOT NULL,
        expires_at     BIGINT NOT NULL,
        used_at        BIGINT
      );
      CREATE INDEX oid4vci_access_tokens_expiry ON oid4vci_access_tokens (expires_at);

      CREATE TABLE oid4vci_nonces (
        nonce_hash TEXT PRIMARY KEY,
        created_at BIGINT NOT NULL,
        expires_at BIGINT NOT NULL,
        used_at    BIGINT
      );
      CREATE INDEX oid4vci_nonces_expiry ON oid4vci_nonces (expires_at);
    `,
  },
  {
    version: 8,
    name: 'proposals say whether the reviewer set the KYC level',
    // From this version the KYC level is the reviewer's finding, never the applicant's request. A
    // proposal recorded before could carry the applicant's requested level (the reviewer left it
    // out and it was filled from the application), so it cannot be told apart from a reviewer's;
    // existing rows get 0 and an approval refuses them (proposal_outdated): record a new proposal.
    sql: `ALTER TABLE proposals ADD COLUMN level_from_reviewer INTEGER NOT NULL DEFAULT 0;`,
    postgres: `ALTER TABLE proposals ADD COLUMN level_from_reviewer INTEGER NOT NULL DEFAULT 0;`,
  },
  {
    version: 9,
    name: 'the issuer tree persisted: inner nodes and its state',
    // The tree's inner nodes (levels 1..depth/2; level 0 is `leaves`, the root is level depth/2,
    // position 0) and one row of state, written in the same transaction as every leaf change so the
    // service neither rebuilds the tree at start nor keeps it in memory (store/tree-rows.ts). A node
    // that is not stored is the empty-subtree hash of its level. The tables start empty: the tree's
    // depth is configuration, so the first start at this version fills them from `leaves` once
    // (`IssuerStore.openTree`), in one transaction.
    sql: `
      CREATE TABLE tree_nodes (
        level    INTEGER NOT NULL,
        position BIGINT NOT NULL,
        value    TEXT NOT NULL,
        PRIMARY KEY (level, position)
      );
      CREATE TABLE tree_state (
        id         INTEGER PRIMARY KEY CHECK (id = 1),
        leaf_count BIGINT NOT NULL,
        root       TEXT NOT NULL,
        revision   BIGINT NOT NULL
      );
    `,
  },
  {
    version: 10,
    name: 'root anchorings per chain',
    // The publisher anchors each root on every configured chain, each on its own: a row per chain and
    // root once the root is on that chain (store/root-anchorings.ts). A chain's latest row is what it
    // is compared with, so each root is sent to each chain once, and a chain that was down catches up.
    sql: `
      CREATE TABLE root_anchorings (
        chain       TEXT NOT NULL,
        root        TEXT NOT NULL,
        tx_hash     TEXT,
        anchored_at BIGINT NOT NULL,
        PRIMARY KEY (chain, root)
      );
      CREATE INDEX root_anchorings_latest ON root_anchorings (chain, anchored_at);
    `,
  },
  {
    version: 11,
    name: 'bulk import journal',
    // The bulk import (issuer-service/src/bulk-import, store/bulk-writer.ts): one row per imported
    // file (its SHA-256) with how many of its rows are settled, moved in the same transaction as each
    // chunk of credentials — a rerun after a kill continues at the next row and issues nothing twice
    // — and the customer ids it issued, each once (the primary key), whichever file names them.
    sql: `
      CREATE TABLE import_runs (
        id          TEXT PRIMARY KEY,
        file_name   TEXT NOT NULL,
        total_rows  BIGINT NOT NULL,
        rows_done   BIGINT NOT NULL,
        issued      BIGINT NOT NULL,
        skipped     BIGINT NOT NULL,
        started_at  BIGINT NOT NULL,
        updated_at  BIGINT NOT NULL,
        finished_at BIGINT
      );
      CREATE TABLE imported_customers (
        customer_id   TEXT PRIMARY KEY,
        run_id        TEXT NOT NULL REFERENCES import_runs (id),
        row_number    BIGINT NOT NULL,
        credential_id TEXT NOT NULL UNIQUE REFERENCES credentials (id)
      );
    `,
  },
  {
    version: 12,
    name: 'revoked credentials index',
    // The retention purge asks for identity records whose credential was revoked before a cutoff
    // (record-rows.ts ENDED_IDENTITY_RECORDS); without this index that half read every credential.
    sql: `
      CREATE INDEX credentials_revoked ON credentials (revoked_at) WHERE revoked_at IS NOT NULL;
    `,
  },
  {
    version: 13,
    name: 'tree chunk files',
    // The published roots' tree files (services/tree-chunks.ts, store/tree-chunk-files.ts), encoded
    // once by whichever instance first captures them: a chunk file is keyed by what fixes its bytes
    // (tree depth, chunk levels, chunk index, chunk root, leaf count), so a root shares every chunk
    // it did not change with the roots before it, and an instance starting, or following a
    // publication, reads no node of a chunk some capture encoded already. A top file per captured
    // root (small) says which chunks that root references, for garbage collection across instances.
    // The bytes come last: SQLite then reads a row's other columns without its overflow pages.
    sql: `
      CREATE TABLE tree_chunk_files (
        depth        INTEGER NOT NULL,
        chunk_levels INTEGER NOT NULL,
        chunk_index  BIGINT NOT NULL,
        chunk_root   TEXT NOT NULL,
        leaf_count   BIGINT NOT NULL,
        etag         TEXT NOT NULL,
        created_at   BIGINT NOT NULL,
        bytes        BLOB NOT NULL,
        PRIMARY KEY (depth, chunk_levels, chunk_index, chunk_root, leaf_count)
      );
      CREATE TABLE tree_top_files (
        depth        INTEGER NOT NULL,
        chunk_levels INTEGER NOT NULL,
        root         TEXT NOT NULL,
        leaf_count   BIGINT NOT NULL,
        etag         TEXT NOT NULL,
        created_at   BIGINT NOT NULL,
        bytes        BLOB NOT NULL,
        PRIMARY KEY (depth, chunk_levels, root, leaf_count)
      );
    `,
    postgres: `
      CREATE TABLE tree_chunk_files (
        depth        INTEGER NOT NULL,
        chunk_levels INTEGER NOT NULL,
        chunk_index  BIGINT NOT NULL,
        chunk_root   TEXT NOT NULL,
        leaf_count   BIGINT NOT NULL,
        etag         TEXT NOT NULL,
        created_at   BIGINT NOT NULL,
        bytes        BYTEA NOT NULL,
        PRIMARY KEY (depth, chunk_levels, chunk_index, chunk_root, leaf_count)
      );
      CREATE TABLE tree_top_files (
        depth        INTEGER NOT NULL,
        chunk_levels INTEGER NOT NULL,
        root         TEXT NOT NULL,
        leaf_count   BIGINT NOT NULL,
        etag         TEXT NOT NULL,
        created_at   BIGINT NOT NULL,
        bytes        BYTEA NOT NULL,
        PRIMARY KEY (depth, chunk_levels, root, leaf_count)
      );
    `,
  },
  {
    version: 14,
    name: 'unused challenges index',
    // Every new challenge first deletes the expired unused ones (pruneChallenges), and the retention
    // purge does too. Used challenges stay (applications reference them) and all have expired, so
    // the old index on expires_at led that delete through every challenge ever issued: about 2 s
    // per challenge with the database warm at 10 million credentials, minutes cold. This index holds
    // only unused challenges, the few a delete can remove.
    sql: `
      CREATE INDEX challenges_unused ON challenges (expires_at) WHERE used_at IS NULL;
      DROP INDEX challenges_expiry;
    `,
  },
];
