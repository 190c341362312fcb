import type { ApplicationRecord } from '../store/issuer-store.js';
import type { RouteContext } from './route-context.js';
import { iso } from './schemas.js';

/** The decisions and credential id for an application, in the shape of `applicationView`. */
export async function viewApplication(ctx: RouteContext, app: ApplicationRecord): Promise<Record<string, unknown>> {
  const credential = await ctx.store.getCredentialForApplication(app.id);
  const decisions = await ctx.store.listDecisions('application', app.id);
  return {
    id: app.id,
    did: app.holderDid,
    status: app.status,
    identityCommitment: app.identityCommitment,
    attributes: app.attributes,
    createdAt: iso(app.createdAt),
    updatedAt: iso(app.updatedAt),
    ...(credential ? { credentialId: credential.id } : {}),
    decisions: decisions.map((d) => ({ action: d.action, reviewer: d.reviewer, reason: d.reason, decidedAt: iso(d.decidedAt) })),
  };
}

