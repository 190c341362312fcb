import { afterAll, describe, expect, it } from '@jest/globals';
import './support/inject-shim.js';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { computeLeaf, encodeAttributes, randomSalt, verifyKycCredential } from '@zkkyc/credentials';
import { IssuerTree, pathRoot } from '@zkkyc/tree';
import type { IssuerServiceConfig } from '../src/config.js';
import { ImportApproverRefused, ImportRefused, runImport, type ImportOptions } from '../src/bulk-import/bulk-importer.js';
import { ImportFileError } from '../src/bulk-import/import-file.js';
import { wasmLeafHash } from '../src/bulk-import/leaf-hash.js';
import { sampleCustomers, toCsv, toJsonLines, type SampleCustomer } from '../src/bulk-import/sample-customers.js';
import { openBulkStorage } from '../src/store/bulk-storage.js';
import { BulkWriteConflict, type BulkChunk, type BulkIssuedRow } from '../src/store/bulk-writer.js';
import { SqliteBulkWriter, tuneForImport } from '../src/store/bulk-writer-sqlite.js';
import { acquireSqliteInstanceLock, type InstanceLock } from '../src/store/instance-lock.js';
import { openSqliteDatabase } from '../src/store/sqlite-database.js';
import { defaultTreeShape } from '../src/store/tree-rows.js';
import { loadIssuerTree } from '../src/services/issuer-tree.js';
import { TEST_BACKENDS } from './support/backends.js';
import { apply, approveNewHolder, nextYear, reviewer, REVIEWER_KEY, startService, tempDir, testConfig } from './support/service.js';
import { makeHolder } from './support/holder.js';
import { newPerson } from './support/people.js';

/**
 * Bulk import (issue 14, item 3): the rows of a file become credentials like a reviewer's
 * approvals — same signature, same claims, same leaf rule, same tree — in chunks; bad rows refuse
 * the file before anything is written; a customer is issued once however often it is imported.
 * The kill -9 resumption is bulk-import-resume.test.ts.
 */
const tmp = tempDir();
afterAll(() => tmp.cleanup());

// alice's key (test/support/service.ts) holds the approver role: she is the import's actor.
const quiet: Pick<ImportOptions, 'log' | 'workers' | 'approverKey'> = { log: () => undefined, workers: 0, approverKey: REVIEWER_KEY };
let files = 0;
function writeFile(text: string, ext = 'csv'): string {
  const path = join(tmp.dir, `customers-${++files}.${ext}`);
  writeFileSync(path, text);
  return path;
}

const decode = (jwt: string, part: 0 | 1) => JSON.parse(Buffer.from(jwt.split('.')[part], 'base64url').toString('utf8'));
const keysOf = (o: Record<string, unknown>) => Object.keys(o).sort();

/** The database's view after an import: leaves, credentials by leaf, the persisted root, the journal. */
async function inspect(config: IssuerServiceConfig, runId?: string) {
  const storage = await openBulkStorage(config);
  try {
    const leaves = await storage.store.listLeaves(0, 100_000);
    const credentials = await Promise.all(leaves.map((l) => storage.store.getCredentialByLeafIndex(l.index)));
    const state = await storage.writer.treeState();
    const run = runId ? await storage.writer.getRun(runId) : null;
    return { leaves, credentials, state, run };
  } finally {
    await storage.close();
  }
}

describe.each(TEST_BACKENDS)('bulk import ($name)', (backend) => {
  it('issues credentials that verify and read exactly like an approval, into the same tree, once per customer', async () => {
    const db = await backend.freshDatabase();
    try {
      const config = testConfig(tmp.dbPath.replace('issuer.sqlite', `${backend.name}-flow.sqlite`), db.config.databaseUrl ? db.config : {});
      // One credential the normal way: apply, approve.
      const service = await startService(config);
      let normal: { jwt: string; issuerDid: string };
      try {
        const approved = await approveNewHolder(service);
        expect(approved.statusCode).toBe(201);
        normal = { jwt: (await service.store.getCredential(approved.json().credentialId))!.vcJwt, issuerDid: service.issuerDid };
      } finally {
        await service.close();
      }

      const customers = sampleCustomers(30, { expiryDate: nextYear() });
      const file = writeFile(toCsv(customers));
      const outcome = await runImport(config, { file, chunkSize: 8, ...quiet });
      expect(outcome).toMatchObject({ totalRows: 30, issued: 30, skipped: 0, rejected: 0, resumedAt: 0, issuedNow: 30 });

      const { leaves, credentials, state, run } = await inspect(config, outcome.runId);
      expect(leaves.map((l) => l.index)).toEqual([...Array(31).keys()]);
      expect(run).toMatchObject({ rowsDone: 30, issued: 30 });
      // The persisted root is the root of a tree built from scratch over the stored leaves.
      expect(state!.leafCount).toBe(31);
      expect(state!.root).toBe(
        new IssuerTree(
          config.treeDepth,
          leaves.map((l) => BigInt(l.value)),
        ).root,
      );

      const imported = credentials.slice(1);
      for (const [i, c] of imported.entries()) {
        const customer = customers[i];
        expect(c).toMatchObject({ status: 'active', format: 'vc2', holderDid: customer.holderDid, leafIndex: i + 1 });
        // The leaf follows the credentials package's rule (poseidon-lite), whatever hashed it here.
        expect(BigInt(c!.leaf)).toBe(computeLeaf(BigInt(customer.identityCommitment as string), encodeAttributes(c!.attributes), BigInt(c!.salt)));
      }
      // Each imported credential verifies as the normal one does, under the same issuer DID and key.
      const sample = imported[7]!;
      const verified = await verifyKycCredential(sample.vcJwt, { issuerDid: normal.issuerDid });
      expect(verified).toMatchObject({ verified: true, format: 'vc2' });
      expect((await verifyKycCredential(normal.jwt, { issuerDid: normal.issuerDid })).verified).toBe(true);
      // …and nothing else differs: the same header, the same claims, the same subject fields.
      expect(decode(sample.vcJwt, 0)).toEqual(decode(normal.jwt, 0));
      const [a, b] = [decode(sample.vcJwt, 1), decode(normal.jwt, 1)];
      expect(keysOf(a)).toEqual(keysOf(b));
      expect(keysOf(a.credentialSubject)).toEqual(keysOf(b.credentialSubject));
      expect({ issuer: a.issuer, iss: a.iss, type: a.type, context: a['@context'], schema: a.credentialSchema }).toEqual({
        issuer: b.issuer,
        iss: b.iss,
        type: b.type,
        context: b['@context'],
        schema: b.credentialSchema,
      });
      expect(a.credentialStatus.statusListCredential).toMatch(/\/status\/revocation\/1$/);
      expect(a.credentialSubject).toMatchObject({ id: customers[7].holderDid, leafIndex: 8, identityCommitment: customers[7].identityCommitment, kycLevel: Number(customers[7].kycLevel) });
      // Distinct status bits.
      const bits = imported.map((c) => `${c!.statusList}:${c!.statusIndex}`);
      expect(new Set(bits).size).toBe(30);

      // The same file again issues nothing; another file naming imported customers skips them.
      const again = await runImport(config, { file, chunkSize: 8, ...quiet });
      expect(again).toMatchObject({ issued: 30, issuedNow: 0, resumedAt: 30 });
      const more = sampleCustomers(5, { expiryDate: nextYear(), prefix: 'more' });
      more[0].customerId = customers[0].customerId;
      more[3].customerId = customers[29].customerId;
      const second = await runImport(config, { file: writeFile(toJsonLines(more), 'jsonl'), chunkSize: 2, ...quiet });
      expect(second).toMatchObject({ totalRows: 5, issued: 3, skipped: 2, rejected: 0 });
      const after = await inspect(config);
      expect(after.leaves).toHaveLength(34);
      expect(after.state!.root).toBe(
        new IssuerTree(
          config.treeDepth,
          after.leaves.map((l) => BigInt(l.value)),
        ).root,
      );

      // The service starts on the imported database and serves the imported tree.
      const restarted = await startService(config);
      try {
        const roots = await restarted.app.inject({ method: 'GET', url: '/tree/roots' });
        expect(roots.json().current).toEqual({ root: after.state!.root.toString(), leafCount: 34 });
      } finally {
        await restarted.close();
      }
    } finally {
      await db.cleanup();
    }
  });
});

describe('bulk import beside a running service (postgres)', () => {
  const postgres = TEST_BACKENDS.find((b) => b.name === 'postgres');
  (postgres ? it : it.skip)('plans a chunk again when an approval took the next leaf meanwhile, and leaves no gap', async () => {
    const db = await postgres!.freshDatabase();
    try {
      const config = testConfig(':unused:', db.config);
      const service = await startService(config);
      try {
        const customers = sampleCustomers(40, { expiryDate: nextYear(), prefix: 'beside' });
        const logged: string[] = [];
        let approvals = 0;
        // After the first chunk commits, the service approves an application: the next chunk, already
        // planned from the old leaf count (one chunk ahead), must be refused and planned again.
        const outcome = await runImport(config, {
          file: writeFile(toCsv(customers)),
          chunkSize: 10,
          workers: 0,
          approverKey: REVIEWER_KEY,
          log: (m) => logged.push(m),
          afterChunk: async () => {
            if (approvals++ > 0) return;
            const approved = await approveNewHolder(service);
            expect(approved.json().leafIndex).toBe(10);
          },
        });
        expect(outcome).toMatchObject({ issued: 40, rejected: 0 });
        expect(logged.some((m) => /planned again \(the tree holds 11 leaves, the chunk starts at leaf 10\)/.test(m))).toBe(true);
        const { leaves, credentials, state } = await inspect(config);
        expect(leaves.map((l) => l.index)).toEqual([...Array(41).keys()]);
        expect(credentials.filter((c) => c!.format === 'vc2')).toHaveLength(41);
        expect(state!.root).toBe(
          new IssuerTree(
            config.treeDepth,
            leaves.map((l) => BigInt(l.value)),
          ).root,
        );
        expect((await service.app.inject({ method: 'GET', url: '/tree/roots' })).json().current.root).toBe(state!.root.toString());
      } finally {
        await service.close();
      }
    } finally {
      await db.cleanup();
    }
  });
});

describe('bulk import refusals (sqlite)', () => {
  const config = testConfig(join(tmp.dir, 'refusals.sqlite'));

  function badFile(): { path: string; rows: SampleCustomer[] } {
    const rows = sampleCustomers(8, { expiryDate: nextYear() });
    rows[1].jurisdiction = 'XX'; // row 3
    rows[2].customerId = rows[0].customerId; // row 4: duplicate customer
    rows[3].documentNumber = rows[0].documentNumber as string; // row 5: same person as row 2…
    rows[3].birthDate = rows[0].birthDate as string;
    rows[4].expiryDate = '2999-01-01'; // row 6: beyond the maximum lifetime
    rows[5].holderDid = 'did:example'; // row 7
    rows[6].kycLevel = '256'; // row 8
    return { path: writeFile(toCsv(rows)), rows };
  }

  it('refuses a file with bad rows before writing anything, naming each row, field and rule', async () => {
    const { path } = badFile();
    const refused = await runImport(config, { file: path, ...quiet }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(ImportRefused);
    const errors = (refused as ImportRefused).errors.map((e) => ({ row: e.row, field: e.field, rule: e.rule }));
    expect(errors).toEqual([
      { row: 3, field: 'jurisdiction', rule: expect.any(String) },
      { row: 4, field: 'customerId', rule: 'unique-in-file' },
      { row: 5, field: 'documentNumber', rule: 'one-person-one-credential' },
      { row: 6, field: 'expiryDate', rule: 'max-lifetime' },
      { row: 7, field: 'holderDid', rule: 'did-syntax' },
      { row: 8, field: 'kycLevel', rule: 'uint8' },
    ]);
    expect((refused as Error).message).toMatch(/row 3 \(customer cust-2\): jurisdiction: /);
    const after = await inspect(config);
    expect(after.leaves).toHaveLength(0);
  });

  it('with skipInvalid imports the valid rows and writes the others to the rejects file', async () => {
    const { path } = badFile();
    const rejectsFile = `${path}.rejects.jsonl`;
    const outcome = await runImport(config, { file: path, skipInvalid: true, ...quiet });
    expect(outcome).toMatchObject({ totalRows: 8, issued: 2, rejected: 6 });
    const rejects = readFileSync(rejectsFile, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(rejects.map((r: { row: number }) => r.row)).toEqual([3, 4, 5, 6, 7, 8]);
    expect((await inspect(config)).leaves).toHaveLength(2);
  });

  it('refuses a person who already holds an active credential (an import never replaces one)', async () => {
    const rows = sampleCustomers(2, { expiryDate: nextYear(), prefix: 'again' });
    const first = await runImport(config, { file: writeFile(toCsv(rows.slice(0, 1))), ...quiet });
    expect(first.issued).toBe(1);
    rows[1].documentNumber = rows[0].documentNumber as string;
    rows[1].birthDate = rows[0].birthDate as string;
    const refused = await runImport(config, { file: writeFile(toCsv(rows.slice(1))), ...quiet }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(ImportRefused);
    expect((refused as ImportRefused).errors).toMatchObject([{ row: 2, field: 'documentNumber', rule: 'one-person-one-credential' }]);
  });

  it('refuses an unknown column and a row with the wrong number of fields as a whole-file error', async () => {
    const csv = toCsv(sampleCustomers(1, { expiryDate: nextYear() }));
    const unknown = csv.replace('givenNames', 'givenName');
    await expect(runImport(config, { file: writeFile(unknown), ...quiet })).rejects.toMatchObject({ name: 'ImportFileError', row: 1, field: 'givenName', rule: 'known-column' });
    const short = `${csv}x,y\n`;
    await expect(runImport(config, { file: writeFile(short), ...quiet })).rejects.toBeInstanceOf(ImportFileError);
    await expect(runImport(config, { file: writeFile('a', 'txt'), ...quiet })).rejects.toMatchObject({ rule: 'file-type' });
    expect(existsSync(config.databasePath)).toBe(true);
  });

  it('refuses to run on a SQLite file a running service holds (the service must be stopped)', async () => {
    const busy = testConfig(join(tmp.dir, 'busy.sqlite'));
    const service = await startService(busy);
    try {
      const file = writeFile(toCsv(sampleCustomers(1, { expiryDate: nextYear(), prefix: 'busy' })));
      await expect(runImport(busy, { file, ...quiet })).rejects.toMatchObject({ name: 'InstanceLockError' });
      expect((await service.store.listLeaves(0, 10)).length).toBe(0);
    } finally {
      await service.close();
    }
  });

  it('refuses to issue VC 1.1 credentials (the import signs VC 2.0 only)', async () => {
    const file = writeFile(toCsv(sampleCustomers(1, { expiryDate: nextYear(), prefix: 'v11' })));
    await expect(runImport({ ...config, credentialFormat: 'vc1.1' }, { file, ...quiet })).rejects.toThrow(/VC 2\.0 credentials only; CREDENTIAL_FORMAT is vc1\.1/);
  });

  it('hashes leaves with the WebAssembly Poseidon to the same values as computeLeaf', async () => {
    const hash = await wasmLeafHash();
    const attrs = encodeAttributes({ jurisdiction: 'DE', birthDate: '1980-02-29', investorClasses: ['professional-eu'], kycLevel: 3, expiryDate: '2030-12-31' });
    for (let i = 0; i < 5; i++) {
      const idc = randomSalt() + 1n;
      const salt = randomSalt();
      expect(hash(idc, attrs, salt)).toBe(computeLeaf(idc, attrs, salt));
    }
  });
});

describe('bulk import approver (sqlite)', () => {
  const config = testConfig(join(tmp.dir, 'approver.sqlite'));
  const RITA_KEY = 'Wd8kPq3ZrN6vTx1LbH9cMy4GsJ2fEa7U';

  it('refuses to run without a reviewer key holding the approver role, naming --approver and the rule, before writing anything', async () => {
    const file = writeFile(toCsv(sampleCustomers(2, { expiryDate: nextYear(), prefix: 'appr' })));
    const { approverKey: _unused, ...noKey } = quiet;
    const refusals = [
      await runImport(config, { ...noKey, file } as ImportOptions).catch((e: unknown) => e),
      await runImport(config, { ...quiet, file, approverKey: 'not-a-reviewer-key-at-all-0000000' }).catch((e: unknown) => e),
      // A configured reviewer without the approver role (rita only reviews).
      await runImport({ ...config, reviewers: [...config.reviewers, { name: 'rita', apiKey: RITA_KEY, roles: ['reviewer'] }] }, { ...quiet, file, approverKey: RITA_KEY }).catch((e: unknown) => e),
    ];
    for (const refused of refusals) {
      expect(refused).toBeInstanceOf(ImportApproverRefused);
      expect(refused).toMatchObject({ field: '--approver', rule: 'import-approver' });
    }
    expect((refusals[0] as Error).message).toMatch(/^--approver: is required/);
    expect((refusals[2] as Error).message).toMatch(/the key of "rita" has reviewer, not approver/);
    expect(existsSync(config.databasePath)).toBe(false);
  });

  it('records the approver as the actor of every chunk audit event', async () => {
    await runImport(config, { ...quiet, file: writeFile(toCsv(sampleCustomers(3, { expiryDate: nextYear(), prefix: 'actor' }))), chunkSize: 2 });
    const storage = await openBulkStorage(config);
    try {
      const events = (await storage.store.listAuditEvents({ offset: 0, limit: 100 })).filter((e) => e.action === 'bulk-import');
      expect(events).toHaveLength(2);
      expect(events.map((e) => e.actor)).toEqual(['alice', 'alice']);
    } finally {
      await storage.close();
    }
  });
});

describe('bulk import ids and connection (sqlite)', () => {
  const UUID_V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
  const millisOf = (uuid: string) => parseInt(uuid.slice(0, 8) + uuid.slice(9, 13), 16);

  it('keys credentials, applications and challenges with time-ordered UUIDs (version 7), in issuance order', async () => {
    const config = testConfig(join(tmp.dir, 'ids.sqlite'));
    const before = Date.now();
    const outcome = await runImport(config, { ...quiet, file: writeFile(toCsv(sampleCustomers(12, { expiryDate: nextYear(), prefix: 'ids' }))), chunkSize: 4 });
    expect(outcome.issued).toBe(12);
    const { credentials } = await inspect(config);
    const storage = await openBulkStorage(config);
    try {
      const ids = credentials.map((c) => c!.id);
      const applications = await Promise.all(credentials.map((c) => storage.store.getApplication(c!.applicationId)));
      for (const id of [...ids, ...applications.map((a) => a!.id)]) expect(id).toMatch(UUID_V7);
      for (const a of applications) expect(a!.challengeNonce).toMatch(/^import-/);
      for (const a of applications) expect(a!.challengeNonce.slice('import-'.length)).toMatch(UUID_V7);
      // Their first 48 bits are the time they were made: never before the import, and rising chunk after chunk.
      const times = ids.map(millisOf);
      expect(Math.min(...times)).toBeGreaterThanOrEqual(before);
      expect(times).toEqual([...times].sort((a, b) => a - b));
      expect(new Set(ids).size).toBe(12);
    } finally {
      await storage.close();
    }
  });

  it('writes through a connection tuned for many rows (synchronous NORMAL, a 256 MB page cache)', async () => {
    const config = testConfig(join(tmp.dir, 'pragmas.sqlite'));
    const storage = await openBulkStorage(config);
    try {
      // NORMAL (1): a commit survives the process being killed (bulk-import-resume.test.ts), not a power loss.
      expect(await storage.sql.all('PRAGMA synchronous')).toEqual([{ synchronous: 1 }]);
      expect(await storage.sql.all('PRAGMA cache_size')).toEqual([{ cache_size: -262144 }]);
    } finally {
      await storage.close();
    }
  });
});

describe('bulk import rejects file across a resume (sqlite)', () => {
  it('keeps the rejects of the rows settled before the interruption', async () => {
    const config = testConfig(join(tmp.dir, 'rejects-resume.sqlite'));
    const rows = sampleCustomers(7, { expiryDate: nextYear(), prefix: 'rr' });
    rows[1].jurisdiction = 'XX'; // row 3, in the first chunk (rows 2..4)
    rows[6].kycLevel = '256'; // row 8, in the last chunk
    const file = writeFile(toCsv(rows));
    const interrupted = await runImport(config, {
      ...quiet,
      file,
      skipInvalid: true,
      chunkSize: 3,
      afterChunk: () => {
        throw new Error('killed');
      },
    }).catch((e: unknown) => e);
    expect((interrupted as Error).message).toBe('killed');
    const resumed = await runImport(config, { ...quiet, file, skipInvalid: true, chunkSize: 3 });
    expect(resumed).toMatchObject({ resumedAt: 3, issued: 5, rejected: 2 });
    const rejects = readFileSync(`${file}.rejects.jsonl`, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { row: number });
    expect(rejects.map((r) => r.row)).toEqual([3, 8]);
  });
});

describe.each(TEST_BACKENDS)('bulk writer and a revocation in between ($name)', (backend) => {
  const DEPTH = 8;
  let n = 0;
  /** A chunk row with leaf `leafIndex` (its value 1000 + index) and a person of its own. */
  function row(leafIndex: number): BulkIssuedRow {
    const i = ++n;
    const now = 1_700_000_000_000;
    const attributes = { jurisdiction: 'DE', birthDate: '1990-01-01', investorClasses: [], kycLevel: 2, expiryDate: '2030-01-01' };
    return {
      customerId: `race-${i}`,
      row: i + 1,
      challengeNonce: `import-race-${i}`,
      application: {
        id: `app-${i}`,
        holderDid: `did:key:z${i}`,
        identityCommitment: '5',
        attributes: { jurisdiction: 'DE', birthDate: '1990-01-01', investorClasses: [], kycLevel: 2 },
        status: 'approved',
        accessTokenHash: `h${i}`,
        challengeNonce: `import-race-${i}`,
        createdAt: now,
        updatedAt: now,
      },
      credential: {
        id: `cred-${i}`,
        applicationId: `app-${i}`,
        holderDid: `did:key:z${i}`,
        leafIndex,
        leaf: String(1000 + leafIndex),
        salt: '1',
        attributes,
        expiryDate: '2030-01-01',
        vcJwt: 'x',
        status: 'active',
        issuedAt: now,
        revokedAt: null,
        personKey: `person-${i}`,
        format: 'vc2',
        statusList: 1,
        statusIndex: i,
      },
      identityRecord: { credentialId: `cred-${i}`, leafIndex, sealed: 's', validUntil: now, createdAt: now, purgedAt: null },
      decision: { subjectType: 'application', subjectId: `app-${i}`, action: 'approve', reviewer: 'alice', reason: null, decidedAt: now },
    } as BulkIssuedRow;
  }
  const chunk = (rowsDoneBefore: number, rows: BulkIssuedRow[]): BulkChunk => ({
    runId: 'race',
    rowsDoneBefore,
    rowsDone: rowsDoneBefore + rows.length,
    issued: rowsDoneBefore + rows.length,
    skipped: 0,
    firstLeafIndex: rows[0].credential.leafIndex,
    rows,
    audit: { at: 1, actor: 'alice', role: 'importer', action: 'bulk-import', subjectType: 'import', subjectId: 'race', detail: {} },
    now: 1,
  });

  it('a chunk planned before a revocation and written after it keeps the revoked leaf out of the root', async () => {
    const db = await backend.freshDatabase();
    const storage = await openBulkStorage(testConfig(join(tmp.dir, `race-${backend.name}.sqlite`), db.config.databaseUrl ? db.config : {}));
    try {
      const { store, writer } = storage;
      const shape = defaultTreeShape(DEPTH);
      await store.openTree(DEPTH);
      await writer.startRun({ id: 'race', fileName: 'f', totalRows: 12, rowsDone: 0, issued: 0, skipped: 0, startedAt: 1, updatedAt: 1, finishedAt: null });
      const first = [0, 1, 2, 3].map(row);
      await writer.writeChunk(chunk(0, first), shape);
      const planned = chunk(4, [4, 5, 6, 7].map(row)); // planned now, written after the revocation
      await store.recordRevocation({
        credentialId: first[1].credential.id,
        decision: { subjectType: 'credential', subjectId: first[1].credential.id, action: 'revoke', reviewer: 'bob', reason: 'test', decidedAt: 2 },
        audit: [],
      });
      await writer.writeChunk(planned, shape);

      const leaves = await store.listLeaves(0, 100);
      expect(leaves.map((l) => l.value)).toEqual(['1000', '0', '1002', '1003', '1004', '1005', '1006', '1007']);
      const root = new IssuerTree(
        DEPTH,
        leaves.map((l) => BigInt(l.value)),
      ).root;
      expect((await writer.treeState())!.root).toBe(root);
      const tree = await loadIssuerTree(store, DEPTH, () => undefined);
      for (const index of [0, 2, 3, 4, 5, 6, 7]) expect(pathRoot(await tree.proof(index))).toBe(root);

      // A person who received a credential meanwhile: the chunk is refused naming the row and customer.
      const clash = [8, 9].map(row);
      clash[1].credential.personKey = first[2].credential.personKey;
      const refused = await writer.writeChunk(chunk(8, clash), shape).catch((e: unknown) => e);
      expect(refused).toBeInstanceOf(BulkWriteConflict);
      expect(refused).toMatchObject({ reason: 'person_active', rows: [{ row: clash[1].row, customerId: clash[1].customerId }] });
      expect((refused as Error).message).toContain(`row ${clash[1].row} (customer ${clash[1].customerId})`);
      expect((await store.listLeaves(0, 100)).length).toBe(8);
    } finally {
      await storage.close();
      await db.cleanup();
    }
  });
});

describe('bulk import and a service approval of a person in the file (postgres)', () => {
  const postgres = TEST_BACKENDS.find((b) => b.name === 'postgres');
  (postgres ? it : it.skip)('rejects that row naming it and imports the rest', async () => {
    const db = await postgres!.freshDatabase();
    try {
      const config = testConfig(':unused:', db.config);
      const service = await startService(config);
      try {
        const customers = sampleCustomers(20, { expiryDate: nextYear(), prefix: 'clash' });
        // Row 15 (the second chunk) is the person the service approves after the first chunk.
        const clash = customers[13];
        Object.assign(clash, { birthDate: '1990-04-12', documentType: 'passport', issuingCountry: 'FR', familyName: 'Martin', givenNames: 'Claire Anne' });
        const file = writeFile(toCsv(customers));
        const logged: string[] = [];
        let approvals = 0;
        const outcome = await runImport(config, {
          file,
          chunkSize: 10,
          workers: 0,
          approverKey: REVIEWER_KEY,
          skipInvalid: true,
          log: (m) => logged.push(m),
          afterChunk: async () => {
            if (approvals++ > 0) return;
            const applied = await apply(service, makeHolder());
            const approved = await service.app.inject({
              method: 'POST',
              url: `/applications/${applied.json.id}/approve`,
              headers: reviewer,
              payload: { expiryDate: nextYear(), person: newPerson({ documentNumber: clash.documentNumber as string }), attributes: { kycLevel: 2 } },
            });
            expect(approved.statusCode).toBe(201);
          },
        });
        expect(outcome).toMatchObject({ totalRows: 20, issued: 19, rejected: 1 });
        expect(logged.some((m) => m.includes(`row 15 (customer ${clash.customerId})`))).toBe(true);
        const rejects = readFileSync(`${file}.rejects.jsonl`, 'utf8')
          .trim()
          .split('\n')
          .map((l) => JSON.parse(l));
        expect(rejects).toMatchObject([{ row: 15, customerId: clash.customerId, rule: 'one-person-one-credential' }]);
      } finally {
        await service.close();
      }
    } finally {
      await db.cleanup();
    }
  });
});

describe('bulk import on SQLite: finishing durably before it reports', () => {
  const SUMMARY = / issued, .* already imported, .* rejected; this run issued /;

  /** Imports `n` customers into `path`; notes, at the summary line, the WAL's size and whether the import still held the database. */
  async function importNoting(path: string, n: number) {
    const logged: string[] = [];
    const atSummary: { walBytes?: number; lock?: InstanceLock } = {};
    const log = (m: string) => {
      logged.push(m);
      if (!SUMMARY.test(m)) return;
      atSummary.walBytes = existsSync(`${path}-wal`) ? statSync(`${path}-wal`).size : 0;
      atSummary.lock = acquireSqliteInstanceLock(path); // throws while the import has the database open
    };
    const outcome = await runImport(testConfig(path), { file: writeFile(toCsv(sampleCustomers(n, { prefix: `finish-${++files}`, expiryDate: nextYear() }))), ...quiet, log });
    await atSummary.lock?.release();
    return { outcome, logged, atSummary };
  }

  it('the WAL is copied into the database file and the database closed before the summary, also with another connection open', async () => {
    const path = join(tmp.dir, 'finish-open-reader.sqlite');
    await importNoting(path, 3);
    // An idle reader keeps the file open, so closing the import's connection does not checkpoint by itself.
    const reader = new Database(path, { readonly: true });
    reader.prepare('SELECT COUNT(*) FROM credentials').get(); // a read ends, the connection stays
    try {
      const { outcome, logged, atSummary } = await importNoting(path, 5);
      expect(outcome.issuedNow).toBe(5);
      expect(atSummary.walBytes).toBe(0);
      expect(atSummary.lock).toBeDefined();
      expect(logged[logged.length - 1]).toMatch(SUMMARY);
      expect(logged.join('\n')).not.toContain('write-ahead log');
    } finally {
      reader.close();
    }
  });

  it('a reader holding a snapshot (an online backup): the finish commit is FULL, the WAL left behind is named before the summary, and nothing is lost', async () => {
    const path = join(tmp.dir, 'finish-snapshot.sqlite');
    await importNoting(path, 3);
    const reader = new Database(path, { readonly: true });
    try {
      reader.exec('BEGIN');
      reader.prepare('SELECT COUNT(*) FROM credentials').get(); // holds the snapshot from before the import
      const { outcome, logged, atSummary } = await importNoting(path, 5);
      expect(outcome.issuedNow).toBe(5);
      expect(atSummary.lock).toBeDefined();
      expect(atSummary.walBytes).toBeGreaterThan(0);
      expect(logged[logged.length - 1]).toMatch(SUMMARY);
      expect(logged[logged.length - 2]).toContain(`the import is durable in the write-ahead log ${path}-wal`);
      expect(reader.prepare('SELECT COUNT(*) AS n FROM credentials').get()).toEqual({ n: 3 });
    } finally {
      reader.exec('COMMIT');
      reader.close();
    }
    // Once the reader is gone, a new connection sees every credential and the finished journal.
    const after = new Database(path, { readonly: true });
    try {
      expect(after.prepare('SELECT COUNT(*) AS n FROM credentials').get()).toEqual({ n: 8 });
      expect(after.prepare('SELECT COUNT(*) AS n FROM import_runs WHERE finished_at IS NULL').get()).toEqual({ n: 0 });
    } finally {
      after.close();
    }
  });

  it('the journal’s finish row is committed with synchronous = FULL (the commit that fsyncs the chunks written under NORMAL)', async () => {
    const db = openSqliteDatabase(join(tmp.dir, 'finish-full.sqlite'));
    try {
      tuneForImport(db);
      expect(db.pragma('synchronous', { simple: true })).toBe(1); // NORMAL while the chunks are written
      const writer = new SqliteBulkWriter(db);
      await writer.startRun({ id: 'r1', fileName: 'f.csv', totalRows: 0, rowsDone: 0, issued: 0, skipped: 0, startedAt: 1, updatedAt: 1, finishedAt: null });
      await writer.finishRun('r1', 2);
      expect(db.pragma('synchronous', { simple: true })).toBe(2); // FULL
      expect((await writer.getRun('r1'))?.finishedAt).toBe(2);
    } finally {
      db.close();
    }
  });
});
