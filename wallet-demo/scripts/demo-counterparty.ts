import { Wallet, parseEther, type JsonRpcProvider, type Signer } from 'ethers';
import { todayInt } from '@zkkyc/credentials';
import { nodeProver } from '@zkkyc/prover/node';
import { connectZkKyc, Holder, IssuerClient, type ZkKycDeployment } from '@zkkyc/sdk';
import { DEMO_ISSUER_ID } from './demo-deployment.js';

/**
 * A second, already verified investor for the demo token, so the wallet has someone to transfer
 * to. It walks the same holder story as the browser, in Node through the sdk: apply, receive,
 * wait for the root, prove, and register itself at the gate.
 */
export async function verifiedCounterparty(args: {
  provider: JsonRpcProvider;
  funder: Signer;
  deployment: ZkKycDeployment;
  issuerUrl: string;
  policyId: bigint;
  log: (line: string) => void;
}): Promise<string> {
  const wallet = Wallet.createRandom().connect(args.provider);
  await (await args.funder.sendTransaction({ to: wallet.address, value: parseEther('1') })).wait();
  const holder = await Holder.fromWallet(wallet);
  const issuer = new IssuerClient(args.issuerUrl);
  const application = await holder.apply(issuer, { jurisdiction: 'DE', birthDate: '1985-04-12', investorClasses: ['professional-eu'], kycLevel: 3 });
  if (!application.credentialId) throw new Error(`counterparty application is ${application.status}; the demo issuer must auto-approve`);
  const held = await holder.receive(issuer, application.credentialId, application.accessToken);

  const contracts = connectZkKyc(args.deployment, wallet);
  const deadline = Date.now() + 60_000;
  // The path from the issuer's tree files at the registry's root, once that root holds the credential.
  const pathAtChainRoot = async () => {
    const { currentRoot } = await contracts.issuerRegistry.issuer(DEMO_ISSUER_ID);
    if (currentRoot === 0n) return null;
    return holder.merklePath(issuer, held, { root: currentRoot }).catch((err: { rule?: string; code?: string }) => {
      if (err?.rule === 'in-tree' || err?.code === 'root_not_served') return null;
      throw err;
    });
  };
  let path = await pathAtChainRoot();
  while (path === null || !(await contracts.issuerRegistry.isRootAcceptable(DEMO_ISSUER_ID, path.root))) {
    if (Date.now() > deadline) throw new Error('the issuer did not anchor the counterparty’s root within 60 s');
    await new Promise((r) => setTimeout(r, 500));
    path = await pathAtChainRoot();
  }
  const policy = await contracts.complianceGate.policy(args.policyId);
  const proof = await holder.prove(
    await nodeProver('kycPolicy32'),
    held,
    path,
    {
      scope: policy.scope,
      jurisdictionMask: policy.jurisdictionMask,
      minAge: Number(policy.config.minAge),
      investorClassMask: Number(policy.config.investorClassMask),
      minKycLevel: Number(policy.config.minKycLevel),
    },
    { today: todayInt() },
  );
  const { pA, pB, pC, pubSignals } = proof.solidityCalldata;
  await (await contracts.complianceGate.verify(args.policyId, pA, pB, pC, pubSignals)).wait();
  args.log(`counterparty: ${wallet.address} verified for policy ${args.policyId}`);
  return wallet.address;
}
