/**
 * `npm run bench [-- section ...]` — measures and writes bench/results.json.
 * Sections: circuits, gas, trex, issuer, browser, monitor (default: all that are available).
 * Benchmarks are not tests: nothing here asserts a figure.
 */
import { cpus } from 'node:os';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { releaseProverThreads } from '@zkkyc/prover';
import { benchCircuits, type CircuitFigures } from './circuits.js';

const RESULTS = join(import.meta.dirname, 'results.json');
const wanted = process.argv.slice(2).filter((a) => !a.startsWith('-'));
const runs = (section: string) => wanted.length === 0 || wanted.includes(section);

const results: Record<string, unknown> = existsSync(RESULTS) ? JSON.parse(readFileSync(RESULTS, 'utf8')) : {};
results.machine = { cpus: cpus().length, cpuModel: cpus()[0]?.model, node: process.version, measuredAt: new Date().toISOString() };
const save = () => writeFileSync(RESULTS, JSON.stringify(results, null, 2) + '\n');

function table(rows: Record<string, unknown>[]): void {
  console.table(rows);
}

try {
  if (runs('circuits')) {
    console.log('circuits: proving (9 interleaved rounds after a warm-up; provers kept in memory)…');
    const circuits = await benchCircuits();
    results.circuits = circuits;
    save();
    table(Object.entries(circuits).map(([name, c]) => ({ circuit: name, ...c })));
  }

  if (runs('gas')) {
    const gasModule = join(import.meta.dirname, '..', 'contracts', 'scripts', 'gas.ts');
    if (existsSync(gasModule)) {
      console.log('gas: measuring on the in-process chain…');
      const { measureGas } = await import('../contracts/scripts/gas.js');
      results.gas = await measureGas();
      save();
      console.log(results.gas);
    }
  }

  if (runs('trex')) {
    console.log('trex: an unmodified T-REX token with the zkkyc registry vs ONCHAINID, on the in-process chain…');
    const { measureTrexGas } = await import('./trex-gas.js');
    results.trex = await measureTrexGas();
    save();
    console.log(results.trex);
  }

  if (runs('issuer')) {
    const issuerBench = join(import.meta.dirname, '..', 'issuer-service', 'bench', 'load.ts');
    if (existsSync(issuerBench)) {
      console.log('issuer: load on 127.0.0.1…');
      const { benchIssuer } = await import('../issuer-service/bench/load.js');
      results.issuer = await benchIssuer();
      save();
      console.log(results.issuer);
    }
  }

  if (runs('browser')) {
    const browserBench = join(import.meta.dirname, '..', 'wallet-demo', 'test', 'browser-bench.ts');
    if (existsSync(browserBench)) {
      console.log('browser: first and steady-state proofs in headless Chromium (one page per circuit: a cold proof, then 3 renewals)…');
      const { measureBrowserProving } = await import('../wallet-demo/test/browser-bench.js');
      const browser = await measureBrowserProving();
      // Beside each circuit's browser figures, Node's from the circuits section (this run's, else the
      // last recorded): its first proof includes reading and compiling the artifacts, so it compares
      // with the browser's loadMs + firstProofMs; its steady state is witness + Groth16, median of 9.
      const nodeCircuits = results.circuits as Record<string, CircuitFigures> | undefined;
      const besideNode = (name: keyof typeof browser) => {
        const { steadyRunsMs, ...times } = browser[name];
        return { ...times, nodeFirstProofMs: nodeCircuits?.[name]?.firstProofMs, nodeSteadyProofMs: nodeCircuits?.[name]?.totalProofMs, steadyRunsMs };
      };
      results.browser = { kycPolicy32: besideNode('kycPolicy32'), kycPolicyEscrow32: besideNode('kycPolicyEscrow32') };
      save();
      console.log(results.browser);
    }
  }
  if (runs('monitor')) {
    console.log('monitor: indexing, rule evaluation and transfer → freeze on a Hardhat node…');
    const { benchMonitor } = await import('./monitor.js');
    results.monitor = await benchMonitor();
    save();
    console.log(results.monitor);
  }
  console.log(`wrote ${RESULTS}`);
} finally {
  await releaseProverThreads();
}
