import type { IssuerServiceConfig } from '../config.js';
import type { RootPublisher } from '../publisher.js';
import type { ApplicationService } from '../services/applications.js';
import type { Clock } from '../services/clock.js';
import type { IssuanceService } from '../services/issuance.js';
import type { DisclosureService } from '../services/disclosures.js';
import type { ScreeningService } from '../services/screening.js';
import type { MerkleTree } from '../services/issuer-tree.js';
import type { ReviewerDirectory } from '../services/reviewer-auth.js';
import type { ApplicationRecord, IssuerStore } from '../store/issuer-store.js';
import { ApiError } from '../api-error.js';
import { bearerToken, tokenMatches } from '../services/holder-auth.js';
import { requireRole } from '../services/reviewer-auth.js';

/** What the route modules share: they translate HTTP to these services and back, nothing more. */
export interface RouteContext {
  config: IssuerServiceConfig;
  store: IssuerStore;
  tree: MerkleTree;
  clock: Clock;
  issuerDid: string;
  /** Served at /.well-known/did.json when the issuer runs as did:web. */
  didDocument: Record<string, unknown> | null;
  applications: ApplicationService;
  issuance: IssuanceService;
  reviewers: ReviewerDirectory;
  publisher: RootPublisher | null;
  /** Disclosure of identity records to the disclosure officer (routes/disclosure-routes.ts). */
  disclosures: DisclosureService;
  /** Ongoing sanctions screening: persons out, matches in, reviewer decisions (routes/screening-routes.ts). */
  screening: ScreeningService;
}

/**
 * Lets the holder (bearer token from its application) or a reviewer key with the reviewer, approver
 * or admin role (403 `missing_role` otherwise) read an application's results. Unknown ids and wrong
 * tokens both answer 404, so ids cannot be probed; wrong reviewer keys count against `clientAddress`
 * (services/reviewer-auth.ts).
 */
export function authorizeApplicationReader(
  ctx: RouteContext,
  app: ApplicationRecord | null,
  headers: { authorization?: string; 'x-api-key'?: string | string[] },
  clientAddress?: string,
): ApplicationRecord {
  if (headers['x-api-key'] !== undefined) {
    // A reviewer key reads applications only with a role that does (as GET /applications).
    requireRole(ctx.reviewers.authenticate(headers['x-api-key'], clientAddress), 'reviewer', 'approver', 'admin');
    if (!app) throw new ApiError(404, 'not_found', 'application not found', 'id');
    return app;
  }
  if (headers.authorization === undefined) {
    throw new ApiError(401, 'missing_token', 'send the access token from the application as Authorization: Bearer <token>', 'authorization');
  }
  if (!app || !tokenMatches(bearerToken(headers.authorization), app.accessTokenHash)) {
    throw new ApiError(404, 'not_found', 'no such resource for this token', 'id');
  }
  return app;
}
