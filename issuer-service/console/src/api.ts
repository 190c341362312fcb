import { problemInWords } from './plain-words.js';

/** The issuer's error body: `{ error: { code, message, field?, rule? } }`. */
export interface ApiProblem {
  code: string;
  message: string;
  field?: string;
  rule?: string;
}

/** A refused request: the issuer's reason, and a sentence a reviewer can act on (`message`). */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly problem: ApiProblem,
  ) {
    super(problemInWords(status, problem));
    this.name = 'ApiError';
  }
}

/**
 * Talks to the issuer service that served the page (same origin) with the reviewer's key in
 * `x-api-key`. The key lives in this page's memory only: not in a cookie (no other site can make
 * the browser send it) and not in Web Storage, which any page of the origin could read (/docs
 * included) and which browsers restore with a reopened tab (review finding L4). A reload asks again.
 */
export class IssuerApi {
  key: string | null = null;

  get<T>(path: string): Promise<T> {
    return this.call<T>('GET', path);
  }

  post<T>(path: string, body: unknown = {}): Promise<T> {
    return this.call<T>('POST', path, body);
  }

  private async call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const headers: Record<string, string> = { 'x-api-key': this.key ?? '' };
    if (body !== undefined) headers['content-type'] = 'application/json';
    let res: Response;
    try {
      res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), referrerPolicy: 'no-referrer', credentials: 'omit' });
    } catch {
      throw new ApiError(0, { code: 'unreachable', message: 'the issuer service did not answer' });
    }
    if (res.ok) return (await res.json()) as T;
    let problem: ApiProblem = { code: `http_${res.status}`, message: res.statusText || `HTTP ${res.status}` };
    try {
      const parsed = (await res.json()) as { error?: ApiProblem };
      if (parsed.error) problem = parsed.error;
    } catch {
      // Not the issuer's JSON (a proxy's page): keep the status.
    }
    throw new ApiError(res.status, problem);
  }
}

/** The calling key as `GET /reviewers/me` answers it. */
export interface Reviewer {
  name: string;
  roles: string[];
}

export interface Attributes {
  jurisdiction: string;
  birthDate: string;
  investorClasses: string[];
  kycLevel?: number;
}

export interface Proposal {
  id: number;
  applicationId: string;
  reviewer: string;
  attributes: Attributes;
  changedAttributes: string[];
  changesAttributes: boolean;
  reason: string | null;
  proposedAt: string;
  replacesCredentialId: string | null;
}

export interface Application {
  id: string;
  did: string;
  status: 'pending' | 'approved' | 'rejected';
  identityCommitment: string;
  attributes: Attributes;
  createdAt: string;
  updatedAt: string;
  credentialId?: string;
  credentialStatus?: 'active' | 'revoked' | 'expired';
  credentialExpiryDate?: string;
  decisions: Array<{ action: string; reviewer: string; reason: string | null; decidedAt: string }>;
  proposal?: Proposal | null;
}

export interface AuditEvent {
  id: number;
  at: string;
  actor: string;
  role: string;
  action: string;
  subjectType: string;
  subjectId: string | null;
  detail: Record<string, unknown>;
}

export interface ScreeningMatch {
  id: number;
  credentialId: string;
  source: string;
  entryName: string;
  matchedName: string;
  score: number;
  status: string;
}
