/**
 * A typed client for the relayer's HTTP API (relayer/README.md): the relayer submits a wallet's
 * registration with the wallet's EIP-712 consent and pays the gas, so a wallet with no ETH can
 * register. Over the platform's fetch, so the same code runs in Node and in the browser wallet.
 */
import type { RegistrationConsent, RegistrationProof } from './gate-policy.js';

/** What `GET /v1/health` reports: who pays, with how much, for which gate on which chain. */
export interface RelayerHealth {
  status: 'ok';
  relayer: string;
  /** The relayer's balance in wei, as a decimal string. */
  balance: string;
  gate: string;
  chainId: number;
}

/** A registration the relayer sent and saw mined. */
export interface RelayedRegistration {
  txHash: string;
  blockNumber: number;
  wallet: string;
}

/** The relayer refused: its HTTP status, machine code, and the field and rule at fault if any. */
export class RelayerApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly field?: string,
    readonly rule?: string,
  ) {
    super(`${code}${field ? ` (${field}${rule ? `: ${rule}` : ''})` : ''}: ${message}`);
    this.name = 'RelayerApiError';
  }
}

/** The relayer could not be reached at all (down, wrong URL, network, CORS). */
export class RelayerUnreachableError extends Error {
  constructor(
    readonly url: string,
    cause: unknown,
  ) {
    super(`relayer unreachable at ${url}: ${cause instanceof Error ? cause.message : String(cause)}`);
    this.name = 'RelayerUnreachableError';
  }
}

/** A proof's Solidity calldata as JSON: every number a decimal string. */
function proofJson(proof: RegistrationProof) {
  const { pA, pB, pC, pubSignals } = proof.solidityCalldata;
  const str = (v: bigint | string | number) => BigInt(v).toString();
  return { pA: pA.map(str), pB: pB.map((row) => row.map(str)), pC: pC.map(str), pubSignals: (pubSignals as readonly bigint[]).map(str) };
}

export class RelayerClient {
  private readonly baseUrl: string;

  constructor(
    baseUrl: string,
    private readonly fetchImpl: typeof fetch = (...args) => fetch(...args),
  ) {
    this.baseUrl = baseUrl.replace(/\/+$/, '');
  }

  health(): Promise<RelayerHealth> {
    return this.request<RelayerHealth>('GET', '/v1/health');
  }

  /**
   * Asks the relayer to register `proof` under `policyId` with the wallet's `consent`
   * (signRegistrationConsent). Resolves once the transaction is mined; a repeat of the same consent
   * answers with the same transaction. Refusals come back as RelayerApiError naming the field and
   * rule (the gate's custom error name for a registration the gate would refuse).
   */
  register(request: { policyId: bigint | number; proof: RegistrationProof; consent: RegistrationConsent }): Promise<RelayedRegistration> {
    return this.request<RelayedRegistration>('POST', '/v1/registrations', {
      policyId: BigInt(request.policyId).toString(),
      proof: proofJson(request.proof),
      consent: { deadline: BigInt(request.consent.deadline).toString(), signature: request.consent.signature },
    });
  }

  private async request<T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
    const url = `${this.baseUrl}${path}`;
    let response: Response;
    try {
      response = await this.fetchImpl(url, {
        method,
        headers: body === undefined ? {} : { 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (err) {
      throw new RelayerUnreachableError(this.baseUrl, err);
    }
    const json = (await response.json().catch(() => null)) as { error?: { code?: string; message?: string; field?: string; rule?: string } } | null;
    if (!response.ok) {
      const e = json?.error;
      throw new RelayerApiError(response.status, e?.code ?? 'http_error', e?.message ?? `HTTP ${response.status}`, e?.field, e?.rule);
    }
    return json as T;
  }
}
