/**
 * deployZkKyc deploys the verifiers compiled into @zkkyc/contracts, which the committed dev setup
 * made: anyone can forge proofs for them (docs/circuits.md). It must do so only on a dev chain
 * (31337 Hardhat, 1337 geth --dev / Ganache), and elsewhere refuse before sending anything unless
 * the caller brings verifiers made from a ceremony zkey or opts in by name. The other chain is
 * Hardhat's in-process chain seen through a provider that reports Sepolia's chain id: every
 * transaction still runs on the real EVM.
 */
import hre from 'hardhat';
import { BrowserProvider, toQuantity, type Eip1193Provider, type JsonRpcSigner } from 'ethers';
import { KycPolicyVerifier32__factory } from '@zkkyc/contracts/typechain';
import { ComplianceGate__factory } from '@zkkyc/contracts/typechain';
import { DEV_CHAIN_IDS, checkVerifierChoice, deployZkKyc } from './deploy.js';

const SEPOLIA = 11155111;

/** The in-process chain, reporting `chainId` as its chain id. */
function reportingChainId(chainId: number): Eip1193Provider {
  const inner = hre.network.provider;
  return {
    request: async ({ method, params }) => {
      if (method === 'eth_chainId') return toQuantity(chainId);
      if (method === 'net_version') return String(chainId);
      return inner.request({ method, params: params as unknown[] | undefined });
    },
  };
}

async function signerOn(chainId: number): Promise<JsonRpcSigner> {
  const [deployer] = await hre.ethers.getSigners();
  return new BrowserProvider(reportingChainId(chainId), undefined, { pollingInterval: 50 }).getSigner(deployer.address);
}

describe('the dev-chain rule for the bundled (INSECURE) verifiers', () => {
  it('allows the dev chains and refuses any other chain, naming it and the way out', () => {
    expect([...DEV_CHAIN_IDS]).toEqual([31337, 1337]);
    for (const chainId of DEV_CHAIN_IDS) expect(() => checkVerifierChoice(chainId, {})).not.toThrow();
    for (const chainId of [1, 10, 137, 8453, SEPOLIA]) {
      expect(() => checkVerifierChoice(chainId, {})).toThrow(`chain ${chainId}`);
    }
    expect(() => checkVerifierChoice(1, {})).toThrow(/INSECURE dev verifiers.*only on the dev chains \(31337 Hardhat, 1337 geth --dev \/ Ganache\)/s);
    expect(() => checkVerifierChoice(1, {})).toThrow(/options\.verifiers.*allowInsecureDevVerifiers: true/s);
    expect(() => checkVerifierChoice(1, { allowInsecureDevVerifiers: true })).not.toThrow();
    expect(() => checkVerifierChoice(1, { verifiers: { kycPolicyVerifier32: '0x' + '11'.repeat(20) } })).not.toThrow();
  });

  it('deploys them on Hardhat (31337)', async () => {
    const [deployer] = await hre.ethers.getSigners();
    const deployment = await deployZkKyc(deployer, { verifier20: false });
    expect(deployment.chainId).toBe(31337);
    expect(await hre.ethers.provider.getCode(deployment.contracts.kycPolicyVerifier32)).not.toBe('0x');
  });

  it('refuses on another chain before sending a transaction', async () => {
    const signer = await signerOn(SEPOLIA);
    const nonce = await hre.ethers.provider.getTransactionCount(signer.address);
    await expect(deployZkKyc(signer)).rejects.toThrow(`refusing to deploy the INSECURE dev verifiers on chain ${SEPOLIA}`);
    expect(await hre.ethers.provider.getTransactionCount(signer.address)).toBe(nonce);
  });

  it('deploys them on another chain with allowInsecureDevVerifiers: true', async () => {
    const deployment = await deployZkKyc(await signerOn(SEPOLIA), { verifier20: false, allowInsecureDevVerifiers: true });
    expect(deployment.chainId).toBe(SEPOLIA);
    expect(await hre.ethers.provider.getCode(deployment.contracts.kycPolicyVerifier32)).not.toBe('0x');
  });

  it('wires verifiers the caller deployed (from a ceremony zkey) and deploys none', async () => {
    const signer = await signerOn(SEPOLIA);
    // Stands in for a verifier generated from a ceremony zkey: any contract deployed beforehand.
    const own = await (await new KycPolicyVerifier32__factory(signer).deploy()).waitForDeployment();
    const ownAddress = await own.getAddress();
    const fromBlock = (await hre.ethers.provider.getBlockNumber()) + 1;
    const deployment = await deployZkKyc(signer, { verifiers: { kycPolicyVerifier32: ownAddress } });
    expect(deployment.contracts.kycPolicyVerifier32).toBe(ownAddress);
    expect(deployment.contracts.kycPolicyVerifier20).toBeUndefined();
    const gate = ComplianceGate__factory.connect(deployment.contracts.complianceGate, hre.ethers.provider);
    expect(await gate.verifier32()).toBe(ownAddress);
    expect(await gate.verifier20()).toBe('0x0000000000000000000000000000000000000000');
    // Nothing it created has a verifier's code.
    const verifierCode = await hre.ethers.provider.getCode(ownAddress);
    const created: string[] = [];
    for (let n = fromBlock; n <= (await hre.ethers.provider.getBlockNumber()); n++) {
      for (const hash of (await hre.ethers.provider.getBlock(n))!.transactions) {
        const address = (await hre.ethers.provider.getTransactionReceipt(hash))!.contractAddress;
        if (address) created.push(await hre.ethers.provider.getCode(address));
      }
    }
    expect(created.length).toBeGreaterThanOrEqual(3); // Poseidon, registry, gate
    expect(created).not.toContain(verifierCode);
  });

  it('refuses a verifier address without code', async () => {
    const signer = await signerOn(SEPOLIA);
    const empty = '0x' + '22'.repeat(20);
    await expect(deployZkKyc(signer, { verifiers: { kycPolicyVerifier32: empty } })).rejects.toThrow(`options.verifiers.kycPolicyVerifier32: no contract at ${empty} on chain ${SEPOLIA}`);
  });
});
