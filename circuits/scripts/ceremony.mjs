// A production trusted setup (DESIGN §6), step by step: a public ceremony
// powers-of-tau, a phase 2 with independent contributors, a public beacon,
// then the toolkit's artifacts. Each step is one command, and anyone can run
// `verify` on any intermediate key.
//
//   node circuits/scripts/ceremony.mjs init kycPolicy32 --ptau pot.ptau --out k_0000.zkey
//   node circuits/scripts/ceremony.mjs contribute k_0000.zkey k_0001.zkey --name "Alice (org)"
//   node circuits/scripts/ceremony.mjs verify kycPolicy32 k_0001.zkey --ptau pot.ptau
//   node circuits/scripts/ceremony.mjs beacon k_0001.zkey k_final.zkey --hash <hex> --name "drand round N"
//   node circuits/scripts/ceremony.mjs finalize kycPolicy32 k_final.zkey --ptau pot.ptau --label "ceremony 2027-01"
//
// `init`, `verify` and `finalize` compile the circuit and refuse when its
// r1cs is not the one the manifest records, so a ceremony never runs on a
// circuit other than the one the tests examined.
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { relative, resolve } from 'node:path';
import * as snarkjs from 'snarkjs';
import { CIRCUITS, REPO_ROOT, compile, sha256File } from './circom.mjs';
import { installArtifacts, readManifest } from './install-artifacts.mjs';

class UsageError extends Error {}

function parse(argv) {
  const positional = [];
  const options = {};
  for (let i = 0; i < argv.length; i++) {
    if (argv[i].startsWith('--')) options[argv[i].slice(2)] = argv[++i];
    else positional.push(argv[i]);
  }
  return { positional, options };
}

function need(value, what) {
  if (value === undefined || value === '') throw new UsageError(`missing ${what}`);
  return value;
}

function existing(path, what) {
  if (!existsSync(need(path, what))) throw new UsageError(`${what}: no file at ${path}`);
  return resolve(path);
}

/** Compiles the circuit and checks it is the one the manifest was made from. */
function checkedBuild(name) {
  const circuit = CIRCUITS.find((c) => c.name === name);
  if (!circuit) throw new UsageError(`unknown circuit ${name}; known: ${CIRCUITS.map((c) => c.name).join(', ')}`);
  const built = compile(circuit);
  const recorded = readManifest().circuits?.[name]?.r1cs;
  if (recorded && sha256File(built.r1cs) !== recorded) {
    throw new UsageError(`${name}: the circuit no longer matches the manifest's r1cs; test it and run the dev setup first`);
  }
  return { circuit, built };
}

async function verifyKey(r1cs, ptau, zkey) {
  const ok = await snarkjs.zKey.verifyFromR1cs(r1cs, ptau, zkey, console);
  if (!ok) throw new Error(`${zkey} does not verify against the circuit and the ptau`);
}

const commands = {
  async init({ positional: [name], options }) {
    const { built } = checkedBuild(need(name, 'circuit name'));
    const ptau = existing(options.ptau, '--ptau');
    const out = resolve(need(options.out, '--out'));
    await snarkjs.zKey.newZKey(built.r1cs, ptau, out, console);
    console.log(`phase 2 started: ${relative(process.cwd(), out)} (${built.constraints} constraints)`);
  },

  async contribute({ positional: [input, output], options }) {
    const name = need(options.name, '--name (who contributes)');
    // The entropy never leaves this process: it is the toxic waste this contributor destroys.
    const hash = await snarkjs.zKey.contribute(existing(input, 'input zkey'), resolve(need(output, 'output zkey')), name, randomBytes(64).toString('hex'), console);
    console.log(`contribution hash (publish it): ${Buffer.from(hash).toString('hex')}`);
  },

  async verify({ positional: [name, zkey], options }) {
    const { built } = checkedBuild(need(name, 'circuit name'));
    await verifyKey(built.r1cs, existing(options.ptau, '--ptau'), existing(zkey, 'zkey'));
    console.log('verified: every contribution so far is valid for this circuit and ptau');
  },

  async beacon({ positional: [input, output], options }) {
    const hash = need(options.hash, '--hash (the beacon value, hex)');
    if (!/^([0-9a-fA-F]{2})+$/.test(hash)) throw new UsageError('--hash must be hex');
    const iterations = Number(options.iterations ?? 10);
    if (!Number.isInteger(iterations) || iterations < 10 || iterations > 63) throw new UsageError('--iterations must be an integer in 10..63');
    await snarkjs.zKey.beacon(existing(input, 'input zkey'), resolve(need(output, 'output zkey')), need(options.name, '--name (beacon source)'), hash, iterations, console);
  },

  async finalize({ positional: [name, zkey], options }) {
    const { circuit, built } = checkedBuild(need(name, 'circuit name'));
    const ptauPath = existing(options.ptau, '--ptau');
    const finalKey = existing(zkey, 'final zkey');
    await verifyKey(built.r1cs, ptauPath, finalKey);
    const label = need(options.label, '--label (names the ceremony in the manifest)');
    await installArtifacts(circuit, built, finalKey, {
      security: `ceremony: ${label}`,
      ptau: { file: relative(REPO_ROOT, ptauPath), sha256: sha256File(ptauPath) },
    });
    console.log(`${name}: installed; commit circuits/artifacts and contracts/src/verifiers, and publish the transcript`);
  },
};

const [command, ...rest] = process.argv.slice(2);
try {
  if (!commands[command]) throw new UsageError(`usage: ceremony.mjs <${Object.keys(commands).join('|')}> … (see the header of this file)`);
  await commands[command](parse(rest));
} catch (error) {
  console.error(error instanceof UsageError ? `ceremony: ${error.message}` : error);
  process.exitCode = error instanceof UsageError ? 2 : 1;
} finally {
  await globalThis.curve_bn128?.terminate();
}
