/**
 * A typed client for issuer-service's HTTP API (docs/issuer-service.md), over
 * the platform's fetch, so the same code runs in Node and in the browser wallet.
 */
import { chunkIndexOf, decodeChunk, decodeTop, DEFAULT_CHUNK_LEVELS, leafFromChunks, TreeError, type ChunkedLeaf } from '@zkkyc/tree';

export interface RequestedAttributes {
  jurisdiction: string;
  birthDate: string;
  investorClasses: string[];
  /**
   * @deprecated in an application: the KYC level is the reviewer's finding, not the applicant's
   * declaration. An applicant's level is still accepted (older clients), kept as a request and
   * never issued; leave it out. In a reviewer's proposal or approval (`attributes`) it is the
   * finding itself, and required unless the approval follows a proposal.
   */
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

/** A reviewer's record of what they verified (`POST /applications/:id/proposal`). */
export interface ProposalView {
  id: number;
  applicationId: string;
  reviewer: string;
  attributes: RequestedAttributes;
  changedAttributes: string[];
  /** True when the approval needs a different key (four-eyes). */
  changesAttributes: boolean;
  reason: string | null;
  proposedAt: string;
  replacesCredentialId: string | null;
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
  constructor(
    readonly url: string,
    cause: unknown,
  ) {
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

  /**
   * Records what the reviewer verified (the person from the document, and the attributes the
   * applicant cannot declare, such as the KYC level). Values that differ from the application need
   * a different key with the approver role to approve, naming the returned `id` as `proposalId`.
   */
  propose(id: string, body: { person: VerifiedPerson; attributes?: Partial<RequestedAttributes>; reason?: string }): Promise<ProposalView> {
    return this.request('POST', `/applications/${id}/proposal`, body);
  }

  /**
   * `person`: the identity the reviewer verified from the document (required outside dev mode
   * unless `proposalId` names a proposal, whose values are then the ones approved).
   */
  approve(id: string, body: { expiryDate: string; attributes?: Partial<RequestedAttributes>; person?: VerifiedPerson; proposalId?: number; replaces?: string }): Promise<ApplicationView> {
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

  /** Which published roots have tree files, newest first, and the chunk size (`GET /tree/chunks`). */
  treeChunkIndex(): Promise<TreeChunkIndex> {
    return this.request('GET', '/tree/chunks');
  }

  /**
   * A tree file's bytes (`/tree/<root>/top.bin`, `/tree/<root>/chunk/<n>.bin`), public and
   * unauthenticated: no token is sent, so the request says nothing about who asks.
   */
  async treeFile(path: string, maxBytes = MAX_TREE_FILE_BYTES): Promise<Uint8Array> {
    let response: Response;
    try {
      // Relative to the base's own path, so a mirror under https://cdn.example/zkkyc/ keeps its prefix.
      response = await fetch(new URL(path.replace(/^\//, ''), this.baseUrl.endsWith('/') ? this.baseUrl : `${this.baseUrl}/`));
    } catch (cause) {
      throw new IssuerUnreachableError(this.baseUrl, cause);
    }
    if (!response.ok) {
      const e = (await response.json().catch(() => undefined))?.error ?? {};
      throw new IssuerApiError(response.status, e.code ?? `http_${response.status}`, e.message ?? response.statusText, e.field);
    }
    return readCapped(response, maxBytes, path);
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

/**
 * The largest tree file a holder downloads: a full chunk or top at the pinned chunk size is 2.67 MiB
 * (docs/protocol.md, "Tree files"). A hostile server's endless or huge body is cut off here, not in
 * the browser's memory.
 */
export const MAX_TREE_FILE_BYTES = 4 * 1024 * 1024;

/** A response body, refused once it passes `maxBytes` (whatever Content-Length claims). */
async function readCapped(response: Response, maxBytes: number, what: string): Promise<Uint8Array> {
  const declared = Number(response.headers.get('content-length') ?? NaN);
  const tooBig = () => new TreeError('file', 'size', `${what} is larger than ${maxBytes} bytes: not a tree file of the pinned shape`);
  if (declared > maxBytes) throw tooBig();
  if (!response.body) return new Uint8Array(await response.arrayBuffer());
  const reader = response.body.getReader();
  const parts: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.length;
    if (total > maxBytes) {
      await reader.cancel();
      throw tooBig();
    }
    parts.push(value);
  }
  const bytes = new Uint8Array(total);
  let at = 0;
  for (const part of parts) {
    bytes.set(part, at);
    at += part.length;
  }
  return bytes;
}

/** `GET /tree/chunks`: the roots whose tree files are served, newest first. */
export interface TreeChunkIndex {
  depth: number;
  chunkLevels: number;
  /** Leaves per chunk: a holder's download reveals only which range of this many leaves it is in. */
  chunkLeaves: number;
  roots: { root: string; leafCount: number; chunks: number; top: string }[];
}

/** A leaf read from tree files, verified against the root. */
export interface TreeLeafRead {
  /** The leaf and its path at `proof.root`; `proof.leaf` is 0 when the credential is revoked. */
  proof: ChunkedLeaf;
  revoked: boolean;
  /** The chunk downloaded, and the bytes of both files (what the holder's download cost). */
  chunk: number;
  bytes: number;
}

/**
 * Reads leaf `leafIndex` and its Merkle path from the issuer's tree files (docs/issuer-service.md,
 * "Tree chunks"), without asking for it: it downloads the top and the one chunk of
 * `4^chunkLevels` leaves holding it, and checks that everything used hashes to `root`.
 *
 * `root` should be the one read on chain (`IssuerRegistry.issuer(treeId).currentRoot`): then neither
 * the issuer nor a mirror can make a wrong path or a wrong revocation status pass. Without it, the
 * issuer's newest published root (`GET /tree/chunks`) is used, which a lying issuer could choose.
 * `files` is where the files are fetched from (a mirror or CDN; the issuer by default).
 *
 * The chunk size is a protocol constant (`chunkLevels`, default {@link DEFAULT_CHUNK_LEVELS}), never
 * taken from the files: a top file claiming smaller chunks would make the chunk request itself name
 * the leaf. A top or chunk of another shape is refused (`top` / `chunk-levels`), and so is a file
 * larger than the pinned shape allows (`file` / `size`).
 *
 * Returns null only when the issuer says it serves no tree files at all (`GET /tree/chunks` answers
 * `route_not_found`: an issuer-service from before them), so the caller may decide to ask for the
 * path instead — a request that names the credential. A missing file (404) on an issuer or mirror
 * that serves tree files is an error, never a reason to ask the issuer. Throws an IssuerApiError
 * `root_not_served` when it serves files but not for `root` (after a restart, until its next
 * publication), and a TreeError when a file does not hash to the root (`chunk` / `matches-top`,
 * `top` / `hashes-to-root`) or the leaf came after the root (`leafIndex` / `in-tree`).
 */
export async function readTreeLeaf(issuer: IssuerClient, args: { leafIndex: number; root?: bigint; files?: IssuerClient; chunkLevels?: number }): Promise<TreeLeafRead | null> {
  if (!Number.isInteger(args.leafIndex) || args.leafIndex < 0) throw new TreeError('leafIndex', 'non-negative-integer', `${String(args.leafIndex)} is not a leaf index`);
  // Without the holder's token or reviewer key: these requests must not say who asks.
  const anonymous = new IssuerClient(issuer.baseUrl);
  const files = args.files ?? anonymous;
  const chunkLevels = args.chunkLevels ?? DEFAULT_CHUNK_LEVELS;
  let root = args.root;
  try {
    const index = await anonymous.treeChunkIndex();
    if (index.chunkLevels !== chunkLevels) {
      throw new TreeError(
        'chunkLevels',
        'pinned',
        `the issuer cuts its tree files at ${index.chunkLevels} levels, not the ${chunkLevels} this holder downloads (smaller chunks would say which leaf it wants)`,
      );
    }
    if (root === undefined) {
      if (index.roots.length === 0) throw new IssuerApiError(404, 'root_not_served', 'the issuer has published no root yet', 'root');
      root = BigInt(index.roots[0].root);
    }
  } catch (err) {
    // Only the issuer itself saying it has no tree files at all allows asking it instead.
    if (err instanceof IssuerApiError && err.status === 404 && err.code === 'route_not_found') return null;
    throw err;
  }
  // The chunk is fixed by the leaf and the pinned size before anything is downloaded.
  const chunk = chunkIndexOf(args.leafIndex, chunkLevels);
  const topBytes = await files.treeFile(`/tree/${root}/top.bin`);
  const top = decodeTop(topBytes);
  if (top.chunkLevels !== chunkLevels) throw new TreeError('top', 'chunk-levels', `the top file is cut at ${top.chunkLevels} levels, not ${chunkLevels}`);
  // Checked before asking for the chunk: a leaf issued after this root is in no chunk of it.
  if (args.leafIndex >= top.leafCount) {
    throw new TreeError('leafIndex', 'in-tree', `the tree at root ${root} holds ${top.leafCount} leaves; leaf ${args.leafIndex} came later (wait for the next publication)`);
  }
  const chunkBytes = await files.treeFile(`/tree/${root}/chunk/${chunk}.bin`);
  const decoded = decodeChunk(chunkBytes);
  if (decoded.chunkLevels !== chunkLevels) throw new TreeError('chunk', 'chunk-levels', `the chunk file is cut at ${decoded.chunkLevels} levels, not ${chunkLevels}`);
  const proof = leafFromChunks({ root, leafIndex: args.leafIndex, top, chunk: decoded });
  return { proof, revoked: proof.leaf === 0n, chunk, bytes: topBytes.length + chunkBytes.length };
}
