/**
 * The encrypted backup file: it opens only with the backup file key of the phrase that made it, its
 * header is authenticated, and the file alone shows none of what it carries.
 */
import { describe, expect, it } from '@jest/globals';
import { keysFromRecoveryPhrase, newRecoveryPhrase } from '../identity/recovery-phrase.js';
import { BackupFileError, openBackup, sealBackup, type BackupContents } from './backup-file.js';

const contents: BackupContents = {
  keyScheme: 'derived-v1',
  walletCount: 2,
  applications: [{ id: 'app-1', issuerUrl: 'http://127.0.0.1:3100', accessToken: 'secret-access-token', status: 'approved', submittedAt: '2026-12-01T00:00:00Z' }],
  credentials: [
    {
      id: 'cred-1',
      applicationId: 'app-1',
      issuerUrl: 'http://127.0.0.1:3100',
      issuerDid: 'did:key:zIssuer',
      vcJwt: 'eyJhbGciOi.vc.jwt',
      salt: '12345',
      leaf: '678',
      leafIndex: 4,
      treeId: '1',
      receivedAt: '2026-12-01T00:00:00Z',
    },
  ],
  createdAt: '2026-12-01T00:00:00Z',
};

async function refusal(run: Promise<unknown>): Promise<{ rule: string; message: string }> {
  try {
    await run;
  } catch (err) {
    expect(err).toBeInstanceOf(BackupFileError);
    return { rule: (err as BackupFileError).rule, message: (err as Error).message };
  }
  throw new Error('accepted');
}

describe('backup file', () => {
  it("round-trips under the phrase's key and shows nothing of its contents", async () => {
    const { backupFileKey } = await keysFromRecoveryPhrase(newRecoveryPhrase());
    const text = await sealBackup(contents, backupFileKey, 'recovery-phrase');
    const file = JSON.parse(text);
    // The key origin picks the key, so it stays readable; the key scheme is inside the ciphertext.
    expect(Object.keys(file)).toEqual(['format', 'version', 'keyOrigin', 'cipher', 'iv', 'ciphertext']);
    expect(file).toMatchObject({ format: 'zkkyc-wallet-backup', version: 2, keyOrigin: 'recovery-phrase', cipher: 'AES-256-GCM' });
    for (const secret of ['secret-access-token', 'vc.jwt', 'cred-1', 'did:key:zIssuer', '127.0.0.1', 'derived-v1', 'keyScheme']) expect(text).not.toContain(secret);
    await expect(openBackup(text, backupFileKey)).resolves.toEqual({ header: { format: 'zkkyc-wallet-backup', version: 2, keyOrigin: 'recovery-phrase', cipher: 'AES-256-GCM' }, contents });
    // Two files of the same contents differ (fresh IV).
    expect(await sealBackup(contents, backupFileKey, 'recovery-phrase')).not.toBe(text);
  });

  it('refuses a file from another phrase, and a header that was changed', async () => {
    const mine = await keysFromRecoveryPhrase(newRecoveryPhrase());
    const other = await keysFromRecoveryPhrase(newRecoveryPhrase());
    const text = await sealBackup(contents, other.backupFileKey, 'recovery-phrase');
    expect(await refusal(openBackup(text, mine.backupFileKey))).toEqual({
      rule: 'key',
      message: 'backup file: was made by another recovery phrase or key, or has been changed since; nothing was restored',
    });
    const ownText = await sealBackup(contents, mine.backupFileKey, 'recovery-phrase');
    const relabelled = JSON.stringify({ ...JSON.parse(ownText), keyOrigin: 'backup-key' });
    expect((await refusal(openBackup(relabelled, mine.backupFileKey))).rule).toBe('key');
    // A key scheme put back into a version 2 header is refused, not read.
    const schemed = JSON.stringify({ ...JSON.parse(ownText), keyScheme: 'single-key' });
    expect(await refusal(openBackup(schemed, mine.backupFileKey))).toMatchObject({ rule: 'format', message: expect.stringContaining('keyScheme belongs inside the ciphertext') });
  });

  it("a single-key wallet's file does not say so outside the ciphertext", async () => {
    const { backupFileKey } = await keysFromRecoveryPhrase(newRecoveryPhrase());
    const text = await sealBackup({ ...contents, keyScheme: 'single-key' }, backupFileKey, 'backup-key');
    expect(text).not.toContain('single-key');
    await expect(openBackup(text, backupFileKey)).resolves.toMatchObject({ header: { keyOrigin: 'backup-key' }, contents: { keyScheme: 'single-key' } });
  });

  it('still opens a version 1 file (key scheme in the header and in its additional data), and refuses one whose two schemes differ', async () => {
    const { backupFileKey } = await keysFromRecoveryPhrase(newRecoveryPhrase());
    const key = await crypto.subtle.importKey('raw', backupFileKey as BufferSource, 'AES-GCM', false, ['encrypt']);
    const versionOne = async (inside: BackupContents, headerScheme: string) => {
      const header = { format: 'zkkyc-wallet-backup', version: 1, keyOrigin: 'recovery-phrase', keyScheme: headerScheme, cipher: 'AES-256-GCM' };
      const iv = crypto.getRandomValues(new Uint8Array(12));
      const additionalData = new TextEncoder().encode(JSON.stringify([header.format, header.version, header.keyOrigin, header.keyScheme, header.cipher]));
      const sealed = await crypto.subtle.encrypt({ name: 'AES-GCM', iv, additionalData }, key, new TextEncoder().encode(JSON.stringify(inside)));
      return JSON.stringify({ ...header, iv: Buffer.from(iv).toString('base64'), ciphertext: Buffer.from(sealed).toString('base64') });
    };
    await expect(openBackup(await versionOne(contents, 'derived-v1'), backupFileKey)).resolves.toEqual({
      header: { format: 'zkkyc-wallet-backup', version: 1, keyOrigin: 'recovery-phrase', keyScheme: 'derived-v1', cipher: 'AES-256-GCM' },
      contents,
    });
    expect(await refusal(openBackup(await versionOne(contents, 'single-key'), backupFileKey))).toEqual({
      rule: 'contents',
      message: 'backup file: the key scheme inside differs from its header',
    });
  });

  it('refuses what is not a backup file, naming the rule', async () => {
    const { backupFileKey } = await keysFromRecoveryPhrase(newRecoveryPhrase());
    expect(await refusal(openBackup('not json', backupFileKey))).toMatchObject({ rule: 'format', message: expect.stringContaining('is not JSON') });
    expect((await refusal(openBackup('{"format":"other"}', backupFileKey))).message).toContain('format must be "zkkyc-wallet-backup"');
    const text = JSON.parse(await sealBackup(contents, backupFileKey, 'recovery-phrase'));
    expect((await refusal(openBackup(JSON.stringify({ ...text, version: 3 }), backupFileKey))).message).toContain('version 3 is not one this wallet reads (1 or 2)');
  });
});
