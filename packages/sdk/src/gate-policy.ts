import type { ContractTransactionResponse } from 'ethers';
import type { ComplianceGate } from '@zkkyc/contracts/typechain';
import type { EscrowSolidityCalldata, SolidityCalldata } from '@zkkyc/prover';
import type { GatePolicy } from './holder.js';

/**
 * Reads a policy's rules and scope from the gate, in the form the prover takes. A policy with an
 * escrow key also returns it (`escrowKey`): its proofs must come from the escrow circuit, which
 * encrypts the holder's leaf index to that key (`KycEscrowProver`, `Holder.proveEscrow`).
 */
export async function readGatePolicy(gate: ComplianceGate, policyId: bigint): Promise<GatePolicy & { policyHash: bigint; ttl: bigint; escrowKey?: readonly [bigint, bigint] }> {
  const p = await gate.policy(policyId);
  if (!p.config.exists) throw new Error(`policy ${policyId} does not exist on gate ${await gate.getAddress()}`);
  const escrowKey = p.config.escrow ? await gate.escrowKeyOf(policyId) : undefined;
  return {
    scope: p.scope,
    policyHash: p.policyHash,
    jurisdictionMask: p.jurisdictionMask,
    minAge: Number(p.config.minAge),
    investorClassMask: Number(p.config.investorClassMask),
    minKycLevel: Number(p.config.minKycLevel),
    ttl: p.config.ttl,
    ...(escrowKey ? { escrowKey: [escrowKey.x, escrowKey.y] as const } : {}),
  };
}

/** A proof as the prover returns it: a kycPolicy proof (4 signals) or a kycPolicyEscrow one (6). */
export interface RegistrationProof {
  solidityCalldata: SolidityCalldata | EscrowSolidityCalldata;
}

/** A wallet's EIP-712 consent for a relayer to register it (`ComplianceGate.verifyFor`). */
export interface RegistrationConsent {
  deadline: bigint | number;
  signature: string;
}

/**
 * Sends the registration of `proof` under `policyId` through `gate` (connected to the wallet itself,
 * or, with `consent`, to a relayer), choosing the gate function by the proof's public signals: four
 * → `verify` / `verifyFor`, six (an escrow proof) → `verifyEscrow` / `verifyEscrowFor`. The gate
 * refuses a proof of the wrong kind for the policy (`EscrowProofRequired`, `EscrowNotEnabled`).
 */
export function submitRegistration(gate: ComplianceGate, policyId: bigint | number, proof: RegistrationProof, consent?: RegistrationConsent): Promise<ContractTransactionResponse> {
  const { pA, pB, pC, pubSignals } = proof.solidityCalldata;
  if (pubSignals.length === 6) {
    const signals = pubSignals as EscrowSolidityCalldata['pubSignals'];
    return consent ? gate.verifyEscrowFor(policyId, pA, pB, pC, signals, consent.deadline, consent.signature) : gate.verifyEscrow(policyId, pA, pB, pC, signals);
  }
  if (pubSignals.length === 4) {
    const signals = pubSignals as SolidityCalldata['pubSignals'];
    return consent ? gate.verifyFor(policyId, pA, pB, pC, signals, consent.deadline, consent.signature) : gate.verify(policyId, pA, pB, pC, signals);
  }
  throw new Error(`submitRegistration: a proof has 4 public signals (kycPolicy) or 6 (kycPolicyEscrow), got ${(pubSignals as unknown[]).length}`);
}
