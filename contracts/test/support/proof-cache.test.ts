import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ProofCache } from './proof-cache.js';

// A circuit of our own making, so these tests get a cache directory no real proof shares.
const scratch = mkdtempSync(join(tmpdir(), 'proof-cache-test-'));
const zkey = join(scratch, 'c.zkey');
writeFileSync(zkey, `a key made at ${Date.now()} ${Math.random()}`);
const circuit = { name: 'testCircuit', files: [zkey] };
let cacheDirs: string[] = [];

afterAll(() => {
  rmSync(scratch, { recursive: true, force: true });
  for (const dir of cacheDirs) rmSync(dir, { recursive: true, force: true });
});

function proofsDirs(): string[] {
  const root = join(tmpdir(), 'zkkyc-proof-cache');
  return readdirSync(root)
    .filter((name) => name.startsWith('testCircuit-'))
    .map((name) => join(root, name));
}

test('a statement proved in one process is read back by another, as an equal copy with bigints intact', async () => {
  const proof = { nullifier: 7n, publicSignals: ['1', '2'] };
  const first = new ProofCache<typeof proof>({ save: false });
  expect(await first.getOrProve(circuit, 'statement A', async () => proof)).toEqual(proof);
  expect(first.stats).toEqual({ memoryHits: 0, diskHits: 0, proved: 1 });

  const second = new ProofCache<typeof proof>({ save: false }); // as another test file or worker would have
  let calls = 0;
  const prove = async () => {
    calls++;
    return { nullifier: 8n, publicSignals: [] };
  };
  const got = await second.getOrProve(circuit, 'statement A', prove);
  expect(got).toEqual(proof);
  expect(calls).toBe(0);
  got.publicSignals.push('tampered');
  expect(await second.getOrProve(circuit, 'statement A', prove)).toEqual(proof);
  expect(second.stats).toEqual({ memoryHits: 1, diskHits: 1, proved: 0 });
  cacheDirs = proofsDirs();
  // One file per statement, and no temporary file left behind.
  expect(cacheDirs.flatMap((dir) => readdirSync(dir))).toHaveLength(1);
});

test('another statement, or the same statement for a changed key, is proved anew', async () => {
  const cache = new ProofCache<string>({ save: false });
  expect(await cache.getOrProve(circuit, 'statement B', async () => 'b')).toBe('b');
  writeFileSync(zkey, `a changed key ${Math.random()}`);
  const afterChange = new ProofCache<{ nullifier: bigint }>({ save: false });
  expect(await afterChange.getOrProve(circuit, 'statement A', async () => ({ nullifier: 9n }))).toEqual({ nullifier: 9n });
  expect(afterChange.stats.proved).toBe(1);
  cacheDirs = proofsDirs();
  expect(cacheDirs).toHaveLength(2);
});

test('a proof that fails is not stored', async () => {
  const cache = new ProofCache<string>({ save: false });
  await expect(cache.getOrProve(circuit, 'statement C', async () => Promise.reject(new Error('unsatisfied')))).rejects.toThrow('unsatisfied');
  expect(await new ProofCache<string>({ save: false }).getOrProve(circuit, 'statement C', async () => 'c')).toBe('c');
});

test('a proof kept in the repository directory is used without proving; saving writes it there and drops older provenance', async () => {
  const repositoryRoot = join(scratch, 'repository-proofs');
  const saver = new ProofCache<string>({ repositoryRoot, save: true });
  // A directory of this circuit from an older key, which can never match again.
  const stale = join(repositoryRoot, 'testCircuit-0000');
  mkdirSync(stale, { recursive: true });
  writeFileSync(join(stale, 'x.v8'), 'old');
  expect(await saver.getOrProve(circuit, 'statement D', async () => 'd')).toBe('d');
  const saved = readdirSync(repositoryRoot);
  expect(saved).toHaveLength(1);
  expect(saved[0]).toMatch(/^testCircuit-[0-9a-f]{64}$/);
  expect(readdirSync(join(repositoryRoot, saved[0]))).toHaveLength(1);

  // A fresh clone: nothing in the run's cache, the proof in the repository.
  for (const dir of proofsDirs()) rmSync(dir, { recursive: true, force: true });
  const fresh = new ProofCache<string>({ repositoryRoot, save: false });
  let calls = 0;
  expect(
    await fresh.getOrProve(circuit, 'statement D', async () => {
      calls++;
      return 'proved again';
    }),
  ).toBe('d');
  expect(calls).toBe(0);
  expect(fresh.stats).toEqual({ memoryHits: 0, diskHits: 1, proved: 0 });
  // Without saving, a new statement is not written into the repository.
  await fresh.getOrProve(circuit, 'statement E', async () => 'e');
  expect(readdirSync(join(repositoryRoot, saved[0]))).toHaveLength(1);
  cacheDirs = proofsDirs();
});

test("a stored file holding another statement's proof, or a proof failing the caller's check, is proved again", async () => {
  const repositoryRoot = join(scratch, 'swapped-proofs');
  const saver = new ProofCache<string>({ repositoryRoot, save: true });
  await saver.getOrProve(circuit, 'statement F', async () => 'f');
  await saver.getOrProve(circuit, 'statement G', async () => 'g');
  // Swap the two files, in the repository and in the run's cache, as a careless or hostile commit could.
  for (const dir of [join(repositoryRoot, readdirSync(repositoryRoot)[0]), ...proofsDirs()]) {
    const [a, b] = ['statement F', 'statement G'].map((s) => join(dir, `${createHash('sha256').update(s).digest('hex')}.v8`));
    const bytesA = readFileSync(a);
    writeFileSync(a, readFileSync(b));
    writeFileSync(b, bytesA);
  }
  const fresh = new ProofCache<string>({ repositoryRoot, save: false });
  expect(await fresh.getOrProve(circuit, 'statement F', async () => 'f, proved again')).toBe('f, proved again');
  expect(fresh.stats.proved).toBe(1);
  // The right file, but the caller's check (for fixture.ts: Groth16 verification) refuses it.
  const checked = new ProofCache<string>({ repositoryRoot, save: false });
  expect(await checked.getOrProve(circuit, 'statement H', async () => 'h')).toBe('h');
  const rejecting = new ProofCache<string>({ repositoryRoot, save: false });
  expect(
    await rejecting.getOrProve(
      circuit,
      'statement H',
      async () => 'h, proved again',
      async () => false,
    ),
  ).toBe('h, proved again');
  expect(rejecting.stats).toEqual({ memoryHits: 0, diskHits: 0, proved: 1 });
  cacheDirs = proofsDirs();
});
