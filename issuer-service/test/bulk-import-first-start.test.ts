import { afterAll, describe, expect, it } from '@jest/globals';
import './support/inject-shim.js';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { verifyKycCredential } from '@zkkyc/credentials';
import type { IssuerServiceConfig } from '../src/config.js';
import { runImport } from '../src/bulk-import/bulk-importer.js';
import { sampleCustomers, toCsv } from '../src/bulk-import/sample-customers.js';
import { openBulkStorage } from '../src/store/bulk-storage.js';
import { FIRST_START_LOCK_KEY, FirstStartLockTimeout } from '../src/store/first-start-lock.js';
import { createIssuerService, type IssuerService } from '../src/issuer-service.js';
import { TEST_BACKENDS } from './support/backends.js';
import { nextYear, REVIEWER_KEY, tempDir, testConfig } from './support/service.js';

/**
 * A bulk import started beside the first service start on an empty Postgres schema: both create
 * the issuer's key box, keys and DIDs when they find none, so the import takes the same first-start
 * lock as the service (store/first-start-lock.ts). Both must succeed and be one issuer.
 */
const postgres = TEST_BACKENDS.find((b) => b.name === 'postgres');
const tmp = tempDir();
afterAll(() => tmp.cleanup());
let files = 0;

async function count(config: IssuerServiceConfig, table: string): Promise<number> {
  const c = new pg.Client({ connectionString: config.databaseUrl, options: `-c search_path=${config.databaseSchema}` });
  await c.connect();
  try {
    return (await c.query(`SELECT COUNT(*)::int AS n FROM ${table}`)).rows[0].n as number;
  } finally {
    await c.end();
  }
}

function customersFile(n: number): string {
  const file = join(tmp.dir, `customers-${++files}.csv`);
  writeFileSync(file, toCsv(sampleCustomers(n, { expiryDate: nextYear() })));
  return file;
}

(postgres ? describe : describe.skip)('a bulk import beside the first start on an empty Postgres', () => {
  it('both succeed under one issuer: one DID and key, and the imported credential verifies under the DID the service serves', async () => {
    for (let round = 0; round < 3; round++) {
      const db = await postgres!.freshDatabase();
      let service: IssuerService | undefined;
      try {
        const config = testConfig(join(tmp.dir, 'unused.sqlite'), db.config);
        const [started, outcome] = await Promise.all([createIssuerService(config), runImport(config, { file: customersFile(2), log: () => undefined, workers: 0, approverKey: REVIEWER_KEY })]);
        service = started;
        expect(outcome.issued).toBe(2);
        expect(await count(config, 'veramo_dids')).toBe(1);
        expect(await count(config, 'veramo_keys')).toBe(1);

        const storage = await openBulkStorage(config);
        const credential = await storage.store.getCredentialByLeafIndex(0).finally(() => storage.close());
        const header = JSON.parse(Buffer.from(credential!.vcJwt.split('.')[0], 'base64url').toString('utf8'));
        expect(header.kid.startsWith(`${service.issuerDid}#`)).toBe(true);
        const verified = await verifyKycCredential(credential!.vcJwt, { issuerDid: service.issuerDid });
        expect(verified.error).toBeUndefined();
        expect(verified.verified).toBe(true);
      } finally {
        await service?.close();
        await db.cleanup();
      }
    }
  });

  it('an import waits for the first-start lock like a service, and gives up after the deadline having written nothing', async () => {
    const db = await postgres!.freshDatabase();
    const holder = new pg.Client({ connectionString: db.config.databaseUrl });
    try {
      const config = testConfig(join(tmp.dir, 'unused.sqlite'), { ...db.config, firstStartLockTimeoutSeconds: 1 });
      await holder.connect();
      await holder.query(`SELECT pg_advisory_lock(${FIRST_START_LOCK_KEY})`, [config.databaseSchema]);
      const logged: string[] = [];
      const failed = await runImport(config, { file: customersFile(2), log: (m) => void logged.push(m), workers: 0, approverKey: REVIEWER_KEY }).catch((err: unknown) => err);
      expect(failed).toBeInstanceOf(FirstStartLockTimeout);
      expect(logged).toContainEqual(expect.stringContaining('another instance is initializing this database'));
      expect(await count(config, 'veramo_dids')).toBe(0);
      expect(await count(config, 'credentials')).toBe(0);
      expect(await count(config, 'import_runs')).toBe(0);
    } finally {
      await holder.end();
      await db.cleanup();
    }
  });
});
