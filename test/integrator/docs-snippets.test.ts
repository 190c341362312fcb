import { describe, expect, it } from '@jest/globals';
import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/**
 * docs/integrating.md shows the integrator test's scripts verbatim: each code block after a
 * `<!-- snippet: path -->` marker must be that file, and every fixture file must be shown, so the
 * page cannot drift from what the integrator test runs.
 */
const repoRoot = fileURLToPath(new URL('../..', import.meta.url));

describe('docs/integrating.md', () => {
  const page = readFileSync(`${repoRoot}docs/integrating.md`, 'utf8');
  const snippets = [...page.matchAll(/<!-- snippet: (\S+) -->\n```[a-z]*\n([\s\S]*?)```\n/g)].map(([, path, body]) => ({ path, body }));

  it('shows every integrator fixture file, each exactly as the test runs it', () => {
    const fixtures = readdirSync(`${repoRoot}test/integrator/fixture`).map((f) => `test/integrator/fixture/${f}`);
    expect(snippets.map((s) => s.path).sort()).toEqual(fixtures.sort());
    for (const { path, body } of snippets) expect({ path, body }).toEqual({ path, body: readFileSync(`${repoRoot}${path}`, 'utf8') });
  });
});
