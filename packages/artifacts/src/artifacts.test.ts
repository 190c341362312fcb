import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ArtifactHashMismatchError, DEV_NODE_ENVS, InsecureDevKeysRefusedError, devArtifactsManifest, loadDevArtifacts, loadDevVerificationKey, loadDevVerifierSource } from './index.js';

const repoRoot = join(import.meta.dirname ?? new URL('.', import.meta.url).pathname, '..', '..', '..');
const savedEnv = process.env.NODE_ENV;
afterEach(() => {
  process.env.NODE_ENV = savedEnv;
});

/** A copy of the kycPolicy20 verification key and manifest, laid out like the packed insecure-dev/. */
function stagedCopy(): string {
  const dir = mkdtempSync(join(tmpdir(), 'zkkyc-artifacts-'));
  const manifest = JSON.parse(readFileSync(join(repoRoot, 'circuits/artifacts/manifest.json'), 'utf8'));
  const entry = manifest.circuits.kycPolicy20;
  entry.verificationKey.file = 'verification_key.json';
  copyFileSync(join(repoRoot, 'circuits/artifacts/kycPolicy20/verification_key.json'), join(dir, 'verification_key.json'));
  writeFileSync(join(dir, 'manifest.json'), JSON.stringify(manifest));
  return dir;
}

describe('@zkkyc/artifacts', () => {
  let staged: string;
  beforeAll(() => {
    staged = stagedCopy();
  });
  afterAll(() => rmSync(staged, { recursive: true, force: true }));

  it('loads the keys the manifest records, under NODE_ENV=test', async () => {
    process.env.NODE_ENV = 'test';
    const artifacts = await loadDevArtifacts('kycPolicy20');
    expect(artifacts.depth).toBe(20);
    expect(artifacts.wasm.byteLength).toBeGreaterThan(1000);
    expect((artifacts.verificationKey as { nPublic: number }).nPublic).toBe(devArtifactsManifest().circuits.kycPolicy20.publicSignals);
    const verifier = await loadDevVerifierSource('kycPolicy20');
    expect(verifier.contract).toBe('KycPolicyVerifier20');
    expect(verifier.source).toContain('contract KycPolicyVerifier20');
  });

  it('refuses the insecure dev keys outside development', async () => {
    for (const env of ['production', 'staging', undefined]) {
      if (env === undefined) delete process.env.NODE_ENV;
      else process.env.NODE_ENV = env;
      await expect(loadDevVerificationKey('kycPolicy20')).rejects.toThrow(InsecureDevKeysRefusedError);
      await expect(loadDevArtifacts('kycPolicy32')).rejects.toThrow(/refusing to load the INSECURE dev keys of kycPolicy32/);
    }
  });

  it('loads them outside development when the caller allows insecure dev keys explicitly', async () => {
    process.env.NODE_ENV = 'production';
    await expect(loadDevVerificationKey('kycPolicy20', { allowInsecureDevKeys: true })).resolves.toHaveProperty('protocol', 'groth16');
    // Only the literal `true` counts: a truthy string from a config file does not.
    await expect(loadDevVerificationKey('kycPolicy20', { allowInsecureDevKeys: 'yes' as unknown as boolean })).rejects.toThrow(InsecureDevKeysRefusedError);
  });

  it('names the file, the expected and the actual hash when a file differs from the manifest', async () => {
    process.env.NODE_ENV = 'test';
    await expect(loadDevVerificationKey('kycPolicy20', { directory: staged })).resolves.toHaveProperty('curve', 'bn128');
    const path = join(staged, 'verification_key.json');
    const original = readFileSync(path);
    writeFileSync(path, Buffer.concat([original, Buffer.from(' ')]));
    const expected = devArtifactsManifest().circuits.kycPolicy20.verificationKey.sha256;
    const error = await loadDevVerificationKey('kycPolicy20', { directory: staged }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ArtifactHashMismatchError);
    expect((error as ArtifactHashMismatchError).message).toMatch(new RegExp(`^verification_key.json does not match the manifest: expected sha256 ${expected}, got [0-9a-f]{64}$`));
    expect((error as ArtifactHashMismatchError).actual).not.toBe(expected);
    writeFileSync(path, original);
  });

  it('refuses a circuit it does not know, naming the field and the choices', async () => {
    process.env.NODE_ENV = 'test';
    await expect(loadDevArtifacts('kycPolicy64' as 'kycPolicy32')).rejects.toThrow('circuit must be one of kycPolicy32, kycPolicy20, kycPolicyEscrow32; got "kycPolicy64"');
  });

  it("loads a caller's own ceremony directory without the insecure opt-in, and still refuses one of the dev setup", async () => {
    process.env.NODE_ENV = 'production';
    const ceremony = stagedCopy();
    try {
      const manifest = JSON.parse(readFileSync(join(ceremony, 'manifest.json'), 'utf8'));
      writeFileSync(join(ceremony, 'manifest.json'), JSON.stringify({ ...manifest, setup: 'acme-ceremony-2026', security: 'MPC ceremony, 12 contributors' }));
      await expect(loadDevVerificationKey('kycPolicy20', { directory: ceremony })).resolves.toHaveProperty('protocol', 'groth16');
      // The dev setup's own manifest, copied elsewhere or naming itself, stays refused.
      for (const claims of [{ setup: 'insecure-dev' }, { setup: 'acme', security: 'INSECURE dev setup' }, { setup: undefined }]) {
        writeFileSync(join(ceremony, 'manifest.json'), JSON.stringify({ ...manifest, ...claims }));
        await expect(loadDevVerificationKey('kycPolicy20', { directory: ceremony })).rejects.toThrow(InsecureDevKeysRefusedError);
      }
    } finally {
      rmSync(ceremony, { recursive: true, force: true });
    }
  });

  it('keeps the list of development NODE_ENVs fixed: it cannot be extended at run time', () => {
    expect(Object.isFrozen(DEV_NODE_ENVS)).toBe(true);
    expect(() => (DEV_NODE_ENVS as string[]).push('production')).toThrow(TypeError);
    process.env.NODE_ENV = 'production';
    return expect(loadDevVerificationKey('kycPolicy20')).rejects.toThrow(InsecureDevKeysRefusedError);
  });
});
