/**
 * Deploys zkkyc's core at the same addresses on every chain given (CREATE2; see
 * packages/sdk/src/deterministic-deploy.ts and docs/issuer-service.md, "The same addresses on every
 * chain"), and writes one deployment record per chain.
 *
 *   npx tsx contracts/scripts/deploy-deterministic.ts --rpc URL [--rpc URL …] [--out-dir DIR] [--config options.json] [--label core-v1]
 *   npx tsx contracts/scripts/deploy-deterministic.ts --predict [--config options.json] [--label core-v1]
 *
 * Keys: DEPLOYER_PRIVATE_KEY (the core's first admin; the same on every chain) and
 * FACTORY_DEPLOYER_PRIVATE_KEY (a key kept for the factory alone: its first transaction on each
 * chain deploys the factory). --config is a JSON file of the `issuers`, `policies`, `admin`,
 * `maxRootAge` and `verifiers` options (jurisdictionMask as a decimal string). --predict prints the
 * addresses without connecting to anything. A rerun on a chain sends nothing that is there already.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { JsonRpcProvider, Wallet } from 'ethers';
import { create2FactoryAddress, deployZkKycDeterministic, ensureCreate2Factory, predictZkKycAddresses, type DeterministicDeployOptions } from '../../packages/sdk/src/deterministic-deploy.js';

interface Args {
  rpc: string[];
  outDir?: string;
  config?: string;
  label?: string;
  predict: boolean;
}

const USAGE = 'usage: deploy-deterministic.ts (--rpc URL …) | --predict [--out-dir DIR] [--config options.json] [--label name]';

function parseArgs(argv: string[]): Args {
  const args: Args = { rpc: [], predict: false };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    if (flag === '--predict') {
      args.predict = true;
      continue;
    }
    const value = argv[i + 1];
    if (!['--rpc', '--out-dir', '--config', '--label'].includes(flag)) throw new Error(`unknown argument ${flag}; ${USAGE}`);
    if (value === undefined || value.startsWith('--')) throw new Error(`${flag} needs a value`);
    if (flag === '--rpc') args.rpc.push(value);
    else if (flag === '--out-dir') args.outDir = value;
    else if (flag === '--config') args.config = value;
    else args.label = value;
    i++;
  }
  if (!args.predict && args.rpc.length === 0) throw new Error(`give at least one --rpc, or --predict; ${USAGE}`);
  return args;
}

function key(name: string): string {
  const value = process.env[name] ?? '';
  if (!/^0x[0-9a-fA-F]{64}$/.test(value)) throw new Error(`${name} must hold a 0x-prefixed 32-byte hex private key`);
  return value;
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const raw = args.config ? (JSON.parse(await readFile(args.config, 'utf8')) as Omit<DeterministicDeployOptions, 'factory'>) : {};
  for (const policy of raw.policies ?? []) policy.jurisdictionMask = BigInt(policy.jurisdictionMask);
  const deployer = new Wallet(key('DEPLOYER_PRIVATE_KEY'));
  const factoryKey = new Wallet(key('FACTORY_DEPLOYER_PRIVATE_KEY'));
  const options: DeterministicDeployOptions = { ...raw, factory: create2FactoryAddress(factoryKey.address), ...(args.label ? { label: args.label } : {}) };
  const predicted = await predictZkKycAddresses(deployer.address, options);
  if (args.predict) {
    console.log(JSON.stringify({ factory: options.factory, contracts: predicted }, null, 2));
    return;
  }
  for (const url of args.rpc) {
    const provider = new JsonRpcProvider(url, undefined, { cacheTimeout: -1 });
    try {
      await ensureCreate2Factory(factoryKey.connect(provider));
      const deployment = await deployZkKycDeterministic(deployer.connect(provider), options);
      if (JSON.stringify(deployment.contracts) !== JSON.stringify(predicted)) throw new Error(`chain ${deployment.chainId}: addresses differ from the prediction`);
      if (args.outDir) await writeFile(join(args.outDir, `deployment-${deployment.chainId}.json`), JSON.stringify(deployment, null, 2) + '\n');
      console.log(`chain ${deployment.chainId} (${url}): core at the predicted addresses`);
    } finally {
      provider.destroy();
    }
  }
  console.log(JSON.stringify({ factory: options.factory, contracts: predicted }, null, 2));
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exitCode = 1;
});
