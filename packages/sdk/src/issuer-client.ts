/**
 * A typed client for issuer-service's HTTP API (docs/issuer-service.md), over
 * the platform's fetch, so the same code runs in Node and in the browser wallet.
 */

export interface RequestedAttributes {
  jurisdiction: string;
  birthDate: string;
  investorClasses: string[];
  kycLevel?: number;
}

/** The person a reviewer verified from an identity document (issuer-service `person`). */
export interface VerifiedPerson {
  documentType: 'passport' | 'national-id' | 'driving-licence' | 'residence-permit';
  /** ISO 3166-1 alpha-2 of the issuing state. */
  issuingCountry: string;
  documentNumber: string;
  familyName: string;
  givenNames: string;
  /** YYYY-MM-DD, the credential's birth date. */
  birthDate: string;
}

export interface ApplicationView {
  id: string;
  did: string;
  status: 'pending' | 'approved' | 'rejected';
  credentialId?: string;
  decisions?: { action: string; reviewer: string; reason?: string | null; decidedAt: string }[];
}

export interface IssuedCredential {
  id: string;
  holderDid: string;
  vc: string;
  salt: string;
  leaf: string;
  leafIndex: number;
  treeId: string;
  issuerDid: string;
  status: string;
}

export interface CredentialPath {
  leafIndex: number;
  leaf: string;
  root: string;
  /** One entry per tree level (depth / 2, leaf level first): the 3 other children at that level, in position order, as decimal strings. */
  siblings: string[][];
  rootPublished: boolean;
}

/** An error the issuer returned: its HTTP status, machine code, and the field at fault if any. */
export class IssuerApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly field?: string,
  ) {
    super(`${code}${field ? ` (${field})` : ''}: ${message}`);
    this.name = 'IssuerApiError';
  }
}

/** The issuer could not be reached at all (down, wrong URL, network). */
export class IssuerUnreachableError extends Error {
  constructor(readonly url: string, cause: unknown) {
    super(`issuer unreachable at ${url}: ${cause instanceof Error ? cause.message : String(cause)}`);
    this.name = 'IssuerUnreachableError';
  }
}

export class IssuerClient {
  constructor(
    readonly baseUrl: string,
    private readonly auth: { accessToken?: string; reviewerKey?: string } = {},
  ) {}

  /** The same client, authenticated as the holder of one application. */
  withAccessToken(accessToken: string): IssuerClient {
    return new IssuerClient(this.baseUrl, { ...this.auth, accessToken });
  }

  /** The same client, authenticated as a reviewer. */
  asReviewer(reviewerKey: string): IssuerClient {
    return new IssuerClient(this.baseUrl, { ...this.auth, reviewerKey });
  }

  health(): Promise<{ status: string; issuerDid?: string }> {
    return this.request('GET', '/health');
  }

  createChallenge(did: string): Promise<{ nonce: string; expiresAt: string }> {
    return this.request('POST', '/challenges', { did });
  }

  apply(body: { did: string; challenge: string; signature: string; identityCommitment: string; attributes: RequestedAttributes }): Promise<{
    id: string;
    status: ApplicationView['status'];
    accessToken: string;
    credentialId?: string;
  }> {
    return this.request('POST', '/applications', body);
  }

  /**
   * A new access token for a holder who lost its own: `signature` is a challenge JWT signed with the
   * DID key whose payload also carries `purpose: "access-token-recovery"`. The previous token stops
   * working. Without `applicationId`, the DID's newest pending or approved application.
   */
  recoverAccessToken(body: { did: string; challenge: string; signature: string; applicationId?: string }): Promise<{
    id: string;
    status: 'pending' | 'approved';
    accessToken: string;
    credentialId?: string;
  }> {
    return this.request('POST', '/access-tokens', body);
  }

  application(id: string): Promise<ApplicationView> {
    return this.request('GET', `/applications/${id}`);
  }

  credential(id: string): Promise<IssuedCredential> {
    return this.request('GET', `/credentials/${id}`);
  }

  /**
   * An OpenID4VCI credential offer for the holder's approved application (issuer-service with
   * ISSUER_PUBLIC_URL, or in dev mode): the `openid-credential-offer://` URI for a wallet and the
   * transaction code it asks for, shown once. A new offer voids the previous one.
   */
  credentialOffer(applicationId: string): Promise<{ credentialOfferUri: string; credentialOffer: Record<string, unknown>; txCode: string; expiresAt: string }> {
    return this.request('POST', `/applications/${applicationId}/credential-offer`);
  }

  credentialPath(id: string): Promise<CredentialPath> {
    return this.request('GET', `/credentials/${id}/proof`);
  }

  credentialStatus(id: string): Promise<{ id: string; status: 'active' | 'revoked' | 'expired'; revokedAt: string | null }> {
    return this.request('GET', `/credentials/${id}/status`);
  }

  pendingApplications(): Promise<{ items: ApplicationView[] }> {
    return this.request('GET', '/applications?status=pending');
  }

  /** `person`: the identity the reviewer verified from the document (required outside dev mode). */
  approve(id: string, body: { expiryDate: string; attributes?: Partial<RequestedAttributes>; person?: VerifiedPerson; replaces?: string }): Promise<ApplicationView> {
    return this.request('POST', `/applications/${id}/approve`, body);
  }

  reject(id: string, reason: string): Promise<ApplicationView> {
    return this.request('POST', `/applications/${id}/reject`, { reason });
  }

  revoke(credentialId: string, reason: string): Promise<unknown> {
    return this.request('POST', `/credentials/${credentialId}/revoke`, { reason });
  }

  publishRoot(): Promise<unknown> {
    return this.request('POST', '/tree/publish', {});
  }

  private async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    const headers: Record<string, string> = {};
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (this.auth.accessToken) headers.authorization = `Bearer ${this.auth.accessToken}`;
    if (this.auth.reviewerKey) headers['x-api-key'] = this.auth.reviewerKey;
    let response: Response;
    try {
      response = await fetch(new URL(path, this.baseUrl), { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    } catch (cause) {
      throw new IssuerUnreachableError(this.baseUrl, cause);
    }
    const text = await response.text();
    const json = text ? JSON.parse(text) : undefined;
    if (!response.ok) {
      const e = json?.error ?? {};
      throw new IssuerApiError(response.status, e.code ?? `http_${response.status}`, e.message ?? response.statusText, e.field);
    }
    return json as T;
  }
}
