import { afterAll, describe, expect, it } from '@jest/globals';
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { IssuerTree } from '@zkkyc/tree';
import { sampleCustomers, toCsv } from '../src/bulk-import/sample-customers.js';
import { openBulkStorage } from '../src/store/bulk-storage.js';
import type { IssuerServiceConfig } from '../src/config.js';
import { TEST_BACKENDS } from './support/backends.js';
import { exited, killAll, spawnUntil } from './support/child-service.js';
import { nextYear, tempDir, testConfig } from './support/service.js';

/**
 * The import command as a real process, killed with SIGKILL mid-run and started again with the
 * same arguments: every row ends up issued exactly once, leaf indices are 0..n-1 without a gap, and
 * the persisted root is the root of a tree built from scratch over the stored leaves.
 */
const tmp = tempDir();
afterAll(() => {
  killAll();
  tmp.cleanup();
});

const ROWS = 3_000;
const SECRET = 'qNPJz5YDBjm4HeGqRaU1JHTebxXwST0H';
const APPROVER_KEY = 'Rm4tYc8NwQ2vLk6ZpB9xHs3JdF7gTe1K';
const REVIEWERS = `ada:${APPROVER_KEY}:approver,rex:Hb5nVq9KzT2mWc7LpX4sJd8FyR3gUa6E:reviewer`;

function envFor(config: Pick<IssuerServiceConfig, 'databasePath' | 'databaseUrl' | 'databaseSchema'>): NodeJS.ProcessEnv {
  return config.databaseUrl
    ? { ISSUER_KEY_SECRET: SECRET, REVIEWER_API_KEYS: REVIEWERS, DATABASE_URL: config.databaseUrl, DATABASE_SCHEMA: config.databaseSchema ?? 'public' }
    : { ISSUER_KEY_SECRET: SECRET, REVIEWER_API_KEYS: REVIEWERS, DATABASE_PATH: config.databasePath };
}

const IMPORT = (file: string) => ['--import', 'tsx', 'issuer-service/scripts/import.ts', '--file', file, '--approver', APPROVER_KEY, '--chunk-size', '200', '--workers', '1'];

/** Runs the import to its end; resolves with its exit code and output. */
function runToEnd(args: string[], env: NodeJS.ProcessEnv, stdin?: string): Promise<{ code: number | null; output: string }> {
  const child = spawn(process.execPath, args, { cwd: process.cwd(), env: { ...process.env, NODE_OPTIONS: '', ...env }, stdio: [stdin === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] });
  if (stdin !== undefined) child.stdin!.end(stdin);
  let output = '';
  child.stdout!.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (output += c.toString()));
  return new Promise((resolve) => child.on('exit', (code) => resolve({ code, output })));
}

describe('the import command', () => {
  it('refuses bad arguments with exit status 2, naming the argument', async () => {
    const env = { ISSUER_KEY_SECRET: SECRET, DATABASE_PATH: join(tmp.dir, 'args.sqlite') };
    const noFile = await runToEnd(['--import', 'tsx', 'issuer-service/scripts/import.ts'], env);
    expect(noFile).toMatchObject({ code: 2, output: expect.stringMatching(/--file: is required/) });
    const badChunk = await runToEnd(['--import', 'tsx', 'issuer-service/scripts/import.ts', '--file', 'x.csv', '--chunk-size', '0'], env);
    expect(badChunk).toMatchObject({ code: 2, output: expect.stringMatching(/--chunk-size: must be an integer 1\.\.10000, got "0"/) });
    const unknown = await runToEnd(['--import', 'tsx', 'issuer-service/scripts/import.ts', '--file', 'x.csv', '--force'], env);
    expect(unknown).toMatchObject({ code: 2, output: expect.stringMatching(/--force: unknown argument/) });
    const noApprover = await runToEnd(['--import', 'tsx', 'issuer-service/scripts/import.ts', '--file', 'x.csv'], env);
    expect(noApprover).toMatchObject({ code: 2, output: expect.stringMatching(/--approver: is required: .*rule import-approver/) });
  });

  it('refuses a key that is not an approver reviewer key, before reading the file (exit status 1)', async () => {
    const env = envFor({ databasePath: join(tmp.dir, 'approver.sqlite') });
    const base = ['--import', 'tsx', 'issuer-service/scripts/import.ts', '--file', 'missing.csv', '--approver'];
    const wrong = await runToEnd([...base, 'Qz1xWv7NcK4mTb9LpR2sHd6FyJ3gUe8A'], env);
    expect(wrong).toMatchObject({ code: 1, output: expect.stringMatching(/--approver: is not a reviewer key of this service/) });
    // `--approver -` reads the key from stdin.
    const reviewerOnly = await runToEnd([...base, '-'], env, 'Hb5nVq9KzT2mWc7LpX4sJd8FyR3gUa6E\n');
    expect(reviewerOnly).toMatchObject({ code: 1, output: expect.stringMatching(/--approver: the key of "rex" has reviewer, not approver \(rule import-approver/) });
  });
});

describe.each(TEST_BACKENDS)('bulk import after kill -9 ($name)', (backend) => {
  it('continues where it stopped and issues every row exactly once', async () => {
    const db = await backend.freshDatabase();
    try {
      const dbPath = join(tmp.dir, `${backend.name}.sqlite`);
      const config = testConfig(dbPath, db.config.databaseUrl ? db.config : {});
      const env = envFor(db.config.databaseUrl ? db.config : { databasePath: dbPath });
      const customers = sampleCustomers(ROWS, { expiryDate: nextYear() });
      const file = join(tmp.dir, `${backend.name}-customers.csv`);
      writeFileSync(file, toCsv(customers));

      // Killed once two chunks are committed (the third is being planned or written).
      const { child } = await spawnUntil(IMPORT(file), env, /\[import\] (4|6|8)00\/3000 rows settled/);
      child.kill('SIGKILL');
      await exited(child);
      expect(child.signalCode).toBe('SIGKILL');

      const killed = await openBulkStorage(config);
      const leavesAtKill = (await killed.store.listLeaves(0, ROWS)).length;
      await killed.close();
      expect(leavesAtKill).toBeGreaterThanOrEqual(400);
      expect(leavesAtKill).toBeLessThan(ROWS); // the kill came before the end
      expect(leavesAtKill % 200).toBe(0); // chunks are whole or absent

      const rerun = await runToEnd(IMPORT(file), env);
      expect(rerun.code).toBe(0);
      expect(rerun.output).toMatch(new RegExp(`resuming \\S*customers\\.csv after row ${leavesAtKill + 1} \\(${leavesAtKill} of ${ROWS} rows settled\\)`));
      const outcome = JSON.parse(rerun.output.trim().split('\n').at(-1) as string);
      expect(outcome).toMatchObject({ totalRows: ROWS, issued: ROWS, skipped: 0, rejected: 0, resumedAt: leavesAtKill, issuedNow: ROWS - leavesAtKill });

      const storage = await openBulkStorage(config);
      try {
        const leaves = await storage.store.listLeaves(0, ROWS + 10);
        expect(leaves.map((l) => l.index)).toEqual([...Array(ROWS).keys()]);
        const credentials = await Promise.all(leaves.map((l) => storage.store.getCredentialByLeafIndex(l.index)));
        // Every customer once: one credential per holder DID of the file, in file order.
        expect(credentials.map((c) => c!.holderDid)).toEqual(customers.map((c) => c.holderDid));
        expect((await storage.writer.importedCustomers(customers.map((c) => c.customerId as string))).size).toBe(ROWS);
        const state = await storage.writer.treeState();
        expect(state!.leafCount).toBe(ROWS);
        expect(state!.root).toBe(
          new IssuerTree(
            config.treeDepth,
            leaves.map((l) => BigInt(l.value)),
          ).root,
        );
      } finally {
        await storage.close();
      }
    } finally {
      await db.cleanup();
    }
  });
});
