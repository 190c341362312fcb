import type { ComplianceGate } from '@zkkyc/contracts/typechain';
import type { GatePolicy } from './holder.js';

/** Reads a policy's rules and scope from the gate, in the form the prover takes. */
export async function readGatePolicy(gate: ComplianceGate, policyId: bigint): Promise<GatePolicy & { policyHash: bigint; ttl: bigint }> {
  const p = await gate.policy(policyId);
  if (!p.config.exists) throw new Error(`policy ${policyId} does not exist on gate ${await gate.getAddress()}`);
  return {
    scope: p.scope,
    policyHash: p.policyHash,
    jurisdictionMask: p.jurisdictionMask,
    minAge: Number(p.config.minAge),
    investorClassMask: Number(p.config.investorClassMask),
    minKycLevel: Number(p.config.minKycLevel),
    ttl: p.config.ttl,
  };
}
