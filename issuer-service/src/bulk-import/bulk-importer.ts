import { createHash, randomBytes, randomInt } from 'node:crypto';
import { appendFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { basename } from 'node:path';
import { bitstringStatusEntry, randomSalt, STATUS_LIST_BITS, getOrCreateIssuerJoseKey } from '@zkkyc/credentials';
import type { NodeHash } from '@zkkyc/tree';
import { DEFAULT_MAX_CREDENTIAL_LIFETIME_DAYS, type IssuerServiceConfig } from '../config.js';
import { HolderDidMethods } from '../services/holder-did-methods.js';
import { personFields, IdentityRecordVault, type IdentityRecord } from '../services/identity-records.js';
import { openIssuerIdentity, openKeyBox } from '../services/issuer-identity.js';
import { treeCapacity } from '../services/issuer-tree.js';
import { wasmNodeHash } from '../services/node-hash.js';
import { PersonBinder } from '../services/person-binding.js';
import { ReviewerDirectory, type AuthenticatedReviewer } from '../services/reviewer-auth.js';
import { kycSchemaUrl, publicBaseUrl } from '../services/status-list.js';
import { openBulkStorage } from '../store/bulk-storage.js';
import { underFirstStartLock } from '../store/first-start-lock.js';
import { BulkWriteConflict, type BulkChunk, type BulkIssuedRow, type BulkWriter, type ImportRun } from '../store/bulk-writer.js';
import type { CredentialRecord } from '../store/issuer-store.js';
import { SqlPrivateKeyStore } from '../store/veramo-stores.js';
import type { IssueJob, IssueResult } from './issue-worker.js';
import { IssueWorkerPool } from './worker-pool.js';
import { importFormatOf, parseImportFile } from './import-file.js';
import { checkImportRows, describeRowError, type ImportRow, type RowError } from './import-rows.js';
import { timeOrderedUuid } from './time-ordered-id.js';

/**
 * Bulk issuance for an already-verified customer base (issue 14, item 3): every valid row of the
 * file gets what a reviewer's approval gives — a VC 2.0 credential signed by the issuer key, a leaf,
 * a status list bit, a sealed identity record, an approval decision — plus an application (status
 * approved, so the holder fetches the credential after proving control of the DID, as with token
 * recovery) and, per chunk, one audit event naming the rows and leaves it issued.
 *
 * 0. It bypasses the per-person review, so it runs only under a reviewer key with the `approver`
 *    role (`approverKey`, checked like the reviewer API checks keys); that reviewer's name is the
 *    actor of every decision and audit event it writes.
 * 1. The whole file is read and checked first (import-rows.ts); by default one bad row refuses the
 *    file before anything is written, `skipInvalid` writes the bad rows to a rejects file instead.
 * 2. Rows are issued in chunks, each in one transaction with the tree nodes above its leaves —
 *    computed inside that transaction, under the tree lock, level by level (nodes shared by the
 *    chunk's leaves are hashed once) — and the journal's progress (store/bulk-writer.ts).
 * 3. A rerun of the same file (same bytes) continues after the last settled row; customers issued
 *    by any earlier import are skipped, never issued twice.
 */

export interface ImportOptions {
  file: string;
  /** Write bad rows to `rejectsFile` and import the rest (default: refuse the file). */
  skipInvalid?: boolean;
  /** Default `<file>.rejects.jsonl`. */
  rejectsFile?: string;
  /** Rows per transaction (default 1,000). */
  chunkSize?: number;
  /**
   * A reviewer key from the service's REVIEWER_API_KEYS holding the `approver` role: required. Its
   * name is recorded as the actor of the import's decisions and audit events.
   */
  approverKey: string;
  log?: (message: string) => void;
  /** Worker threads for leaves and signatures (default: one per core; 0 = inline). */
  workers?: number;
  /** Test seam: called after each committed chunk. */
  afterChunk?: (run: ImportRun) => void | Promise<void>;
  now?: () => number;
}

export interface ImportOutcome {
  runId: string;
  totalRows: number;
  issued: number;
  /** Rows whose customer an earlier import issued. */
  skipped: number;
  rejected: number;
  /** Rows settled by earlier runs of the same file. */
  resumedAt: number;
  /** Issued by this run, and how long its chunks took. */
  issuedNow: number;
  seconds: number;
}

/** The import was refused before anything was read or written: no valid approver key (rule `import-approver`). */
export class ImportApproverRefused extends Error {
  readonly field = '--approver';
  readonly rule = 'import-approver';
  constructor(message: string) {
    super(`--approver: ${message} (rule import-approver: a bulk import issues without per-person review, so it runs only under a reviewer key with the approver role)`);
    this.name = 'ImportApproverRefused';
  }
}

/** The reviewer `approverKey` names, if it is a configured key with the `approver` role. */
export function authenticateApprover(config: Pick<IssuerServiceConfig, 'reviewers'>, approverKey: string | undefined): AuthenticatedReviewer {
  if (!approverKey) throw new ImportApproverRefused('is required: give the key of a reviewer with the approver role');
  let reviewer: AuthenticatedReviewer;
  try {
    reviewer = new ReviewerDirectory(config.reviewers).authenticate(approverKey);
  } catch {
    throw new ImportApproverRefused('is not a reviewer key of this service (REVIEWER_API_KEYS)');
  }
  if (!reviewer.roles.includes('approver')) {
    throw new ImportApproverRefused(`the key of "${reviewer.name}" has ${reviewer.roles.length ? reviewer.roles.join(', ') : 'no role'}, not approver`);
  }
  return reviewer;
}

/** The file was refused before anything was written. */
export class ImportRefused extends Error {
  constructor(readonly errors: RowError[]) {
    const shown = errors.slice(0, 20).map(describeRowError).join('\n  ');
    super(
      `the import file has ${errors.length} invalid row(s); nothing was imported (use --skip-invalid to import the valid rows and write the others to a rejects file):\n  ${shown}${errors.length > 20 ? `\n  … and ${errors.length - 20} more` : ''}`,
    );
    this.name = 'ImportRefused';
  }
}

export const DEFAULT_IMPORT_CHUNK = 1_000;
const IMPORT_ROLE = 'importer';
const MAX_CHUNK_RETRIES = 5;
/** Chunks planned and handed to the workers at once: the one being written and two ahead. */
const IN_FLIGHT = 3;

/** The issuer's signing state the importer needs, opened from the service database and config. */
interface IssuingContext {
  /** The issuer's P-256 key, for the workers' signers (direct-signer.ts): sent only to this import's own worker processes, over their IPC pipes. */
  key: IssueJob['key'];
  pool: IssueWorkerPool;
  issuerDid: string;
  schemaUrl: string;
  listUrl: (list: number) => string;
  records: IdentityRecordVault;
  nodeHash: NodeHash;
}

/** Draws status bits at random among the free bits of the current list, moving to the next when full. */
class StatusBitDrawer {
  private list = 0;
  private taken = new Set<number>();

  constructor(private readonly writer: BulkWriter) {}

  async load(): Promise<void> {
    this.list = Math.max(1, await this.writer.lastStatusList());
    this.taken = new Set(await this.writer.takenStatusBits(this.list));
  }

  draw(): { list: number; index: number } {
    if (this.taken.size >= STATUS_LIST_BITS) {
      this.list++;
      this.taken = new Set();
    }
    let index = randomInt(STATUS_LIST_BITS);
    // Probing at random stays fast until the list is nearly full; then walk to the next free bit.
    for (let tries = 0; this.taken.has(index); tries++) index = tries < 64 ? randomInt(STATUS_LIST_BITS) : (index + 1) % STATUS_LIST_BITS;
    this.taken.add(index);
    return { list: this.list, index };
  }
}

export async function runImport(config: IssuerServiceConfig, options: ImportOptions): Promise<ImportOutcome> {
  const log = options.log ?? ((m: string) => console.error(`[import] ${m}`));
  const now = options.now ?? Date.now;
  const chunkSize = options.chunkSize ?? DEFAULT_IMPORT_CHUNK;
  if (!Number.isInteger(chunkSize) || chunkSize < 1 || chunkSize > 10_000) throw new Error(`chunkSize must be an integer 1..10000, got ${chunkSize}`);
  const actor = authenticateApprover(config, options.approverKey).name;
  log(`importing as approver "${actor}": every valid row is issued without per-person review`);
  // Started first: the workers load and build their Poseidon while this process reads and checks the file.
  const pool = new IssueWorkerPool(options.workers ?? IssueWorkerPool.defaultSize());
  try {
    return await importFile(config, options, pool, actor, log, now, chunkSize);
  } finally {
    await pool.close();
  }
}

async function importFile(
  config: IssuerServiceConfig,
  options: ImportOptions,
  pool: IssueWorkerPool,
  actor: string,
  log: (message: string) => void,
  now: () => number,
  chunkSize: number,
): Promise<ImportOutcome> {
  // The node hash's WebAssembly compiles on V8's background threads while this one reads the file.
  void wasmNodeHash();
  const bytes = readFileSync(options.file);
  const runId = createHash('sha256').update(bytes).digest('hex');
  const raws = parseImportFile(bytes.toString('utf8'), importFormatOf(options.file));

  const storage = await openBulkStorage(config);
  let outcome: ImportOutcome;
  let closed: Awaited<ReturnType<typeof storage.close>>;
  try {
    const { store, sql, writer } = storage;
    // The issuer: its key box, DID and key, the person key and record vault. On an empty Postgres
    // this creates them, so it takes turns with service instances starting at the same moment
    // (store/first-start-lock.ts): all of them then read the one set the first created.
    const { persons, context } = await underFirstStartLock(
      config,
      async () => {
        const box = await openKeyBox(store, config.keySecret);
        return { persons: await PersonBinder.open(store, box), context: await openIssuingContext(config, pool, store, sql, box) };
      },
      { log },
    );
    const previous = await writer.getRun(runId);
    const resumedAt = previous?.rowsDone ?? 0;

    // 1. Check every row not settled yet, against the rules and then the database.
    const pending = raws.slice(resumedAt);
    const { rows, errors } = checkImportRows(pending, {
      now: new Date(now()),
      maxLifetimeDays: config.maxCredentialLifetimeDays ?? DEFAULT_MAX_CREDENTIAL_LIFETIME_DAYS,
      holderDids: new HolderDidMethods(),
      personKey: (p, birthDate) => persons.keyOf(p, birthDate),
    });
    const imported = await writer.importedCustomers(rows.map((r) => r.customerId));
    const active = await writer.activePersons(rows.filter((r) => !imported.has(r.customerId)).map((r) => r.personKey));
    for (const r of rows) {
      if (!imported.has(r.customerId) && active.has(r.personKey)) {
        errors.push({
          row: r.row,
          customerId: r.customerId,
          field: 'documentNumber',
          rule: 'one-person-one-credential',
          message: 'this person already holds an active credential from this issuer; an import does not replace credentials',
        });
      }
    }
    errors.sort((a, b) => a.row - b.row);
    const rejectsFile = options.rejectsFile ?? `${options.file}.rejects.jsonl`;
    if (errors.length > 0) {
      if (!options.skipInvalid) throw new ImportRefused(errors);
      writeRejects(rejectsFile, errors, pending[0]?.row);
      log(`${errors.length} invalid row(s) written to ${rejectsFile}; importing the others`);
    }
    const rejectedRows = new Set(errors.map((e) => e.row));
    const valid = new Map<number, ImportRow>(rows.filter((r) => !rejectedRows.has(r.row)).map((r) => [r.row, r]));

    // 2. The tree.
    await store.openTree(config.treeDepth, context.nodeHash);
    let run = await writer.startRun({
      id: runId,
      fileName: basename(options.file),
      totalRows: raws.length,
      rowsDone: 0,
      issued: 0,
      skipped: 0,
      startedAt: now(),
      updatedAt: now(),
      finishedAt: null,
    });
    if (resumedAt > 0) log(`resuming ${basename(options.file)} after row ${raws[resumedAt - 1]?.row ?? resumedAt} (${resumedAt} of ${raws.length} rows settled)`);

    // 3. Chunks, two ahead: the workers hash and sign chunks k+1 and k+2 while this process seals,
    // hashes the nodes of and writes chunk k — with one ahead they sat idle whenever a write took
    // longer than their half of the next chunk.
    const bits = new StatusBitDrawer(writer);
    await bits.load();
    await pool.ready({ key: context.key, issuerDid: context.issuerDid, treeId: config.treeId, schemaUrl: context.schemaUrl, validFrom: now() });
    const started = performance.now();
    let issuedNow = 0;
    const cursorOf = async (r: ImportRun): Promise<ChunkCursor> => ({
      rowsDone: r.rowsDone,
      issued: r.issued,
      skipped: r.skipped,
      leafCount: (await writer.treeState())?.leafCount ?? (await writer.leafCount()),
    });
    const start = (at: ChunkCursor) =>
      at.rowsDone < raws.length ? startChunk(config, context, writer, bits, at, raws.slice(at.rowsDone, at.rowsDone + chunkSize), valid, now()) : Promise.resolve(null);
    const planned: StartedChunk[] = [];
    /** Starts chunks until `IN_FLIGHT` are planned, after the last planned one or else at `from`. */
    const plan = async (from: ChunkCursor): Promise<void> => {
      let at = planned.length > 0 ? cursorAfter(planned[planned.length - 1]) : from;
      while (planned.length < IN_FLIGHT) {
        const chunk = await start(at);
        if (!chunk) return;
        planned.push(chunk);
        at = cursorAfter(chunk);
      }
    };
    await plan(await cursorOf(run));
    let conflicts = 0;
    for (let current = planned.shift(); current; current = planned.shift()) {
      await plan(cursorAfter(current));
      try {
        await writer.writeChunk(await finishChunk(context, run, current, actor), { depth: config.treeDepth, hash: context.nodeHash });
        conflicts = 0;
        issuedNow += current.plans.length;
        run = (await writer.getRun(runId)) as ImportRun;
        await options.afterChunk?.(run);
      } catch (err) {
        if (!(err instanceof BulkWriteConflict) || err.reason === 'journal_moved') throw err;
        if (err.reason === 'person_active' && err.rows.length > 0) {
          // A service approval issued to a person of this chunk: that row is rejected (an import
          // never replaces a credential), the rest planned again. Each such conflict drops a row.
          const dropped: RowError[] = err.rows.map(({ row, customerId }) => ({
            row,
            customerId,
            field: 'documentNumber',
            rule: 'one-person-one-credential',
            message: 'a credential was issued to this person while the import ran (person_active); an import does not replace credentials',
          }));
          for (const e of dropped) valid.delete(e.row);
          appendFileSync(rejectsFile, dropped.map((e) => JSON.stringify(e)).join('\n') + '\n');
          log(`${dropped.map(describeRowError).join('; ')} — rejected, written to ${rejectsFile}`);
        } else if (++conflicts >= MAX_CHUNK_RETRIES) throw err;
        // Another writer moved the tree or took a bit: nothing was written; plan from the stored state again.
        log(`chunk at row ${current.slice[0].row} planned again (${err.message})`);
        await Promise.all(planned.map((c) => c.work.catch(() => undefined)));
        planned.length = 0;
        run = (await writer.getRun(runId)) as ImportRun;
        await bits.load();
        await plan(await cursorOf(run));
      }
    }
    await writer.finishRun(runId, now());
    const seconds = (performance.now() - started) / 1000;
    outcome = { runId, totalRows: raws.length, issued: run.issued, skipped: run.skipped, rejected: run.rowsDone - run.issued - run.skipped, resumedAt, issuedNow, seconds };
  } finally {
    closed = await storage.close();
  }
  // Reported only once the database is closed: on SQLite, close is what makes the import durable (bulk-storage.ts).
  if (closed.walPending) {
    log(
      `the import is durable in the write-ahead log ${closed.walPending}, but a reader (an online backup?) held an older snapshot, so not all of it was copied ` +
        'into the database file yet; the next checkpoint (the service does them as it writes) finishes that — keep the -wal file with the database until then',
    );
  }
  log(`${outcome.issued} issued, ${outcome.skipped} already imported, ${outcome.rejected} rejected; this run issued ${outcome.issuedNow} in ${outcome.seconds.toFixed(1)} s`);
  return outcome;
}

async function openIssuingContext(
  config: IssuerServiceConfig,
  pool: IssueWorkerPool,
  store: Parameters<typeof openKeyBox>[0],
  sql: ConstructorParameters<typeof SqlPrivateKeyStore>[0],
  box: Awaited<ReturnType<typeof openKeyBox>>,
): Promise<IssuingContext> {
  const baseUrl = publicBaseUrl(config);
  const format = config.credentialFormat ?? 'vc2';
  if (format !== 'vc2') throw new Error(`the bulk import issues VC 2.0 credentials only; CREDENTIAL_FORMAT is ${format}`);
  const identity = await openIssuerIdentity(sql, box, config.issuerAlias, config.didWebHost, { format, schemaUrl: kycSchemaUrl(baseUrl) });
  // The same P-256 key the agent signs with, read once from the sealed key store (direct-signer.ts).
  const joseKey = await getOrCreateIssuerJoseKey(identity.agent, `${config.issuerAlias}-jose`);
  const { privateKeyHex } = await new SqlPrivateKeyStore(sql, box).getKey({ alias: joseKey.keyRef });
  return {
    key: { privateKeyHex, publicJwk: joseKey.publicJwk, kid: identity.signer.jose.signer.kid },
    pool,
    issuerDid: identity.signer.jose.did,
    schemaUrl: kycSchemaUrl(baseUrl),
    listUrl: (list) => `${baseUrl}/status/revocation/${list}`,
    records: await IdentityRecordVault.open(store, box),
    nodeHash: await wasmNodeHash(),
  };
}

/** Where the journal and the tree stand before a chunk. */
interface ChunkCursor {
  rowsDone: number;
  issued: number;
  skipped: number;
  leafCount: number;
}

/** A chunk whose leaves and signatures are being computed by the workers. */
interface StartedChunk {
  at: ChunkCursor;
  slice: Array<{ row: number }>;
  now: number;
  plans: Array<{ r: ImportRow; leafIndex: number; salt: bigint; bit: { list: number; index: number } }>;
  /** Rows whose customer is imported already. */
  skipped: number;
  work: Promise<IssueResult>;
}

function cursorAfter(c: StartedChunk): ChunkCursor {
  return { rowsDone: c.at.rowsDone + c.slice.length, issued: c.at.issued + c.plans.length, skipped: c.at.skipped + c.skipped, leafCount: c.at.leafCount + c.plans.length };
}

/** Allocates a chunk's leaf indices, salts and status bits (in row order) and hands the leaves and signatures to the workers. */
async function startChunk(
  config: IssuerServiceConfig,
  ctx: IssuingContext,
  writer: BulkWriter,
  bits: StatusBitDrawer,
  at: ChunkCursor,
  slice: Array<{ row: number }>,
  valid: Map<number, ImportRow>,
  now: number,
): Promise<StartedChunk> {
  const candidates = slice.map((r) => valid.get(r.row)).filter((r): r is ImportRow => r !== undefined);
  // A customer imported by another file (or run) since the check is skipped, not issued again.
  const imported = await writer.importedCustomers(candidates.map((r) => r.customerId));
  const toIssue = candidates.filter((r) => !imported.has(r.customerId));
  const capacity = treeCapacity({ depth: config.treeDepth });
  if (at.leafCount + toIssue.length > capacity) {
    throw new Error(`the issuer tree holds ${at.leafCount} of ${capacity} leaves: the ${toIssue.length} credentials of rows ${slice[0].row}.. do not fit (rule tree-capacity)`);
  }
  const plans = toIssue.map((r, i) => ({ r, leafIndex: at.leafCount + i, salt: randomSalt(), bit: bits.draw() }));
  const work = ctx.pool.issue({
    key: ctx.key,
    issuerDid: ctx.issuerDid,
    treeId: config.treeId,
    schemaUrl: ctx.schemaUrl,
    validFrom: now,
    rows: plans.map((p) => ({
      holderDid: p.r.holderDid,
      attributes: p.r.attributes,
      encoded: p.r.encoded,
      identityCommitment: p.r.identityCommitment.toString(),
      salt: p.salt.toString(),
      leafIndex: p.leafIndex,
      status: bitstringStatusEntry(ctx.listUrl(p.bit.list), p.bit.index),
    })),
  });
  work.catch(() => undefined); // awaited by finishChunk; a failure before then must not go unhandled
  return { at, slice, now, plans, skipped: candidates.length - toIssue.length, work };
}

/** Everything a started chunk writes: its rows, sealed records, the tree nodes above its leaves, the audit event. */
async function finishChunk(ctx: IssuingContext, run: ImportRun, started: StartedChunk, actor: string): Promise<BulkChunk> {
  const { at, slice, now, plans } = started;
  const firstLeafIndex = at.leafCount;
  const { leaves: leafValues, jwts } = await started.work;
  const rows: BulkIssuedRow[] = [];
  for (const [i, { r, leafIndex, salt, bit }] of plans.entries()) {
    const leaf = BigInt(leafValues[i]);
    const applicationId = timeOrderedUuid();
    const credential: CredentialRecord = {
      id: timeOrderedUuid(),
      applicationId,
      holderDid: r.holderDid,
      leafIndex,
      leaf: leaf.toString(),
      salt: salt.toString(),
      attributes: r.attributes,
      expiryDate: r.attributes.expiryDate,
      vcJwt: jwts[i],
      status: 'active',
      issuedAt: now,
      revokedAt: null,
      personKey: r.personKey,
      format: 'vc2',
      statusList: bit.list,
      statusIndex: bit.index,
    };
    const record: IdentityRecord = {
      version: 1,
      credentialId: credential.id,
      leafIndex,
      person: personFields(r.person),
      attributes: r.attributes,
      issuedAt: now,
      validUntil: r.attributes.expiryDate,
      verifiedBy: [{ name: actor, role: IMPORT_ROLE, action: 'approved', at: now }],
    };
    const challengeNonce = `import-${timeOrderedUuid()}`;
    rows.push({
      customerId: r.customerId,
      row: r.row,
      challengeNonce,
      application: {
        id: applicationId,
        holderDid: r.holderDid,
        identityCommitment: r.identityCommitment.toString(),
        attributes: { jurisdiction: r.attributes.jurisdiction, birthDate: r.attributes.birthDate, investorClasses: r.attributes.investorClasses, kycLevel: r.attributes.kycLevel },
        status: 'approved',
        // No holder was handed a token: the holder proves control of the DID to get one (token recovery).
        accessTokenHash: createHash('sha256').update(randomBytes(32)).digest('hex'),
        challengeNonce,
        createdAt: now,
        updatedAt: now,
      },
      credential,
      identityRecord: ctx.records.seal(record, now),
      decision: { subjectType: 'application', subjectId: applicationId, action: 'approve', reviewer: actor, reason: null, decidedAt: now },
    });
  }
  const issued = rows.length;
  const skipped = started.skipped;
  const after = cursorAfter(started);
  return {
    runId: run.id,
    rowsDoneBefore: at.rowsDone,
    rowsDone: after.rowsDone,
    issued: after.issued,
    skipped: after.skipped,
    firstLeafIndex,
    rows,
    audit: {
      at: now,
      actor,
      role: IMPORT_ROLE,
      action: 'bulk-import',
      subjectType: 'import',
      subjectId: run.id,
      detail: {
        file: run.fileName,
        rows: [slice[0].row, slice[slice.length - 1].row],
        issued,
        skippedAsImported: skipped,
        leafIndices: issued > 0 ? [firstLeafIndex, firstLeafIndex + issued - 1] : null,
        credentialIds: rows.map((r) => r.credential.id),
      },
    },
    now,
  };
}

/**
 * Writes the rejects file. On a resumed run (`firstPendingRow` past the file's first row) the
 * rejects of the settled rows, written by the earlier runs, are kept and this run's follow them,
 * so a kill and a rerun lose no rejected row and repeat none.
 */
function writeRejects(path: string, errors: RowError[], firstPendingRow: number | undefined): void {
  const kept =
    firstPendingRow !== undefined && existsSync(path)
      ? readFileSync(path, 'utf8')
          .split('\n')
          .filter((line) => line.trim() !== '' && (JSON.parse(line) as RowError).row < firstPendingRow)
      : [];
  writeFileSync(path, [...kept, ...errors.map((e) => JSON.stringify(e))].join('\n') + '\n');
}
