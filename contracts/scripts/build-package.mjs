// What the published @zkkyc/contracts carries besides the Solidity: abi/<Contract>.json for every
// non-test contract, and the typechain bindings regenerated with `.js` import suffixes
// (build/typechain) so that, compiled by tsconfig.build.json, they load in plain Node ESM. The
// repository's own typechain-types/ (written by `hardhat compile`) stays as it is.
// Run after `hardhat compile`.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const contractsDir = join(dirname(fileURLToPath(import.meta.url)), '..');
const artifacts = join(contractsDir, 'artifacts');

function artifactFiles(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return artifactFiles(path);
    return e.name.endsWith('.json') && !e.name.endsWith('.dbg.json') ? [path] : [];
  });
}

const abiDir = join(contractsDir, 'abi');
const outDir = join(contractsDir, 'build', 'typechain');
const distDir = join(contractsDir, 'dist', 'typechain');
const stamp = join(outDir, '.built-from-artifacts');
// Only the contracts an integrator deploys or calls: test contracts (src/test, some deliberately
// unsound, like ConstantCoefficientBatchVerifier) get no ABI and no typechain binding.
const testDir = `${join(artifacts, 'src', 'test')}/`;
const ours = artifactFiles(join(artifacts, 'src')).filter((f) => !f.startsWith(testDir));
const inputs = [
  ...readdirSync(artifacts)
    .filter((d) => d !== 'build-info' && d !== 'src')
    .map((d) => `artifacts/${d}/**/!(*.dbg).json`),
  ...ours.map((f) => relative(contractsDir, f)),
];
// Unchanged artifacts: keep the generated files (and their timestamps, so `tsc -b` has nothing to
// redo). The stamp records the file set as well as the newest time, so a deleted or renamed
// contract rebuilds too.
const newest = Math.max(...artifactFiles(artifacts).map((f) => statSync(f).mtimeMs));
const fingerprint = JSON.stringify({ newest, inputs });
if (existsSync(stamp) && existsSync(abiDir) && existsSync(distDir) && readFileSync(stamp, 'utf8') === fingerprint) {
  console.log('abi/ and build/typechain are up to date with artifacts/');
  process.exit(0);
}

rmSync(abiDir, { recursive: true, force: true });
mkdirSync(abiDir);
for (const file of ours) {
  const { contractName, abi } = JSON.parse(readFileSync(file, 'utf8'));
  writeFileSync(join(abiDir, `${contractName}.json`), `${JSON.stringify(abi, null, 2)}\n`);
}

// tsc -b never deletes outputs whose source went away: start both trees (and its build info) afresh.
rmSync(outDir, { recursive: true, force: true });
rmSync(distDir, { recursive: true, force: true });
rmSync(join(contractsDir, 'build', 'tsconfig.build.tsbuildinfo'), { force: true });
const typechain = createRequire(import.meta.url).resolve('typechain/dist/cli/cli.js');
execFileSync(process.execPath, [typechain, '--target', 'ethers-v6', '--node16-modules', '--out-dir', outDir, ...inputs], { cwd: contractsDir, stdio: ['ignore', 'ignore', 'inherit'] });

// typechain's --node16-modules leaves its namespace re-exports of directories (`from "./src"`) and of
// `Foo.sol` folders without a suffix, which Node's ESM resolver does not complete.
function completeSpecifiers(dir) {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, e.name);
    if (e.isDirectory()) completeSpecifiers(path);
    else if (e.name.endsWith('.ts')) {
      const text = readFileSync(path, 'utf8');
      const fixed = text.replace(/from "(\.{1,2}\/[^"]+)"/g, (whole, spec) => {
        if (spec.endsWith('.js')) return whole;
        const target = join(dirname(path), spec);
        if (existsSync(join(target, 'index.ts'))) return `from "${spec}/index.js"`;
        if (existsSync(`${target}.ts`)) return `from "${spec}.js"`;
        throw new Error(`${path}: cannot complete the import ${spec}`);
      });
      if (fixed !== text) writeFileSync(path, fixed);
    }
  }
}
completeSpecifiers(outDir);
writeFileSync(stamp, fingerprint);
console.log(
  `abi/: ${ours.length} contracts (${ours
    .map((f) => basename(f, '.json'))
    .slice(0, 3)
    .join(', ')}, …); typechain bindings in build/typechain`,
);
