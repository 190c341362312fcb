import { encryptLeafIndex, generateSingleKey, multiply, type Point } from '@zkkyc/escrow';
import { ApiError } from '../../src/api-error.js';
import type { IssuerServiceConfig } from '../../src/config.js';
import type { DisclosureChain, DisclosureRequestRef, ResolvedDisclosureRequest } from '../../src/services/disclosure-chain.js';

/** Keys of the disclosure tests' extra reviewers: a disclosure officer and an admin. */
export const OFFICER_KEY = 'N8kNDXZa8XfGS1SzeFBBQ9Vjhxxca1n0';
export const OTHER_OFFICER_KEY = 'yZZ9qJai0MgzCssxbrPnOeYX0X5Gv2Cn';
export const ADMIN_KEY = 'PhTx8065QdaCNbRrSRXBdmdRQv5urYDb';
export const officer = { 'x-api-key': OFFICER_KEY };
export const otherOfficer = { 'x-api-key': OTHER_OFFICER_KEY };
export const admin = { 'x-api-key': ADMIN_KEY };

export const TEST_LOG = '0x5fbdb2315678afecb367f032d93f642f64180aa3';
/** The ComplianceGate `TEST_LOG` names (`gate()`), as the deployment record would give it. */
export const TEST_GATE = '0xe7f1725e7734ce288f8367e1bb143e90bb3f0512';
export const TEST_CHAIN_ID = 31337;

/** `config` with the officers and the admin added, and disclosure pointed at `TEST_LOG`. */
export function withDisclosure(config: IssuerServiceConfig): IssuerServiceConfig {
  return {
    ...config,
    reviewers: [
      ...config.reviewers,
      { name: 'olga', apiKey: OFFICER_KEY, roles: ['disclosure-officer'] },
      { name: 'otto', apiKey: OTHER_OFFICER_KEY, roles: ['disclosure-officer'] },
      { name: 'adam', apiKey: ADMIN_KEY, roles: ['admin'] },
    ],
    disclosure: { rpcUrl: 'http://127.0.0.1:9', logAddress: TEST_LOG, gateAddress: TEST_GATE, confirmations: 1 },
  };
}

/**
 * Test double for the chain boundary only (as RecordingRootAnchor is for the anchor): the log
 * entries a test registers, each with a real escrow ciphertext of a leaf under a real key, so the
 * service's own checks — issuer, published root, decryption with K, leaf count — run for real.
 * The JSON-RPC reader itself is tested against Hardhat in disclosure.test.ts.
 */
export class StubDisclosureChain implements DisclosureChain {
  readonly key = generateSingleKey();
  private readonly entries = new Map<bigint, ResolvedDisclosureRequest | Error>();
  calls = 0;
  /** What the log's `gate()` answers now; a test changes it to play a log that names another gate. */
  gateAddress = TEST_GATE;

  async gate(): Promise<string> {
    return this.gateAddress;
  }

  /** Logs request `id` about a registration whose ciphertext encrypts `leafIndex`; returns `K`. */
  log(id: bigint, leafIndex: number, fields: { issuerId: bigint; root: bigint; policyId?: bigint; gate?: string }): Point {
    const { ciphertext, r } = encryptLeafIndex(this.key.publicKey, leafIndex);
    this.entries.set(id, {
      requestId: id,
      chainId: BigInt(TEST_CHAIN_ID),
      log: TEST_LOG,
      gate: fields.gate ?? TEST_GATE,
      policyId: fields.policyId ?? 1n,
      requester: '0x00000000000000000000000000000000000000aa',
      caseRefHash: `0x${'ca'.repeat(32)}`,
      registrationTx: `0x${id.toString(16).padStart(64, '0')}`,
      registrationLogIndex: 3,
      escrowX: ciphertext.R[0],
      escrowC: ciphertext.c,
      issuerId: fields.issuerId,
      root: fields.root,
      wallet: '0x00000000000000000000000000000000000000bb',
      nullifier: 12345n,
    });
    return multiply(this.key.publicKey, r);
  }

  /** Changes what the chain now says about request `id` (a reorg that put another request under the same id). */
  amend(id: bigint, patch: Partial<ResolvedDisclosureRequest>): void {
    const entry = this.entries.get(id);
    if (!entry || entry instanceof Error) throw new Error(`stub: no request ${id} to amend`);
    this.entries.set(id, { ...entry, ...patch });
  }

  /** Makes request `id` refuse with `error` (what the real reader throws for a failed check). */
  refuse(id: bigint, error: Error): void {
    this.entries.set(id, error);
  }

  async resolve(request: DisclosureRequestRef): Promise<ResolvedDisclosureRequest> {
    this.calls++;
    const entry = this.entries.get(request.id);
    if (entry instanceof Error) throw entry;
    if (!entry) throw new ApiError(404, 'request_not_logged', `no request ${request.id} (stub)`, 'request.id', 'logged');
    return entry;
  }
}

/** `["x", "y"]` as the route takes it. */
export const pointBody = (K: Point): [string, string] => [K[0].toString(), K[1].toString()];
