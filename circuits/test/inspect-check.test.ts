// The toolchain's "`--inspect` is clean" check must be able to fail. circom
// prints its --inspect findings on stderr, so a check that reads only stdout
// passes anything. Here the check runs exactly as CI runs it (circuits/scripts
// copied beside a probe circuit, in a temporary tree shaped like the repo) on
// circuits/test/fixtures/inspectProbe.circom, whose signal `unconstrained`
// takes part in no constraint: the build must fail and name it. The probe's
// twin without that signal, and the real circuits, must pass, also when the
// caller's NODE_OPTIONS asks Node for a debugger (which makes every child Node
// print "Debugger listening on …" on stderr).
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CIRCUITS, CIRCUITS_DIR, inspectFindings } from '../scripts/circom.mjs';
import { builtCircuit } from './built-circuit.js';
import { scriptTree, type ScriptTree } from './script-tree.js';

type Compile = (circuit: { name: string; depth: number; verifierContract: string }, options?: { wasm?: boolean }) => { log: string };

const probeSource = readFileSync(join(CIRCUITS_DIR, 'test', 'fixtures', 'inspectProbe.circom'), 'utf8');
// The same circuit without the unconstrained signal: what the check must let through.
const cleanSource = probeSource.replace(/\n\s*signal unconstrained;\n\s*unconstrained <-- a \\ b;\n/, '\n').replace(/InspectProbe/g, 'InspectClean');

let tree: ScriptTree;
let compile: Compile;

beforeAll(async () => {
  tree = scriptTree('inspect');
  tree.write('circuits/main/inspectProbe.circom', probeSource);
  tree.write('circuits/main/inspectClean.circom', cleanSource);
  ({ compile } = await tree.importScript<{ compile: Compile }>('circom.mjs'));
});

afterAll(() => tree.remove());

const spec = (name: string) => ({ name, depth: 0, verifierContract: '' });

/** Runs `work` with NODE_OPTIONS as a developer debugging the tests might have it. */
function withDebuggerRequested<T>(work: () => T): T {
  const saved = process.env.NODE_OPTIONS;
  process.env.NODE_OPTIONS = `${saved ?? ''} --inspect=127.0.0.1:0`.trim();
  try {
    return work();
  } finally {
    if (saved === undefined) delete process.env.NODE_OPTIONS;
    else process.env.NODE_OPTIONS = saved;
  }
}

describe('the --inspect check', () => {
  it('fails on a circuit with a signal that takes part in no constraint, naming it', () => {
    expect(cleanSource).not.toMatch(/signal unconstrained/);
    expect(() => compile(spec('inspectProbe'), { wasm: false })).toThrow(/inspectProbe[\s\S]*signal unconstrained does not appear in any constraint/);
  });

  it('still fails on it when the caller asked Node for a debugger', () => {
    expect(() => withDebuggerRequested(() => compile(spec('inspectProbe'), { wasm: false }))).toThrow(/signal unconstrained does not appear in any constraint/);
  });

  it('passes the same circuit without that signal, with and without a debugger requested', () => {
    expect(compile(spec('inspectClean'), { wasm: false }).log).toMatch(/Everything went okay/);
    expect(withDebuggerRequested(() => compile(spec('inspectClean'), { wasm: false })).log).not.toMatch(/warning|Debugger/i);
  });

  it.each(CIRCUITS.map((c) => c.name))('passes %s, and its build log holds what circom wrote on stderr', async (name) => {
    const { compileLog } = await builtCircuit(name);
    expect(compileLog).toMatch(/Everything went okay/);
    // The log keeps both streams, so the compile test's "no warning" reads stderr too.
    expect(compileLog).toMatch(/^--- stderr ---$/m);
    const [stdout, stderr] = compileLog.split(/^--- stderr ---$/m);
    expect(inspectFindings(stdout, stderr)).toEqual([]);
    // Only the escrow circuit uses circomlib's scalar multiplications, and only their listed warning appears.
    const warnings = stderr
      .replace(/\x1b\[[0-9;]*m/g, '')
      .split('\n')
      .filter((line) => /warning|error/i.test(line));
    if (name.startsWith('kycPolicyEscrow')) {
      expect(warnings).toHaveLength(2);
      for (const w of warnings) expect(w).toMatch(/warning\[CA02\]: In template "EscalarMul(Fix|Any)\(/);
    } else expect(warnings).toEqual([]);
  });
});

describe("circomlib's known warnings", () => {
  const OK = 'non-linear constraints: 1\nEverything went okay\n';
  const LIBRARY =
    'warning[CA02]: In template "EscalarMulAny(246)": Array of subcomponent input/output signals segments[1].dbl contains a total of 2 signals that do not appear in any constraint of the father component\n' +
    ' = For example: segments[1].dbl[0], segments[1].dbl[1].';

  it("lets exactly circomlib's unread last-segment doubling through", () => {
    expect(inspectFindings(OK, `\x1b[1mwarning\x1b[0m${LIBRARY.slice('warning'.length)}\n`)).toEqual([]);
  });

  it('still reports every other warning beside it, and the same warning from any other template or signal', () => {
    const unconstrained = 'warning[CA01]: In template "Escrow(246)": Local signal r does not appear in any constraint';
    expect(inspectFindings(OK, `${LIBRARY}\n\n${unconstrained}\n`)).toEqual([unconstrained]);
    const ours = LIBRARY.replace('EscalarMulAny(246)', 'EscrowMul(246)');
    expect(inspectFindings(OK, ours)).toEqual([ours]);
    const otherSignal = LIBRARY.replaceAll('.dbl', '.out');
    expect(inspectFindings(OK, otherSignal)).toEqual([otherSignal]);
    const moreSignals = LIBRARY.replace('a total of 2 signals', 'a total of 3 signals');
    expect(inspectFindings(OK, moreSignals)).toEqual([moreSignals]);
  });
});
