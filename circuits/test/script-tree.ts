// A throwaway tree shaped like the repository, for running circuits/scripts on
// circuits other than ours, or on tampered copies of the committed artifacts,
// exactly as CI runs them and without touching the real files: the scripts are
// copied (they find everything relative to their own location), node_modules
// and the dev ptau are linked (circomlib copied), and whatever a test asks for is copied in.
import { cpSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { CIRCUITS_DIR, REPO_ROOT } from '../scripts/circom.mjs';

export interface ScriptTree {
  root: string;
  /** Path of a file or folder in the tree, from the tree's root (like a repo path). */
  path(repoPath: string): string;
  /** Writes `text` at `repoPath` in the tree. */
  write(repoPath: string, text: string | Uint8Array): void;
  /** Imports one of the copied scripts (e.g. 'circom.mjs'). */
  importScript<T>(file: string): Promise<T>;
  remove(): void;
}

/**
 * @param copy repo paths (files or folders) to copy into the tree besides circuits/scripts,
 *   e.g. 'circuits/artifacts'. The dev ptau is always linked, never copied (18 MB, read only).
 */
export function scriptTree(prefix: string, copy: string[] = []): ScriptTree {
  const root = mkdtempSync(join(tmpdir(), `zkkyc-${prefix}-`));
  const path = (repoPath: string) => join(root, repoPath);
  mkdirSync(path('circuits/scripts'), { recursive: true });
  for (const file of readdirSync(join(CIRCUITS_DIR, 'scripts')).filter((f) => f.endsWith('.mjs'))) {
    cpSync(join(CIRCUITS_DIR, 'scripts', file), path(`circuits/scripts/${file}`));
  }
  // node_modules: every package linked, except circomlib, copied, because circom2 (WASI) cannot
  // follow a link out of its working directory to the circuits it includes.
  mkdirSync(path('node_modules'));
  for (const entry of readdirSync(join(REPO_ROOT, 'node_modules'))) {
    if (entry === 'circomlib') cpSync(join(REPO_ROOT, 'node_modules', entry), path(`node_modules/${entry}`), { recursive: true });
    else symlinkSync(join(REPO_ROOT, 'node_modules', entry), path(`node_modules/${entry}`));
  }
  mkdirSync(path('circuits/ptau'), { recursive: true });
  for (const file of readdirSync(join(CIRCUITS_DIR, 'ptau'))) {
    symlinkSync(join(CIRCUITS_DIR, 'ptau', file), path(`circuits/ptau/${file}`));
  }
  for (const repoPath of copy) cpSync(join(REPO_ROOT, repoPath), path(repoPath), { recursive: true });
  return {
    root,
    path,
    write(repoPath, text) {
      mkdirSync(dirname(path(repoPath)), { recursive: true });
      writeFileSync(path(repoPath), text);
    },
    async importScript<T>(file: string) {
      return (await import(pathToFileURL(path(`circuits/scripts/${file}`)).href)) as T;
    },
    remove: () => rmSync(root, { recursive: true, force: true }),
  };
}
