import { randomBytes } from 'node:crypto';
import { closeSync, fchmodSync, fsyncSync, lstatSync, openSync, readFileSync, renameSync, rmSync, writeFileSync, type Stats } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { EscrowError } from './errors.js';

/**
 * Files for the CLI. Public documents are written 0644 and may be replaced. Secret documents — a
 * secret key, DKG state, a key share, encryption randomness — are created with mode 0600 (owner
 * read/write only; the umask can only remove bits) and are never overwritten: writing over an
 * existing path fails, so a second `keygen` or `dkg init` cannot destroy a key someone relies on.
 * Files with personal data (the register of holders) are replaced atomically by a new 0600 file
 * ({@link writePrivateText}).
 */

/** Parses a JSON file; throws an EscrowError naming `field` if it cannot be read or parsed. */
export function readJsonFile(path: string, field: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new EscrowError(field, 'readable', `file ${path} cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  try {
    return JSON.parse(text);
  } catch {
    throw new EscrowError(field, 'json', `file ${path} is not JSON`);
  }
}

function serialise(value: unknown): string {
  return JSON.stringify(value, null, 2) + '\n';
}

/** Writes a public document (0644, replacing an existing file). */
export function writePublicJson(path: string, value: unknown): void {
  writeFileSync(path, serialise(value), { mode: 0o644 });
}

/** Creates a secret document with mode 0600; refuses to overwrite an existing file. */
export function writeSecretJson(path: string, value: unknown): void {
  try {
    writeFileSync(path, serialise(value), { mode: 0o600, flag: 'wx' });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') throw new EscrowError(path, 'no-overwrite', 'exists: a secret file is never overwritten (move it away first)');
    throw error;
  }
}

/**
 * Writes a file that holds personal data (the register of holders' CSV and HTML), replacing an
 * earlier one. The text goes into a new file created exclusively (`O_CREAT | O_EXCL`, so never an
 * existing file or a link someone planted) with mode 0600 in the same directory, is flushed to
 * disk, and is then renamed over the path: the result is always a fresh inode of mode 0600, and a
 * file someone prepared at the path (looser mode, a hard link they keep another name of) is
 * replaced, never written into. A path that is a symbolic link is refused (rule `no-symlink`), and
 * so is one that exists but is not a regular file (rule `regular-file`).
 */
export function writePrivateText(path: string, text: string): void {
  let existing: Stats | undefined;
  try {
    existing = lstatSync(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  if (existing?.isSymbolicLink()) throw new EscrowError(path, 'no-symlink', 'is a symbolic link: a file with personal data is not written through one (remove the link first)');
  if (existing && !existing.isFile()) throw new EscrowError(path, 'regular-file', 'exists and is not a regular file');
  const temp = join(dirname(path), `.${basename(path)}.${randomBytes(8).toString('hex')}.tmp`);
  const fd = openSync(temp, 'wx', 0o600);
  try {
    try {
      fchmodSync(fd, 0o600); // exactly 0600, whatever the umask
      writeFileSync(fd, text);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temp, path);
  } catch (error) {
    rmSync(temp, { force: true });
    throw error;
  }
}
