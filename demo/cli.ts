/**
 * `npm run demo` — runs the story (demo/story.ts) and prints each step with
 * its time and gas; `npm run demo -- --json` prints one JSON object instead.
 */
import { releaseProverThreads } from '@zkkyc/prover';
import { runStory, type StepRecord } from './story.js';

const json = process.argv.includes('--json');

function printStep(s: StepRecord): void {
  const time = s.ms ? `${(s.ms / 1000).toFixed(2)} s` : '';
  const gas = s.gas ? `${s.gas.toLocaleString('en-US')} gas` : '';
  console.log(`• ${s.step.padEnd(52)} ${time.padStart(8)} ${gas.padStart(13)}  ${s.outcome}`);
}

try {
  if (!json) console.log('zkkyc demo — in-process chain, issuer-service on 127.0.0.1, temporary SQLite file\n');
  const figures = await runStory({ onStep: json ? undefined : printStep });
  if (json) {
    console.log(JSON.stringify(figures, null, 2));
  } else {
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
    console.log('\nFigures');
    console.log(`  kycPolicy32 constraints   ${figures.constraints.toLocaleString('en-US')}`);
    console.log(`  proof generation          median ${median(figures.proveMs)} ms over ${figures.proveMs.length} proofs (node, prover kept in memory)`);
    const batch = figures.registrationBatch;
    console.log(
      `  registration gas          ${figures.registrationGas.map((g) => g.toLocaleString('en-US')).join(', ')} per wallet (the relayer's batch of ${batch.size}: ${batch.gas.toLocaleString('en-US')} gas in all)`,
    );
    console.log(`  compliant transfer gas    ${figures.transferGas.toLocaleString('en-US')}`);
    console.log(`  mint gas                  ${figures.mintGas.toLocaleString('en-US')}`);
    console.log(
      `  kycPolicyEscrow32         ${figures.escrow.constraints.toLocaleString('en-US')} constraints, median ${median(figures.escrow.proveMs)} ms over ${figures.escrow.proveMs.length} proofs`,
    );
    console.log(`  escrow registration gas   ${figures.escrow.registrationGas.map((g) => g.toLocaleString('en-US')).join(', ')}`);
    console.log(`  register of holders       ${figures.escrow.registerCsv}`);
    console.log(`                            ${figures.escrow.registerHtml}`);
    const trust = figures.transactionTrust;
    console.log(`  compliance monitor        hits ${trust.hits.join(', ')}; ${trust.actions.length} actions; transfer → freeze ${trust.freezeLatencyMs} ms`);
    console.log(`  SAR draft                 ${trust.sar.xml}`);
    console.log(`                            ${trust.sar.html}`);
  }
} finally {
  await releaseProverThreads();
}
