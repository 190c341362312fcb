/**
 * Bulk issuance for an already-verified customer base:
 *
 *   npm run import -w @zkkyc/issuer-service -- --file customers.csv --approver <reviewer key> [--skip-invalid] [--rejects FILE] [--chunk-size N] [--workers N]
 *
 * The import issues without per-person review, so it needs the key of a reviewer with the approver
 * role (from REVIEWER_API_KEYS): `--approver <key>`, or `--approver -` to read the key from the first
 * line of stdin (keeps it out of the process list and shell history). That reviewer's name is the
 * actor of the decisions and audit events.
 *
 * Reads the same environment as the service (ISSUER_KEY_SECRET, DATABASE_PATH or DATABASE_URL,
 * ISSUER_TREE_ID, …). The file is CSV with a header row or JSON Lines (.jsonl); columns and rules in
 * docs/bulk-import.md. Exit status: 0 imported, 1 refused or failed (nothing of
 * the failing chunk written), 2 bad arguments. Rerunning the same command after a crash continues
 * where it stopped and issues nothing twice.
 */
import { resolve } from 'node:path';
import { ConfigError, loadConfig } from '../src/config.js';
import { ImportApproverRefused, ImportRefused, runImport } from '../src/bulk-import/bulk-importer.js';
import { ImportFileError } from '../src/bulk-import/import-file.js';
import { InstanceLockError } from '../src/store/instance-lock.js';

const USAGE = 'usage: import --file <customers.csv|.jsonl> --approver <reviewer key|-> [--skip-invalid] [--rejects <file>] [--chunk-size <rows>] [--workers <n>]';

interface Args {
  file: string;
  approver: string;
  skipInvalid: boolean;
  rejectsFile?: string;
  chunkSize?: number;
  workers?: number;
}

function parseArgs(argv: string[]): Args {
  const out: Partial<Args> & { skipInvalid: boolean } = { skipInvalid: false };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = () => {
      const v = argv[++i];
      if (v === undefined || v.startsWith('--')) throw new ConfigError(arg, `needs a value (${USAGE})`);
      return v;
    };
    if (arg === '--file') out.file = value();
    else if (arg === '--skip-invalid') out.skipInvalid = true;
    else if (arg === '--rejects') out.rejectsFile = value();
    else if (arg === '--approver') out.approver = value();
    else if (arg === '--workers') {
      const v = value();
      if (!/^\d{1,2}$/.test(v)) throw new ConfigError('--workers', `must be an integer 0..99, got "${v}"`);
      out.workers = Number(v);
    } else if (arg === '--chunk-size') {
      const v = value();
      if (!/^\d{1,5}$/.test(v) || Number(v) < 1 || Number(v) > 10_000) throw new ConfigError('--chunk-size', `must be an integer 1..10000, got "${v}"`);
      out.chunkSize = Number(v);
    } else throw new ConfigError(arg, `unknown argument (${USAGE})`);
  }
  if (!out.file) throw new ConfigError('--file', `is required (${USAGE})`);
  if (!out.approver) {
    throw new ConfigError('--approver', `is required: the key of a reviewer with the approver role (rule import-approver: a bulk import issues without per-person review) (${USAGE})`);
  }
  return out as Args;
}

/** The first line of stdin, for `--approver -`. */
async function firstLineOfStdin(): Promise<string> {
  let text = '';
  for await (const chunk of process.stdin) {
    text += chunk.toString();
    if (text.includes('\n')) break;
  }
  return text.split(/\r?\n/)[0].trim();
}

async function main(): Promise<number> {
  let args: Args;
  try {
    args = parseArgs(process.argv.slice(2));
  } catch (err) {
    console.error(`[import] ${(err as Error).message}`);
    return 2;
  }
  // `npm run import -w …` runs here, in issuer-service/: paths — the file, DATABASE_PATH (default
  // .data/issuer.sqlite, as `npm run issuer` uses it) — are the caller's, relative to where npm was invoked.
  const from = process.env.INIT_CWD ?? process.cwd();
  const config = loadConfig({ ...process.env, DATABASE_PATH: resolve(from, process.env.DATABASE_PATH || '.data/issuer.sqlite') });
  const { approver, ...options } = args;
  const outcome = await runImport(config, {
    ...options,
    approverKey: approver === '-' ? await firstLineOfStdin() : approver,
    file: resolve(from, args.file),
    ...(args.rejectsFile ? { rejectsFile: resolve(from, args.rejectsFile) } : {}),
    afterChunk: (run) => console.error(`[import] ${run.rowsDone}/${run.totalRows} rows settled, ${run.issued} issued`),
  });
  console.log(JSON.stringify(outcome));
  return 0;
}

main().then(
  (code) => process.exit(code),
  (err) => {
    if (err instanceof ImportRefused || err instanceof ImportApproverRefused || err instanceof ImportFileError || err instanceof ConfigError || err instanceof InstanceLockError)
      console.error(`[import] ${err.message}`);
    else console.error(err);
    process.exit(1);
  },
);
