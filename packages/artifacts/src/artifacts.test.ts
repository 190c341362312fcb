import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ArtifactHashMismatchError, InsecureDevKeysRefusedError, devArtifactsManifest, loadDevArtifacts, loadDevVerificationKey, loadDevVerifierSource } from './index.js';

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
});
