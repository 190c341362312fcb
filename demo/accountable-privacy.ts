/**
 * The demo's accountable-privacy act (issue 10, DESIGN §9): registrations under an escrow policy
 * carry the holder's leaf index encrypted to the policy's key. A transfer agent who holds its key
 * alone keeps the register of holders; a 2-of-3 auditor panel opens one registration after a
 * request recorded in the public disclosure log; one auditor alone cannot, and a request that is
 * not in the log is refused before any key is used.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Provider, Signer } from 'ethers';
import {
  buildRegisterOfHolders,
  caseRefHash,
  ChainDisclosureLogCheck,
  combine,
  createPartialDecryption,
  deal,
  disclosureRequestReference,
  finalizeDkg,
  generateSingleKey,
  HttpIssuerDisclosures,
  pointFromX,
  randomCaseSalt,
  registerCsv,
  registerHtml,
  rosterOf,
  startDkg,
  writePrivateText,
  type Ciphertext,
  type EscrowKeyPair,
  type KeyShare,
  type ThresholdPublicKey,
} from '@zkkyc/escrow';
import type { ZkKycContracts } from '@zkkyc/sdk';

/** The keys the act needs before the contracts are deployed (policies name them). */
export interface EscrowKeys {
  /** The transfer agent's single key, for the register of holders. */
  transferAgent: EscrowKeyPair;
  /** The auditor panel's 2-of-3 key: the public outcome and each auditor's share. */
  panel: { publicKey: ThresholdPublicKey; shares: KeyShare[] };
}

/** The transfer agent makes its key; three auditors run the distributed key generation. */
export function makeEscrowKeys(): EscrowKeys {
  const transferAgent = generateSingleKey();
  const started = [1, 2, 3].map((i) => startDkg(i, 3, 2));
  const roster = rosterOf(started.map((s) => s.announcement));
  const dealings = started.map((s) => deal(s.secrets, roster));
  // Every share checked out, so nobody complains; finalize checks each share against P_j.
  const finals = started.map((s) => finalizeDkg(s.secrets, roster, dealings, []));
  return { transferAgent, panel: { publicKey: finals[0].publicKey, shares: finals.map((f) => f.keyShare) } };
}

/** Where an escrow registration's ciphertext is on chain: what a disclosure request names. */
export interface EscrowRegistration {
  /** The gate of the deployment the registration was made on (the one the auditors serve). */
  gate: string;
  transaction: string;
  logIndex: number;
  ciphertext: Ciphertext;
}

/** Reads the EscrowCiphertext event out of a registration receipt. */
export function escrowRegistrationOf(
  gate: ZkKycContracts['complianceGate'],
  receipt: { hash: string; logs: readonly { index: number; topics: readonly string[]; data: string }[] },
): EscrowRegistration {
  for (const log of receipt.logs) {
    const parsed = gate.interface.parseLog({ topics: [...log.topics], data: log.data });
    if (parsed?.name === 'EscrowCiphertext') {
      const escrowX = parsed.args.escrowX as bigint;
      return { gate: String(gate.target), transaction: receipt.hash, logIndex: log.index, ciphertext: { R: pointFromX(escrowX), c: parsed.args.escrowC as bigint } };
    }
  }
  throw new Error(`transaction ${receipt.hash} has no EscrowCiphertext event`);
}

/** The transfer agent's register: built from the chain and the issuer, written as CSV and HTML. */
export async function keepRegister(options: {
  provider: Provider;
  contracts: ZkKycContracts;
  token: string;
  policyId: bigint;
  keys: EscrowKeys;
  transferAgent: Signer;
  issuerUrl: string;
  officerKey: string;
  outDir: string;
}) {
  const register = await buildRegisterOfHolders({
    provider: options.provider,
    gate: await options.contracts.complianceGate.getAddress(),
    token: options.token,
    policyId: options.policyId,
    secretKey: options.keys.transferAgent.secretKey,
    log: await options.contracts.disclosureLog.getAddress(),
    requester: options.transferAgent,
    issuer: new HttpIssuerDisclosures(options.issuerUrl, options.officerKey),
    caseReference: `register of holders ${new Date().toISOString().slice(0, 10)}`,
    pollIntervalMs: 50,
  });
  mkdirSync(options.outDir, { recursive: true });
  const csv = join(options.outDir, 'register-of-holders.csv');
  const html = join(options.outDir, 'register-of-holders.html');
  // Personal data: a fresh 0600 file each time, never written through a link.
  writePrivateText(csv, registerCsv(register));
  writePrivateText(html, registerHtml(register));
  return { register, csv, html };
}

/** A compliance officer records a disclosure request in the log; returns its id and reference. */
export async function requestDisclosure(options: { contracts: ZkKycContracts; requester: Signer; policyId: bigint; registration: EscrowRegistration; caseReference: string }) {
  const salt = randomCaseSalt();
  const hash = caseRefHash(options.caseReference, salt);
  const log = options.contracts.disclosureLog.connect(options.requester);
  const receipt = await (await log.request(options.policyId, options.registration.transaction, options.registration.logIndex, hash)).wait();
  const id = log.interface.parseLog(receipt!.logs.find((l) => l.address === log.target)!)!.args.id as bigint;
  const chainId = (await options.requester.provider!.getNetwork()).chainId;
  const logAddress = (await log.getAddress()).toLowerCase();
  return {
    id,
    chainId,
    log: logAddress,
    caseRefHash: hash,
    salt,
    reference: disclosureRequestReference({ chainId, log: logAddress, requestId: id }),
    gas: Number(receipt!.gasUsed),
  };
}

/**
 * One auditor's part: check the request is in the official log (of the gate the auditor serves),
 * open, made by a requester of the policy and for exactly this registration, ciphertext and key
 * (ChainDisclosureLogCheck), then make the partial decryption with its proof.
 */
export async function auditorPartial(options: {
  provider: Provider;
  /** The deployment the auditor serves (its own record of it, not the requester's word); default: the registration's gate. */
  contracts?: ZkKycContracts;
  share: KeyShare;
  panel: ThresholdPublicKey;
  policyId: bigint;
  registration: EscrowRegistration;
  caseRefHash: string;
  reference: string;
}) {
  const check = new ChainDisclosureLogCheck(
    options.provider,
    {
      policyId: options.policyId,
      registrationTx: options.registration.transaction,
      registrationLogIndex: options.registration.logIndex,
      caseRefHash: options.caseRefHash,
    },
    options.contracts ? { gate: await options.contracts.complianceGate.getAddress(), log: await options.contracts.disclosureLog.getAddress() } : { gate: options.registration.gate },
  );
  await check.assertLogged({ request: options.reference, publicKey: options.panel.publicKey, ciphertext: options.registration.ciphertext, auditor: options.share.index });
  return createPartialDecryption(options.share, options.registration.ciphertext, options.reference);
}

export { combine };
