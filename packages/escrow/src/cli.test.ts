import { execFile, fork, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { decodeCiphertext, decodePublicKey, encodeLogEntry } from './documents.js';

/**
 * The CLI end to end, in child processes with tsx: a 2-of-3 DKG among three auditors in a temporary
 * directory, an encryption, two partials for a request in an offline log entry file, and combine.
 * The ceremony's twenty-three commands run in one long-lived child (cli-session.fixture.ts, through
 * runEscrowCli as the bin does), since a fresh process costs a second of CPU in start-up alone; the
 * single-holder test spawns one process per command, through cli.ts and through the package bin, as
 * an operator would. (The on-chain disclosure log, the default, is tested in
 * disclosure-log-chain.test.ts.)
 */
const packageDir = resolve(fileURLToPath(new URL('.', import.meta.url)), '..');
const repoRoot = resolve(packageDir, '../..');
// tsx's loader by path: the CLI runs in a temporary directory, where the bare name would not resolve.
const tsxLoader = pathToFileURL(join(repoRoot, 'node_modules/tsx/dist/loader.mjs')).href;
const cli = join(packageDir, 'src/cli.ts');

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

// One process per call (node with tsx's loader), not the tsx CLI, which starts a second node for the script.
function run(args: string[], cwd: string, command = process.execPath, prefix = ['--import', tsxLoader, cli]): Promise<Run> {
  return new Promise((done) => {
    execFile(command, [...prefix, ...args], { cwd, env: { ...process.env, NODE_OPTIONS: '' } }, (error, stdout, stderr) => {
      done({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

/** One child that runs CLI commands in turn (cli-session.fixture.ts); `run` has the signature of the spawning one. */
interface CliSession {
  run(args: string[], cwd: string): Promise<Run>;
  close(): Promise<void>;
}

function startCliSession(): CliSession {
  const child: ChildProcess = fork(join(packageDir, 'src/cli-session.fixture.ts'), [], {
    execArgv: ['--import', tsxLoader],
    env: { ...process.env, NODE_OPTIONS: '' },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const pending = new Map<number, { done: (r: Run) => void; fail: (e: Error) => void }>();
  let next = 0;
  child.on('message', ({ id, ...result }: Run & { id: number }) => {
    pending.get(id)?.done(result);
    pending.delete(id);
  });
  // A channel that broke (the child died) fails what is pending instead of crashing the worker.
  child.on('error', (error) => {
    for (const { fail } of pending.values()) fail(error);
    pending.clear();
  });
  const exited = new Promise<void>((resolveExit) =>
    child.on('exit', (code) => {
      for (const { fail } of pending.values()) fail(new Error(`the CLI session exited (${code}) with a command pending`));
      pending.clear();
      resolveExit();
    }),
  );
  return {
    run: (args, cwd) =>
      new Promise((done, fail) => {
        const id = next++;
        pending.set(id, { done, fail });
        child.send({ id, args, cwd });
      }),
    close: async () => {
      if (child.connected) child.disconnect();
      await exited;
    },
  };
}

const json = (dir: string, file: string) => JSON.parse(readFileSync(join(dir, file), 'utf8'));
const mode = (dir: string, file: string) => statSync(join(dir, file)).mode & 0o777;

describe('escrow CLI', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'zkkyc-escrow-'));
  });
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('runs a 2-of-3 DKG, encrypts, and decrypts with two auditors for a logged request', async () => {
    const session = startCliSession();
    try {
      await ceremony(session.run);
    } finally {
      await session.close();
    }
  }, 600_000);

  async function ceremony(run: CliSession['run']): Promise<void> {
    const ids = [1, 2, 3];
    const ok = (r: Run) => {
      if (r.code !== 0) throw new Error(`escrow failed (${r.code}): ${r.stderr}`);
      return r;
    };
    const announcements = ids.flatMap((i) => ['--announcement', `announce-${i}.json`]);
    const dealings = ids.flatMap((i) => ['--dealing', `dealing-${i}.json`]);

    await Promise.all(ids.map((i) => run(['dkg', 'init', '--index', `${i}`, '--n', '3', '--k', '2', '--state-out', `state-${i}.json`, '--out', `announce-${i}.json`], dir).then(ok)));
    for (const i of ids) {
      expect(mode(dir, `state-${i}.json`)).toBe(0o600);
      expect(json(dir, `announce-${i}.json`)).toMatchObject({ kind: 'zkkyc-escrow-dkg-announcement', index: i, n: 3, k: 2 });
    }
    await Promise.all(ids.map((i) => run(['dkg', 'deal', '--state', `state-${i}.json`, ...announcements, '--out', `dealing-${i}.json`], dir).then(ok)));
    const received = await Promise.all(ids.map((i) => run(['dkg', 'receive', '--state', `state-${i}.json`, ...announcements, ...dealings, '--out', `complaints-${i}.json`], dir).then(ok)));
    for (const [i, r] of received.entries()) {
      expect(JSON.parse(r.stdout)).toMatchObject({ participant: i + 1, accepted: [1, 2, 3], complaints: [] });
      expect(json(dir, `complaints-${i + 1}.json`)).toMatchObject({ kind: 'zkkyc-escrow-dkg-complaints', complainer: i + 1, complaints: [] });
    }
    const complaints = ids.flatMap((i) => ['--complaints', `complaints-${i}.json`]);
    await Promise.all(
      ids.map((i) =>
        run(['dkg', 'finalize', '--state', `state-${i}.json`, ...announcements, ...dealings, ...complaints, '--share-out', `share-${i}.json`, '--public-out', `escrow-key-${i}.json`], dir).then(ok),
      ),
    );
    for (const i of ids) expect(mode(dir, `share-${i}.json`)).toBe(0o600);
    // Every auditor derived the same public key file, byte for byte.
    const keyText = readFileSync(join(dir, 'escrow-key-1.json'), 'utf8');
    expect(readFileSync(join(dir, 'escrow-key-2.json'), 'utf8')).toBe(keyText);
    expect(readFileSync(join(dir, 'escrow-key-3.json'), 'utf8')).toBe(keyText);
    const key = decodePublicKey(JSON.parse(keyText));
    expect(key).toMatchObject({ mode: 'threshold', n: 3, k: 2, qualified: [1, 2, 3] });

    ok(await run(['encrypt', '--public-key', 'escrow-key-1.json', '--leaf-index', '4242', '--out', 'ciphertext.json', '--randomness-out', 'r.json'], dir));
    expect(mode(dir, 'r.json')).toBe(0o600);
    const ciphertext = decodeCiphertext(json(dir, 'ciphertext.json'));
    const requestA = 'case-A';
    writeFileSync(join(dir, 'log-A.json'), JSON.stringify(encodeLogEntry({ request: requestA, publicKey: key.publicKey, ciphertext })));

    // An entry file anyone can write: only with --unsafe-offline-entry, named on purpose.
    const unnamed = await run(['partial', '--share', 'share-1.json', '--ciphertext', 'ciphertext.json', '--request', requestA, '--log-entry', 'log-A.json', '--out', 'p.json'], dir);
    expect(unnamed.code).toBe(2);
    expect(unnamed.stderr).toContain('--log-entry needs --unsafe-offline-entry');
    expect(() => readFileSync(join(dir, 'p.json'))).toThrow();
    // No request: refused before anything is read.
    const noRequest = await run(['partial', '--share', 'share-1.json', '--ciphertext', 'ciphertext.json', '--log-entry', 'log-A.json', '--unsafe-offline-entry', '--out', 'p.json'], dir);
    expect(noRequest.code).toBe(2);
    expect(noRequest.stderr).toContain('partial needs --request REF');
    // Neither the on-chain log (the default) nor the offline entry file: refused.
    const noLog = await run(['partial', '--share', 'share-1.json', '--ciphertext', 'ciphertext.json', '--request', requestA, '--out', 'p.json'], dir);
    expect(noLog.code).toBe(2);
    expect(noLog.stderr).toContain('partial needs the disclosure request as logged on chain');
    // The offline file and chain flags do not mix.
    const mixed = await run(
      [
        'partial',
        '--share',
        'share-1.json',
        '--ciphertext',
        'ciphertext.json',
        '--request',
        requestA,
        '--log-entry',
        'log-A.json',
        '--unsafe-offline-entry',
        '--rpc',
        'http://127.0.0.1:1',
        '--out',
        'p.json',
      ],
      dir,
    );
    expect(mixed.code).toBe(2);
    expect(mixed.stderr).toContain('--log-entry is the offline alternative to the on-chain log: drop --rpc');
    // A request that is not the logged one: refused.
    const unlogged = await run(
      ['partial', '--share', 'share-1.json', '--ciphertext', 'ciphertext.json', '--request', 'case-B', '--log-entry', 'log-A.json', '--unsafe-offline-entry', '--out', 'p.json'],
      dir,
    );
    expect(unlogged.code).toBe(1);
    expect(unlogged.stderr).toContain('EscrowError: request "case-B" is not the request in the log entry');

    const offline = await Promise.all(
      [1, 3].map((i) =>
        run(
          ['partial', '--share', `share-${i}.json`, '--ciphertext', 'ciphertext.json', '--request', requestA, '--log-entry', 'log-A.json', '--unsafe-offline-entry', '--out', `partial-${i}.json`],
          dir,
        ).then(ok),
      ),
    );
    for (const r of offline) expect(r.stderr).toContain('escrow: WARNING: --unsafe-offline-entry');
    const combined = ok(
      await run(['combine', '--public-key', 'escrow-key-2.json', '--ciphertext', 'ciphertext.json', '--request', requestA, '--partial', 'partial-1.json', '--partial', 'partial-3.json'], dir),
    );
    // K is printed for the issuer; a request that is not a disclosure log reference gives no issuerRequest.
    expect(JSON.parse(combined.stdout)).toEqual({
      leafIndex: 4242,
      sharedPoint: [expect.stringMatching(/^[1-9][0-9]*$/), expect.stringMatching(/^[1-9][0-9]*$/)],
      used: [1, 3],
      rejected: [],
      missing: [2],
    });
    // The same partials do not open the ciphertext for another request.
    const otherRequest = await run(
      ['combine', '--public-key', 'escrow-key-2.json', '--ciphertext', 'ciphertext.json', '--request', 'case-B', '--partial', 'partial-1.json', '--partial', 'partial-3.json'],
      dir,
    );
    expect(otherRequest.code).toBe(1);
    expect(otherRequest.stderr).toContain('partials give 0 valid, need 2');
    expect(otherRequest.stderr).toContain('auditor 1\'s partial was made for request "case-A", not "case-B"');

    // A tampered box is named in a complaint by its recipient.
    const dealing2 = json(dir, 'dealing-2.json');
    const box = dealing2.shares[2].box as string;
    dealing2.shares[2].box = (box[0] === 'a' ? 'b' : 'a') + box.slice(1);
    writeFileSync(join(dir, 'dealing-2-tampered.json'), JSON.stringify(dealing2));
    const tampered = ok(
      await run(
        [
          'dkg',
          'receive',
          '--state',
          'state-3.json',
          ...announcements,
          '--dealing',
          'dealing-1.json',
          '--dealing',
          'dealing-2-tampered.json',
          '--dealing',
          'dealing-3.json',
          '--out',
          'complaints-3b.json',
        ],
        dir,
      ),
    );
    expect(JSON.parse(tampered.stdout).complaints).toEqual([{ dealer: 2, reason: 'undecryptable' }]);
    expect(json(dir, 'complaints-3b.json').complaints).toEqual([expect.objectContaining({ dealer: 2, reason: 'undecryptable' })]);
  }

  it('makes, uses and protects a single-holder key, and runs through the package bin', async () => {
    const keygen = await run(['keygen', '--single', '--secret-out', 'ta-key.json', '--public-out', 'ta-public.json'], dir);
    expect(keygen.code).toBe(0);
    expect(mode(dir, 'ta-key.json')).toBe(0o600);
    expect(json(dir, 'ta-public.json')).toMatchObject({ kind: 'zkkyc-escrow-public-key', mode: 'single' });
    const again = await run(['keygen', '--single', '--secret-out', 'ta-key.json', '--public-out', 'ta-public-2.json'], dir);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('a secret file is never overwritten');

    const bin = join(packageDir, 'bin/escrow.js');
    const enc = await run(['encrypt', '--public-key', 'ta-public.json', '--leaf-index', '7', '--out', 'ta-ct.json'], dir, process.execPath, [bin]);
    expect(enc.code).toBe(0);
    const dec = await run(['decrypt', '--secret-key', 'ta-key.json', '--ciphertext', 'ta-ct.json'], dir);
    expect(JSON.parse(dec.stdout)).toEqual({ leafIndex: 7, sharedPoint: [expect.stringMatching(/^[1-9][0-9]*$/), expect.stringMatching(/^[1-9][0-9]*$/)] });

    const usage = await run(['keygen', '--secret-out', 'x.json', '--public-out', 'y.json'], dir);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain('pass --single');
  }, 300_000);
});
