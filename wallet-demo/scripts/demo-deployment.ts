import { parseUnits, type Signer } from 'ethers';
import { investorClassMask, jurisdictionMask, type EscrowKey } from '@zkkyc/credentials';
import { connectZkKyc, deployToken, deployZkKyc, setGatePolicy, type PolicySpec, type ZkKycDeployment } from '@zkkyc/sdk';

/**
 * The demo world the wallet walks through: one issuer (id 1), two tokens whose policies a typical
 * applicant meets and does not meet, so the wallet shows both ticks and crosses, and a third whose
 * policy has the first one's rules and an escrow key, so its registrations carry the holder's leaf
 * index encrypted for the key's holder (docs/protocol.md, "Escrow").
 */
export const DEMO_ISSUER_ID = 1n;

const EUROPE_AND_ASIA = ['AT', 'BE', 'CH', 'DE', 'DK', 'ES', 'FI', 'FR', 'GB', 'HK', 'IE', 'IT', 'LI', 'LU', 'NL', 'NO', 'PT', 'SE', 'SG'];

const POLICIES: PolicySpec[] = [
  {
    // Professional investors resident in Europe or the two Asian hubs, adults, thoroughly checked.
    policyId: 1,
    jurisdictionMask: jurisdictionMask(EUROPE_AND_ASIA),
    minAge: 18,
    investorClassMask: investorClassMask(['professional-eu', 'professional-uk', 'professional-hk', 'qualified-investor-ch', 'institutional']),
    minKycLevel: 2,
    acceptedIssuers: [DEMO_ISSUER_ID],
    ttl: 30 * 24 * 3600,
    maxWalletsPerInvestor: 3,
  },
  {
    // A US private placement: accredited US residents of 21 or more.
    policyId: 2,
    jurisdictionMask: jurisdictionMask(['US']),
    minAge: 21,
    investorClassMask: investorClassMask(['accredited', 'qualified-purchaser']),
    minKycLevel: 3,
    acceptedIssuers: [DEMO_ISSUER_ID],
    ttl: 7 * 24 * 3600,
    maxWalletsPerInvestor: 1,
  },
];

/**
 * The escrow policy: policy 1's rules under another id (so another scope), with the escrow key
 * added at deployment. A holder who may hold AREF may hold this token too, and proves with the
 * escrow circuit for it.
 */
const ESCROW_POLICY: Omit<PolicySpec, 'escrowKey'> = { ...POLICIES[0], policyId: 3 };

/** Deploys the core contracts (registry, verifiers, gate); the deployer keeps every role, as the demo's agent. */
export function deployDemoCore(deployer: Signer): Promise<ZkKycDeployment> {
  return deployZkKyc(deployer, { maxRootAge: 3600, verifier20: false });
}

/**
 * Adds the three policies and their tokens; the gate accepts only issuers already in the registry.
 * `escrowKey` is the third policy's escrow key (a point of Baby Jubjub's prime-order subgroup; the
 * demo generates a single key at start, held by its transfer agent).
 */
export async function deployDemoTokens(deployer: Signer, deployment: ZkKycDeployment, escrowKey: EscrowKey): Promise<void> {
  for (const policy of [...POLICIES, { ...ESCROW_POLICY, escrowKey }]) deployment.policies.push(await setGatePolicy(deployer, deployment, policy));
  deployment.tokens.push(
    await deployToken(deployer, deployment, {
      name: 'Alpine Real Estate Fund',
      symbol: 'AREF',
      decimals: 18,
      policyId: 1,
      rules: { maxBalancePerInvestor: parseUnits('5000', 18) },
    }),
  );
  deployment.tokens.push(await deployToken(deployer, deployment, { name: 'US Private Credit Note', symbol: 'USPC', decimals: 6, policyId: 2 }));
  deployment.tokens.push(await deployToken(deployer, deployment, { name: 'Nordic Infrastructure Bond', symbol: 'NIB', decimals: 18, policyId: ESCROW_POLICY.policyId }));
}

/** Registers the issuer-service's DID and publisher key in the registry. */
export async function registerDemoIssuer(deployer: Signer, deployment: ZkKycDeployment, issuerDid: string, publisher: string): Promise<void> {
  const registry = connectZkKyc(deployment, deployer).issuerRegistry;
  await (await registry.addIssuer(DEMO_ISSUER_ID, issuerDid, publisher, 32)).wait();
}
