import { linkSync, lstatSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writePrivateText } from './json-files.js';

/**
 * Files that hold personal data (the register of holders): whatever was at the path before, the
 * result is a new file of mode 0600 that only this write produced — never a file someone else
 * prepared (a looser mode, a hard link they keep a name of), never the target of a symbolic link.
 */
let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'zkkyc-private-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const mode = (path: string) => statSync(path).mode & 0o777;

it('creates the file 0600 and replaces an earlier one, leaving no temporary file behind', () => {
  const path = join(dir, 'register.csv');
  writePrivateText(path, 'first\n');
  expect(mode(path)).toBe(0o600);
  writeFileSync(join(dir, 'loose.csv'), 'old', { mode: 0o644 });
  writePrivateText(join(dir, 'loose.csv'), 'second\n');
  expect(readFileSync(join(dir, 'loose.csv'), 'utf8')).toBe('second\n');
  expect(mode(join(dir, 'loose.csv'))).toBe(0o600);
  expect(readdirSync(dir).sort()).toEqual(['loose.csv', 'register.csv']);
});

it('never writes through a hard link: the other name keeps the old content', () => {
  const theirs = join(dir, 'theirs.txt');
  const path = join(dir, 'linked.csv');
  writeFileSync(theirs, 'not yours', { mode: 0o644 });
  linkSync(theirs, path);
  writePrivateText(path, 'personal data\n');
  expect(readFileSync(theirs, 'utf8')).toBe('not yours');
  expect(readFileSync(path, 'utf8')).toBe('personal data\n');
  expect(statSync(path).ino).not.toBe(statSync(theirs).ino);
  expect(mode(path)).toBe(0o600);
});

it('refuses a path that is a symbolic link, and writes nothing', () => {
  const victim = join(dir, 'victim.txt');
  const path = join(dir, 'symlinked.html');
  writeFileSync(victim, 'untouched', { mode: 0o644 });
  symlinkSync(victim, path);
  expect(() => writePrivateText(path, 'personal data')).toThrow('(rule: no-symlink)');
  expect(readFileSync(victim, 'utf8')).toBe('untouched');
  expect(lstatSync(path).isSymbolicLink()).toBe(true);
  expect(readdirSync(dir).filter((f) => f.includes('.tmp'))).toEqual([]);
});
