/**
 * Deploys zkkyc and writes the deployment record.
 *
 *   npx tsx contracts/scripts/deploy.ts [--rpc URL] [--out deployment.json] [--config options.json]
 *
 * With --rpc, transactions are signed with the key in DEPLOYER_PRIVATE_KEY and sent to that node;
 * without it, the contracts go to Hardhat's in-process chain (useful to check a config, gone when
 * the process exits). --config is a JSON file of DeployOptions (packages/sdk/src/deploy.ts) in which
 * big numbers (jurisdictionMask, maxBalancePerInvestor, maxVolume) may be decimal strings.
 */
import { readFile } from 'node:fs/promises';
import { JsonRpcProvider, Wallet, type Signer } from 'ethers';
import { deployZkKyc, writeDeployment, type DeployOptions } from '../../packages/sdk/src/deploy.js';

interface Args {
  rpc?: string;
  out?: string;
  config?: string;
}

function parseArgs(argv: string[]): Args {
  const args: Args = {};
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = argv[i + 1];
    if (flag !== '--rpc' && flag !== '--out' && flag !== '--config') {
      throw new Error(`unknown argument ${flag}; usage: deploy.ts [--rpc URL] [--out file] [--config options.json]`);
    }
    if (value === undefined || value.startsWith('--')) throw new Error(`${flag} needs a value`);
    args[flag.slice(2) as keyof Args] = value;
    i++;
  }
  return args;
}

/** Reads DeployOptions from JSON, turning the big-number fields back into bigints. */
async function readOptions(path: string): Promise<DeployOptions> {
  const raw = JSON.parse(await readFile(path, 'utf8')) as DeployOptions;
  for (const policy of raw.policies ?? []) policy.jurisdictionMask = BigInt(policy.jurisdictionMask);
  for (const token of raw.tokens ?? []) {
    const rules = token.rules;
    if (rules?.maxBalancePerInvestor !== undefined) rules.maxBalancePerInvestor = BigInt(rules.maxBalancePerInvestor);
    if (rules?.transferVolume) rules.transferVolume.maxVolume = BigInt(rules.transferVolume.maxVolume);
  }
  return raw;
}

async function signerFor(args: Args): Promise<Signer> {
  if (args.rpc) {
    const key = process.env.DEPLOYER_PRIVATE_KEY;
    if (!key) throw new Error('DEPLOYER_PRIVATE_KEY must hold the deployer key when --rpc is given');
    return new Wallet(key, new JsonRpcProvider(args.rpc));
  }
  // Loaded only here: a deployment to a real node needs no Hardhat runtime.
  const hre = (await import('hardhat')).default;
  const [deployer] = await hre.ethers.getSigners();
  return deployer;
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const options = args.config ? await readOptions(args.config) : {};
  const signer = await signerFor(args);
  const deployment = await deployZkKyc(signer, options);
  if (args.out) await writeDeployment(args.out, deployment);
  console.log(JSON.stringify(deployment, null, 2));
  if (!args.rpc) console.error('note: deployed to the in-process Hardhat chain, which ends with this process');
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exitCode = 1;
});
