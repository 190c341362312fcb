import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { addPoint, mulPointEscalar } from '@zk-kit/baby-jubjub';
import { proveEqualLogs, verifyEqualLogs } from './chaum-pedersen.js';
import { runEscrowCli } from './cli.js';
import { LogEntryFileCheck, permissiveDisclosureLogCheck } from './disclosure-log.js';
import { BASE8, multiply, multiplyBase, SUBGROUP_ORDER, type Point } from './group.js';
import { encryptLeafIndex } from './leaf-index-encryption.js';
import { createPartialDecryption, verifyPartialDecryption } from './partial-decryption.js';
import { generateSingleKey } from './single-key.js';
import type { KeyShare } from './dkg.js';
import { encodeCiphertext, encodeKeyShare } from './documents.js';

const be32 = (v: bigint) => Buffer.from(v.toString(16).padStart(64, '0'), 'hex');
const pt = (p: Point) => Buffer.concat([be32(p[0]), be32(p[1])]);
const u32 = (v: number) => Buffer.from([v >>> 24, (v >>> 16) & 255, (v >>> 8) & 255, v & 255]);

describe('partial decryption and its Chaum–Pedersen proof', () => {
  // A share of some key: for the proof, only s_j, P_j = s_j·Base8 and E matter.
  const secretShare = 123456789123456789n;
  const E = generateSingleKey().publicKey;
  const share: KeyShare = { dkgId: 'ab'.repeat(32), index: 2, n: 3, k: 2, secretShare, publicKey: E };
  const Pj = multiplyBase(secretShare);
  const { ciphertext } = encryptLeafIndex(E, 99);

  it('computes d = s_j·R and a proof that follows the transcript in docs/escrow.md byte for byte', () => {
    const partial = createPartialDecryption(share, ciphertext, 'case-7 é');
    expect(partial.d).toEqual(multiply(ciphertext.R, secretShare));
    const { challenge: ch, response: z } = partial.proof;
    // A1 = z·G − ch·P_j, A2 = z·R − ch·d, laid out by hand.
    const A1 = addPoint(mulPointEscalar(BASE8, z), mulPointEscalar(Pj, SUBGROUP_ORDER - ch)) as Point;
    const A2 = addPoint(mulPointEscalar(ciphertext.R, z), mulPointEscalar(partial.d, SUBGROUP_ORDER - ch)) as Point;
    const request = Buffer.from('case-7 é', 'utf8');
    const transcript = Buffer.concat([
      Buffer.from('zkkyc/escrow/partial-decryption/v1\0', 'ascii'),
      u32(2),
      pt(E),
      pt(ciphertext.R),
      be32(ciphertext.c),
      u32(request.length),
      request,
      pt(BASE8),
      pt(Pj),
      pt(ciphertext.R),
      pt(partial.d),
      pt(A1),
      pt(A2),
    ]);
    expect(BigInt('0x' + createHash('sha512').update(transcript).digest('hex')) % SUBGROUP_ORDER).toBe(ch);
    expect(verifyPartialDecryption(partial, E, Pj, ciphertext, 'case-7 é')).toBe(true);
  });

  it('fails for another auditor index, key, ciphertext, request or verification key', () => {
    const partial = createPartialDecryption(share, ciphertext, 'case-7');
    const other = encryptLeafIndex(E, 99).ciphertext;
    expect(verifyPartialDecryption({ ...partial, index: 3 }, E, Pj, ciphertext, 'case-7')).toBe(false);
    expect(verifyPartialDecryption(partial, multiplyBase(5n), Pj, ciphertext, 'case-7')).toBe(false);
    expect(verifyPartialDecryption(partial, E, Pj, other, 'case-7')).toBe(false);
    expect(verifyPartialDecryption(partial, E, Pj, { ...ciphertext, c: ciphertext.c + 1n }, 'case-7')).toBe(false);
    expect(verifyPartialDecryption(partial, E, Pj, ciphertext, 'case-8')).toBe(false);
    expect(verifyPartialDecryption(partial, E, multiplyBase(secretShare + 1n), ciphertext, 'case-7')).toBe(false);
    expect(verifyPartialDecryption({ ...partial, d: [0n, 1n] }, E, Pj, ciphertext, 'case-7')).toBe(false);
  });

  it('cannot prove equal logs that are not equal', () => {
    const statement = { tag: 't', context: Buffer.alloc(0), G1: BASE8, H1: multiplyBase(5n), G2: ciphertext.R, H2: multiply(ciphertext.R, 6n) };
    expect(verifyEqualLogs(statement, proveEqualLogs(statement, 5n))).toBe(false);
    const honest = { ...statement, H2: multiply(ciphertext.R, 5n) };
    const proof = proveEqualLogs(honest, 5n);
    expect(verifyEqualLogs(honest, proof)).toBe(true);
    expect(verifyEqualLogs({ ...honest, tag: 'u' }, proof)).toBe(false);
    expect(verifyEqualLogs(honest, { challenge: proof.challenge, response: proof.response + SUBGROUP_ORDER })).toBe(false);
  });
});

describe('the disclosure log seam', () => {
  const E = generateSingleKey().publicKey;
  const { ciphertext } = encryptLeafIndex(E, 3);

  it('accepts only the logged request, key and ciphertext', async () => {
    const check = new LogEntryFileCheck({ request: 'case-1', publicKey: E, ciphertext });
    await expect(check.assertLogged({ request: 'case-1', publicKey: E, ciphertext, auditor: 1 })).resolves.toBeUndefined();
    await expect(check.assertLogged({ request: 'case-2', publicKey: E, ciphertext, auditor: 1 })).rejects.toMatchObject({ field: 'request', rule: 'disclosure-logged' });
    await expect(check.assertLogged({ request: 'case-1', publicKey: multiplyBase(2n), ciphertext, auditor: 1 })).rejects.toThrow('logged for another escrow key');
    const other = encryptLeafIndex(E, 3).ciphertext;
    await expect(check.assertLogged({ request: 'case-1', publicKey: E, ciphertext: other, auditor: 1 })).rejects.toThrow('logged for another ciphertext');
  });

  it('lets a program pass its own check to the CLI (the permissive one only in tests), never by flag', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'zkkyc-escrow-seam-'));
    try {
      const share: KeyShare = { dkgId: 'cd'.repeat(32), index: 1, n: 3, k: 2, secretShare: 42n, publicKey: E };
      writeFileSync(join(dir, 'share.json'), JSON.stringify(encodeKeyShare(share)));
      writeFileSync(join(dir, 'ct.json'), JSON.stringify(encodeCiphertext(ciphertext)));
      const args = ['partial', '--share', join(dir, 'share.json'), '--ciphertext', join(dir, 'ct.json'), '--request', 'case-9', '--out', join(dir, 'p.json')];
      const lines: string[] = [];
      const quiet = { stdout: (l: string) => lines.push(l), stderr: (l: string) => lines.push(l) };
      expect(await runEscrowCli(args, quiet)).toBe(2); // default: the on-chain log, whose flags are missing
      expect(lines.join('\n')).toContain('partial needs the disclosure request as logged on chain (missing --rpc, --log, --request-id');
      const permissive = { ...quiet, disclosureLog: async (o: { request?: string }) => ({ request: o.request ?? '', check: permissiveDisclosureLogCheck }) };
      expect(await runEscrowCli(args, permissive)).toBe(0);
      expect(await runEscrowCli([...args.slice(0, 5), '--out', join(dir, 'q.json')], permissive)).toBe(2); // still no request
      expect(lines.join('\n')).toContain('partial needs --request REF');
      expect(await runEscrowCli([...args, '--unlogged'], quiet)).toBe(2); // no such flag
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
