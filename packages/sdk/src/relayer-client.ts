/**
 * A typed client for the relayer's HTTP API (relayer/README.md): the relayer submits a wallet's
 * registration with the wallet's EIP-712 consent and pays the gas, so a wallet with no ETH can
 * register. Over the platform's fetch, so the same code runs in Node and in the browser wallet.
 *
 * The relayer sends plain registrations in batches (one `verifyBatch` for many wallets): `submit`
 * hands one over and answers at once with its request id and status, `waitUntilRegistered` polls
 * that status until the batch is mined, and `register` does both.
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
  /** The relayer's request id (batched registrations). */
  id?: string;
  /** verifiedUntil the gate recorded (unix seconds, decimal), when the relayer read it. */
  until?: string;
}

/**
 * Where a batched request stands: `queued` (waiting for its batch), `submitted` (in a batch
 * transaction, `txHash`, not yet mined), `registered` (`blockNumber`, `until`), `refused` (the gate
 * refused it when its batch was simulated: `error.rule` is the gate's custom error) or `expired`
 * (its consent's deadline came while it waited).
 */
export interface RegistrationStatus {
  id: string;
  status: 'queued' | 'submitted' | 'registered' | 'refused' | 'expired';
  wallet: string;
  policyId: string;
  txHash?: string;
  blockNumber?: number;
  until?: string;
  error?: { code: string; message: string; field?: string; rule?: string };
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

/** How `waitUntilRegistered` polls. */
export interface WaitOptions {
  /** Between two status reads (default 1000 ms). */
  intervalMs?: number;
  /** Gives up after (default 180 s); the request goes on at the relayer. */
  timeoutMs?: number;
  /** Called with each status read (a wallet shows "queued", "in batch 0x…"). */
  onStatus?: (status: RegistrationStatus) => void;
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
   * (signRegistrationConsent), and waits until it is mined (`waitUntilRegistered`); a repeat of the
   * same consent is the same request. Refusals come back as RelayerApiError naming the field and
   * rule (the gate's custom error name for a registration the gate would refuse), whether the
   * relayer refused at once or when the batch was simulated.
   */
  async register(request: { policyId: bigint | number; proof: RegistrationProof; consent: RegistrationConsent }, options: WaitOptions = {}): Promise<RelayedRegistration> {
    const submitted = await this.submit(request);
    if ('txHash' in submitted && !('status' in submitted)) return submitted;
    return this.waitUntilRegistered(submitted as RegistrationStatus, options);
  }

  /**
   * Hands the registration over without waiting for it to be mined: a batched one answers at once
   * with its id and status (`queued`…). An escrow registration is not batched: the relayer answers it
   * once mined, as a RelayedRegistration. Refusals of the request's checks throw RelayerApiError.
   */
  submit(request: { policyId: bigint | number; proof: RegistrationProof; consent: RegistrationConsent }): Promise<RegistrationStatus | RelayedRegistration> {
    return this.request<RegistrationStatus | RelayedRegistration>(
      'POST',
      '/v1/registrations',
      {
        policyId: BigInt(request.policyId).toString(),
        proof: proofJson(request.proof),
        consent: { deadline: BigInt(request.consent.deadline).toString(), signature: request.consent.signature },
      },
      { prefer: 'respond-async' },
    );
  }

  /** A batched request's status. */
  status(id: string): Promise<RegistrationStatus> {
    return this.request<RegistrationStatus>('GET', `/v1/registrations/${encodeURIComponent(id)}`);
  }

  /**
   * Polls the request until it is registered (resolves), refused or expired (throws RelayerApiError
   * with the gate's error as rule), or `timeoutMs` passes (throws RelayerApiError `wait_timeout`;
   * the request goes on at the relayer: ask again later).
   */
  async waitUntilRegistered(request: RegistrationStatus | string, options: WaitOptions = {}): Promise<RelayedRegistration> {
    const { intervalMs = 1000, timeoutMs = 180_000, onStatus } = options;
    const giveUpAt = Date.now() + timeoutMs;
    let current = typeof request === 'string' ? await this.status(request) : request;
    for (;;) {
      onStatus?.(current);
      if (current.status === 'registered') {
        return { id: current.id, txHash: current.txHash ?? '', blockNumber: current.blockNumber ?? 0, wallet: current.wallet, ...(current.until ? { until: current.until } : {}) };
      }
      if (current.status === 'refused' || current.status === 'expired') {
        const e = current.error ?? { code: current.status, message: `the request was ${current.status}` };
        throw new RelayerApiError(current.status === 'expired' ? 400 : 422, e.code, e.message, e.field, e.rule);
      }
      if (Date.now() >= giveUpAt) {
        throw new RelayerApiError(504, 'wait_timeout', `request ${current.id} is still ${current.status} after ${Math.round(timeoutMs / 1000)} s; ask the relayer again later`);
      }
      await new Promise((resolve) => setTimeout(resolve, intervalMs));
      current = await this.status(current.id);
    }
  }

  private async request<T>(method: 'GET' | 'POST', path: string, body?: unknown, headers: Record<string, string> = {}): Promise<T> {
    const url = `${this.baseUrl}${path}`;
    let response: Response;
    try {
      response = await this.fetchImpl(url, {
        method,
        headers: body === undefined ? headers : { 'content-type': 'application/json', ...headers },
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
