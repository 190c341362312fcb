import { EscrowError } from './errors.js';
import type { Point } from './group.js';

/**
 * The issuer's side of a disclosure (DESIGN §9): its disclosure officer maps (issuer, leaf index)
 * to the KYC record and records the disclosure. issuer-service answers
 *
 *   POST /disclosures        x-api-key: <disclosure officer's key>
 *   { "request": { "chainId": <number>, "log": "0x…", "id": "<decimal>" },
 *     "sharedPoint": ["<x>", "<y>"], "leafIndex": "<decimal>" }
 *
 * with `{ disclosure, record: { person, attributes, credential } }`, or `{ error: { code, field,
 * rule, message } }`. The shared point `K = e·R` lets the issuer check, from the logged request's
 * registration, that `c − Poseidon(K) = leafIndex`: it discloses only the leaf index of the
 * registration the log names. The escrow depends on the capability ({@link IssuerDisclosures}); the
 * HTTP client is the default.
 */

/** What the issuer is asked. */
export interface IssuerDisclosureQuery {
  request: { chainId: bigint; log: string; id: bigint };
  sharedPoint: Point;
  leafIndex: number;
}

/** The KYC record the issuer discloses. Field names are the issuer's; the register shows them generically. */
export interface DisclosedRecord {
  /** The person as the issuer verified them; `{}` when it holds none (issuer-service answers null for a dev auto-approval). */
  person: Record<string, unknown>;
  attributes: Record<string, unknown>;
  credential: { id?: string; status?: string; issuedAt?: string; validUntil?: string; [field: string]: unknown };
  [field: string]: unknown;
}

export interface IssuerDisclosure {
  /** The issuer's record of the disclosure (as it answered). */
  disclosure: Record<string, unknown>;
  record: DisclosedRecord;
}

/** Asks the issuer's disclosure officer endpoint for the record behind a leaf index. */
export interface IssuerDisclosures {
  /** Resolves with the record, or rejects with an EscrowError (rule `issuer-disclosure`) naming the issuer's refusal. */
  disclose(query: IssuerDisclosureQuery): Promise<IssuerDisclosure>;
}

/** The request body of `POST /disclosures`. */
export function disclosureRequestBody(query: IssuerDisclosureQuery): unknown {
  return {
    request: { chainId: Number(query.request.chainId), log: query.request.log, id: query.request.id.toString() },
    sharedPoint: [query.sharedPoint[0].toString(), query.sharedPoint[1].toString()],
    leafIndex: String(query.leafIndex),
  };
}

/** Hosts plain http is allowed to: this machine (URL hostnames, so IPv6 in brackets). */
const LOOPBACK_HOSTS = new Set(['127.0.0.1', '[::1]', 'localhost']);

/**
 * issuer-service over HTTP: `POST <base>/disclosures` with the officer's API key. The base URL
 * must be https (rule `https`): the officer's key goes out with every request and a KYC record
 * comes back. Plain http is allowed only to a loopback host (127.0.0.1, ::1, localhost), for a
 * service on the same machine.
 */
export class HttpIssuerDisclosures implements IssuerDisclosures {
  constructor(
    private readonly baseUrl: string,
    private readonly officerKey: string,
    private readonly fetchImpl: typeof fetch = fetch,
    private readonly timeoutMs = 30_000,
  ) {
    let url: URL;
    try {
      url = new URL(baseUrl);
    } catch {
      throw new EscrowError('--issuer', 'url', 'must be an http(s) URL');
    }
    if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new EscrowError('--issuer', 'url', 'must be an http(s) URL');
    if (url.protocol === 'http:' && !LOOPBACK_HOSTS.has(url.hostname)) {
      throw new EscrowError(
        '--issuer',
        'https',
        `${baseUrl} is plain http to another host: the officer key and the disclosed record would cross the network unencrypted; use https (plain http only to 127.0.0.1, ::1 or localhost)`,
      );
    }
    if (!officerKey) throw new EscrowError('--officer-key-env', 'required', 'must name an environment variable holding the disclosure officer key');
  }

  async disclose(query: IssuerDisclosureQuery): Promise<IssuerDisclosure> {
    const url = this.baseUrl.replace(/\/+$/, '') + '/disclosures';
    const what = `request ${query.request.id}`;
    let response: Response;
    try {
      response = await this.fetchImpl(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-api-key': this.officerKey },
        body: JSON.stringify(disclosureRequestBody(query)),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (error) {
      throw new EscrowError('issuer', 'reachable', `${url} did not answer for ${what}: ${(error as Error)?.message ?? String(error)}`);
    }
    let body: unknown;
    try {
      body = await response.json();
    } catch {
      throw new EscrowError('issuer', 'issuer-disclosure', `${url} answered ${response.status} without JSON for ${what}`);
    }
    if (!response.ok) {
      const e = (body as { error?: { code?: unknown; field?: unknown; rule?: unknown; message?: unknown } })?.error;
      const detail = e ? [e.code, e.field && `field ${String(e.field)}`, e.rule && `rule ${String(e.rule)}`, e.message].filter(Boolean).map(String).join(', ') : JSON.stringify(body);
      throw new EscrowError('issuer', 'issuer-disclosure', `refused ${what} (HTTP ${response.status}: ${detail})`);
    }
    return parseIssuerDisclosure(body, what);
  }
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Checks the shape of a 200 answer: `record.person` is an object (null becomes `{}`); `attributes` and `credential` objects (else empty). */
export function parseIssuerDisclosure(body: unknown, what = 'the request'): IssuerDisclosure {
  const bad = (detail: string): never => {
    throw new EscrowError('issuer', 'issuer-disclosure', `answered ${what} with ${detail}`);
  };
  if (!isObject(body)) return bad('something other than a JSON object');
  const record = body.record;
  if (!isObject(record)) return bad('no record');
  if (record.person !== null && !isObject(record.person)) bad('a record whose person is neither an object nor null');
  const attributes = isObject(record.attributes) ? record.attributes : {};
  const credential = isObject(record.credential) ? record.credential : {};
  return {
    disclosure: isObject(body.disclosure) ? body.disclosure : {},
    record: { ...record, person: (record.person as Record<string, unknown> | null) ?? {}, attributes, credential },
  };
}
