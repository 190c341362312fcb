// CI ties the committed keys to the circuit it just compiled, not only to the
// hashes the setup wrote in the manifest: a verification key, a Solidity
// verifier or a zkey that belongs to another circuit must fail
// check-manifest.mjs even when the manifest was rewritten to match it. Every
// case works on copies in a temporary tree (script-tree.ts); the committed
// artifacts are only read.
//
// - check-manifest.mjs, end to end, on a tree where the kycPolicy32 vkey and
//   verifier were edited and kycPolicy20 got kycPolicy32's whole key set, each
//   with the manifest's hashes updated: every tampering is reported.
// - key-binding.mjs on small circuits of identical shape (same wires, same
//   constraint count, same public signals) that differ only in a coefficient of
//   A, only in the constant of C, or only in a private wire of C: a zkey made
//   for one is refused for the other, by the coefficient check, the IC check
//   and the C-point check respectively; and a zkey with two points of one
//   prover section swapped is refused by that section's check.
// The committed artifacts themselves are checked by check-manifest.mjs in npm test.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as snarkjs from 'snarkjs';
import { PTAU_PATH, REPO_ROOT } from '../scripts/circom.mjs';
import { scriptTree, type ScriptTree } from './script-tree.js';

type KeyBinding = { keyBindingProblems(files: { r1cs: string; ptau: string; zkey: string }): Promise<string[]> };
type Compile = (circuit: { name: string; depth: number; verifierContract: string }, options?: { wasm?: boolean }) => { r1cs: string };

/** Where section `id` of an iden3 binary file (zkey, r1cs, ptau) lies. */
function sectionAt(bytes: Buffer, id: number): { start: number; length: number } {
  let pos = 12;
  for (let i = 0; i < bytes.readUInt32LE(8); i++) {
    const length = Number(bytes.readBigUInt64LE(pos + 4));
    if (bytes.readUInt32LE(pos) === id) return { start: pos + 12, length };
    pos += 12 + length;
  }
  throw new Error(`no section ${id}`);
}

const sha256 = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');

afterAll(async () => {
  await (globalThis as { curve_bn128?: { terminate(): Promise<void> } }).curve_bn128?.terminate();
});

describe('check-manifest.mjs on tampered copies whose manifest was rewritten to match', () => {
  let tree: ScriptTree;
  let run: { status: number | null; stdout: string; stderr: string };

  beforeAll(() => {
    tree = scriptTree('binding', ['circuits/main', 'circuits/src', 'circuits/artifacts', 'contracts/src/verifiers']);
    const manifest = JSON.parse(readFileSync(tree.path('circuits/artifacts/manifest.json'), 'utf8'));
    const rehash = (name: string, key: string) => {
      manifest.circuits[name][key].sha256 = sha256(tree.path(manifest.circuits[name][key].file));
    };

    // 1. A verification key with one coordinate of IC[0] changed.
    const vkeyFile = tree.path('circuits/artifacts/kycPolicy32/verification_key.json');
    const vkey = JSON.parse(readFileSync(vkeyFile, 'utf8'));
    vkey.IC[0][0] = (BigInt(vkey.IC[0][0]) + 1n).toString();
    writeFileSync(vkeyFile, JSON.stringify(vkey, null, 1) + '\n');
    rehash('kycPolicy32', 'verificationKey');

    // 2. A verifier with one constant of its verification key changed.
    const verifierFile = tree.path('contracts/src/verifiers/KycPolicyVerifier32.sol');
    const solidity = readFileSync(verifierFile, 'utf8');
    const constant = /(uint256 constant deltax1 = )(\d+);/.exec(solidity)!;
    writeFileSync(verifierFile, solidity.replace(constant[0], `${constant[1]}${BigInt(constant[2]) + 1n};`));
    rehash('kycPolicy32', 'verifier');

    // 3. kycPolicy20 gets a consistent key set made for another circuit (kycPolicy32's):
    //    its zkey, its vkey, its verifier under the depth-20 name.
    copyFileSync(tree.path('circuits/artifacts/kycPolicy32/kycPolicy32.zkey'), tree.path('circuits/artifacts/kycPolicy20/kycPolicy20.zkey'));
    copyFileSync(join(REPO_ROOT, 'circuits/artifacts/kycPolicy32/verification_key.json'), tree.path('circuits/artifacts/kycPolicy20/verification_key.json'));
    writeFileSync(
      tree.path('contracts/src/verifiers/KycPolicyVerifier20.sol'),
      readFileSync(join(REPO_ROOT, 'contracts/src/verifiers/KycPolicyVerifier32.sol'), 'utf8')
        .replace('kycPolicy32/kycPolicy32.zkey', 'kycPolicy20/kycPolicy20.zkey')
        .replace('contract KycPolicyVerifier32', 'contract KycPolicyVerifier20'),
    );
    for (const key of ['zkey', 'verificationKey', 'verifier']) rehash('kycPolicy20', key);

    writeFileSync(tree.path('circuits/artifacts/manifest.json'), JSON.stringify(manifest, null, 2) + '\n');
    // The two circuits whose keys were tampered with (the escrow circuit's are untouched, and npm
    // test checks them on the real files): compiling it again here would only add time.
    run = spawnSync(process.execPath, [tree.path('circuits/scripts/check-manifest.mjs'), 'kycPolicy32', 'kycPolicy20'], { cwd: tree.root, encoding: 'utf8' });
  });

  afterAll(() => tree.remove());

  it('fails', () => {
    expect(run.stderr).not.toBe('');
    expect(run.status).toBe(1);
  });

  it('finds the untouched kycPolicy32 zkey bound to the compiled circuit (what npm test checks on the real files)', () => {
    expect(run.stderr).not.toMatch(/kycPolicy32: circuits\/artifacts\/kycPolicy32\/kycPolicy32\.zkey/);
    expect(run.stderr).not.toMatch(/kycPolicy32: .*(circuit changed|does not match the manifest|wasm)/);
  });

  it('reports the edited verification key', () => {
    expect(run.stderr).toMatch(/kycPolicy32: circuits\/artifacts\/kycPolicy32\/verification_key\.json is not the verification key of the zkey/);
  });

  it('reports the edited verifier', () => {
    expect(run.stderr).toMatch(/kycPolicy32: contracts\/src\/verifiers\/KycPolicyVerifier32\.sol is not the verifier generated from the zkey/);
  });

  it("reports a zkey made for another circuit, and nothing else about that circuit's keys", () => {
    expect(run.stderr).toMatch(/kycPolicy20: circuits\/artifacts\/kycPolicy20\/kycPolicy20\.zkey was not made for the compiled circuit: it has \d+ wires, the r1cs \d+/);
    // Its vkey and verifier are the ones that zkey gives, so they are not what is reported.
    expect(run.stderr).not.toMatch(/kycPolicy20: .*(verification_key\.json|KycPolicyVerifier20\.sol)/);
  });
});

describe('key-binding.mjs on circuits of identical shape', () => {
  // Same wires, constraints and public signals; `coefficient` differs from `base` in A only,
  // `constant` and `private` in C only (of which the zkey keeps no coefficient): `constant` in the
  // column of the public wire 0 (so in IC), `private` in the column of the private input a (so in
  // the prover's C points).
  const sources = {
    base: 'c <== a * b;',
    coefficient: 'c <== (a + a) * b;',
    constant: 'c <== a * b + 1;',
    private: 'c <== a * b + a;',
  };
  let tree: ScriptTree;
  let binding: KeyBinding;
  const r1cs: Record<string, string> = {};
  const zkey: Record<string, string> = {};

  beforeAll(async () => {
    tree = scriptTree('shape');
    const { compile } = await tree.importScript<{ compile: Compile }>('circom.mjs');
    binding = await tree.importScript<KeyBinding>('key-binding.mjs');
    for (const [name, body] of Object.entries(sources)) {
      tree.write(`circuits/main/${name}.circom`, `pragma circom 2.1.0;\ntemplate T() {\n  signal input a;\n  signal input b;\n  signal output c;\n  ${body}\n}\ncomponent main = T();\n`);
      r1cs[name] = compile({ name, depth: 0, verifierContract: '' }, { wasm: false }).r1cs;
      zkey[name] = tree.path(`circuits/build/${name}/${name}.zkey`);
      await snarkjs.zKey.newZKey(r1cs[name], PTAU_PATH, zkey[name]);
    }
  });

  afterAll(() => tree.remove());

  it('accepts each zkey for its own circuit', async () => {
    for (const name of Object.keys(sources)) {
      expect(await binding.keyBindingProblems({ r1cs: r1cs[name], ptau: PTAU_PATH, zkey: zkey[name] })).toEqual([]);
    }
  });

  it('refuses a zkey whose A coefficients are another circuit’s', async () => {
    const problems = await binding.keyBindingProblems({ r1cs: r1cs.base, ptau: PTAU_PATH, zkey: zkey.coefficient });
    expect(problems.join('\n')).toMatch(/constraint coefficients differ from the compiled r1cs/);
  });

  it('refuses a zkey whose verification key (IC) checks another circuit’s public signals', async () => {
    const problems = await binding.keyBindingProblems({ r1cs: r1cs.base, ptau: PTAU_PATH, zkey: zkey.constant });
    expect(problems).toEqual([expect.stringMatching(/IC\[0\] is not the one the r1cs and the ptau give/)]);
  });

  it('refuses a zkey whose prover C points are another circuit’s', async () => {
    const problems = await binding.keyBindingProblems({ r1cs: r1cs.base, ptau: PTAU_PATH, zkey: zkey.private });
    expect(problems).toEqual([expect.stringMatching(/C points are not the r1cs's over its delta/)]);
  });

  it.each([
    [5, 'A points', 64],
    [6, 'B1 points', 64],
    [7, 'B2 points', 128],
    [8, 'C points', 64],
    [9, 'H points', 64],
  ])('refuses a zkey with two points of section %i swapped (%s)', async (section, label, size) => {
    const bytes = readFileSync(zkey.base);
    const { start, length } = sectionAt(bytes, section);
    // The first two adjacent points that differ (a wire in no constraint of a matrix has the point 0).
    let k = 0;
    while (bytes.subarray(start + k * size, start + (k + 1) * size).equals(bytes.subarray(start + (k + 1) * size, start + (k + 2) * size))) k++;
    expect((k + 2) * size).toBeLessThanOrEqual(length);
    const first = Buffer.from(bytes.subarray(start + k * size, start + (k + 1) * size));
    bytes.copy(bytes, start + k * size, start + (k + 1) * size, start + (k + 2) * size);
    first.copy(bytes, start + (k + 1) * size);
    const swapped = tree.path(`circuits/build/base/swapped-${section}.zkey`);
    writeFileSync(swapped, bytes);
    const problems = await binding.keyBindingProblems({ r1cs: r1cs.base, ptau: PTAU_PATH, zkey: swapped });
    expect(problems).toEqual([expect.stringContaining(`its ${label} are not`)]);
  });
});
