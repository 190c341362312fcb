import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';

interface SolcOutput {
  errors?: { severity: string; formattedMessage: string }[];
  contracts?: Record<string, Record<string, { abi: unknown[]; evm: { bytecode: { object: string } } }>>;
}

/**
 * Compiles one Solidity file of an integrator's project with solc-js (the monorepo's `solc`, as
 * contracts/hardhat.config.cjs uses), resolving imports the way Hardhat does: `@scope/pkg/...`
 * from the project's node_modules. Returns the contract's ABI and bytecode; throws with solc's
 * messages on an error.
 */
export function compileInProject(projectDir: string, file: string, contract: string): { abi: unknown[]; bytecode: string } {
  const solc = createRequire(import.meta.url)('solc') as { compile(input: string, callbacks: object): string };
  const input = {
    language: 'Solidity',
    sources: { [file]: { content: readFileSync(join(projectDir, file), 'utf8') } },
    settings: { evmVersion: 'cancun', outputSelection: { '*': { '*': ['abi', 'evm.bytecode.object'] } } },
  };
  const findImports = (path: string) => {
    const candidate = join(projectDir, 'node_modules', path);
    return existsSync(candidate) ? { contents: readFileSync(candidate, 'utf8') } : { error: `not found in ${projectDir}/node_modules: ${path}` };
  };
  const output = JSON.parse(solc.compile(JSON.stringify(input), { import: findImports })) as SolcOutput;
  const errors = (output.errors ?? []).filter((e) => e.severity === 'error');
  if (errors.length) throw new Error(errors.map((e) => e.formattedMessage).join('\n'));
  const compiled = output.contracts?.[file]?.[contract];
  if (!compiled) throw new Error(`${contract} not in the output of ${file}`);
  return { abi: compiled.abi, bytecode: `0x${compiled.evm.bytecode.object}` };
}
