import { dateToInt, todayInt } from '@zkkyc/credentials';
import type { ApplicationRecord, CredentialRecord } from '../store/issuer-store.js';
import type { RouteContext } from './route-context.js';
import { iso } from './schemas.js';

/** A credential's state as `GET /credentials/:id/status` words it: an active one past its expiry date is expired. */
export function credentialState(ctx: RouteContext, c: CredentialRecord): 'active' | 'revoked' | 'expired' {
  return c.status === 'active' && dateToInt(c.expiryDate) < todayInt(new Date(ctx.clock.now())) ? 'expired' : c.status;
}

/** The decisions and credential (id, state, expiry) for an application, in the shape of `applicationView`. */
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
    ...(credential ? { credentialId: credential.id, credentialStatus: credentialState(ctx, credential), credentialExpiryDate: credential.expiryDate } : {}),
    decisions: decisions.map((d) => ({ action: d.action, reviewer: d.reviewer, reason: d.reason, decidedAt: iso(d.decidedAt) })),
  };
}
