import { readFileSync, writeFileSync } from 'node:fs';
import { EscrowError } from './errors.js';

/**
 * Files for the CLI. Public documents are written 0644 and may be replaced. Secret documents — a
 * secret key, DKG state, a key share, encryption randomness — are created with mode 0600 (owner
 * read/write only; the umask can only remove bits) and are never overwritten: writing over an
 * existing path fails, so a second `keygen` or `dkg init` cannot destroy a key someone relies on.
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
