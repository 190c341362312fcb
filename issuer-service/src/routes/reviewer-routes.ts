import type { FastifyInstance, FastifyRequest } from 'fastify';
import { ApiError } from '../api-error.js';
import { DEFAULT_REVIEWER_RATE_LIMIT, REVIEWER_ROLES } from '../config.js';
import { changedAttributeNames } from '../services/issuance.js';
import { DOCUMENT_TYPES, type VerifiedPerson } from '../services/person-binding.js';
import { requireRole, type AuthenticatedReviewer } from '../services/reviewer-auth.js';
import type { ApplicationStatus, ProposalRecord, RequestedAttributes } from '../store/issuer-store.js';
import { iso, errorResponses, finalAttributesSchema, idParams, paging, pagingQuery, reasonBody, reasonSchema, applicationView } from './schemas.js';
import type { RouteContext } from './route-context.js';
import { viewApplication } from './application-view.js';

const reviewerOnly = [{ reviewerKey: [] }];

/** The verified document identity: stored only as a keyed hash (services/person-binding.ts). */
const personSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['documentType', 'issuingCountry', 'documentNumber', 'familyName', 'givenNames', 'birthDate'],
  description:
    'The person the reviewer verified from the identity document. Binds the credential: one active credential per person, keyed by the document (type, issuing country, number) and the birth date — names are checked but not part of the key. Approving a new credential for a person who holds one must name it (`replaces`). No control or format (invisible) characters. Never stored in plain form.',
  properties: {
    documentType: { type: 'string', enum: [...DOCUMENT_TYPES] },
    issuingCountry: { type: 'string', minLength: 2, maxLength: 2, description: 'ISO 3166-1 alpha-2 of the issuing state' },
    documentNumber: { type: 'string', minLength: 1, maxLength: 64, description: 'as printed; case, spaces, dashes, dots and slashes are ignored' },
    familyName: { type: 'string', minLength: 1, maxLength: 200, description: 'as printed; checked, not part of the person key' },
    givenNames: { type: 'string', maxLength: 200, description: 'may be empty; not part of the person key' },
    birthDate: { type: 'string', maxLength: 10, description: 'YYYY-MM-DD; must equal the credential birth date' },
  },
} as const;

const attributesView = {
  type: 'object',
  properties: {
    jurisdiction: { type: 'string' },
    birthDate: { type: 'string' },
    investorClasses: { type: 'array', items: { type: 'string' } },
    kycLevel: { type: 'integer' },
  },
} as const;

const proposalView = {
  type: 'object',
  properties: {
    id: { type: 'integer', description: 'the proposal id an approval names as `proposalId`' },
    applicationId: { type: 'string' },
    reviewer: { type: 'string' },
    attributes: attributesView,
    changedAttributes: { type: 'array', items: { type: 'string' }, description: 'the declared values (jurisdiction, birthDate, investorClasses) the proposal changes; the KYC level is never one' },
    changesAttributes: { type: 'boolean', description: 'true when the approval needs a different key (four-eyes)' },
    reason: { type: ['string', 'null'] },
    proposedAt: { type: 'string', format: 'date-time' },
    replacesCredentialId: {
      type: ['string', 'null'],
      description: "the verified person's active credential, which approving this proposal replaces (revokes): the approval must name it in `replaces` and needs the revoker role too",
    },
  },
} as const;

const auditEventView = {
  type: 'object',
  properties: {
    id: { type: 'integer' },
    at: { type: 'string', format: 'date-time' },
    actor: { type: 'string', description: 'reviewer name' },
    role: { type: 'string', description: 'the role the decision was taken under' },
    action: {
      type: 'string',
      enum: [
        'propose',
        'approve',
        'reject',
        'revoke',
        'replace',
        'publish',
        'disclose',
        'purge-identity-record',
        'screening-export',
        'screening-match',
        'screening-confirm',
        'screening-dismiss',
        'screening-moot',
        'oid4vci-offer',
        'oid4vci-offer-void',
        'oid4vci-deliver',
        'bulk-import',
      ],
    },
    subjectType: { type: 'string', enum: ['application', 'credential', 'tree', 'screening-match', 'import'] },
    subjectId: { type: ['string', 'null'] },
    detail: { type: 'object', additionalProperties: true },
  },
} as const;

/**
 * Reviewer routes (`x-api-key`), each checking the role it needs (403 `missing_role` naming it):
 * list (reviewer/approver/admin), propose (reviewer), approve (approver), reject (reviewer/approver),
 * revoke (revoker), publish (publisher), audit trail (admin). Rate-limited per key. Decisions record
 * the reviewer's name and role.
 */
export async function reviewerRoutes(app: FastifyInstance, ctx: RouteContext): Promise<void> {
  // Authenticate before the body is even parsed: an unauthenticated caller gets 401/403, never a
  // validation error that would tell it about the route's schema.
  const reviewers = new WeakMap<FastifyRequest, AuthenticatedReviewer>();
  app.addHook('onRequest', async (req) => {
    // Failed keys are counted per client address (429 over REVIEWER_AUTH_FAILURE_LIMIT a minute).
    reviewers.set(req, ctx.reviewers.authenticate(req.headers['x-api-key'], req.ip));
  });
  const reviewer = (req: FastifyRequest): AuthenticatedReviewer => reviewers.get(req) as AuthenticatedReviewer;
  // Per key (the hook above has run by then), so one reviewer's script cannot starve the others.
  const rateLimit = {
    max: ctx.config.reviewerRateLimitPerMinute ?? DEFAULT_REVIEWER_RATE_LIMIT,
    timeWindow: '1 minute',
    keyGenerator: (req: FastifyRequest) => `reviewer:${reviewers.get(req)?.name ?? req.ip}`,
  };
  const config = { rateLimit };

  app.get(
    '/reviewers/me',
    {
      config,
      schema: {
        tags: ['reviewer'],
        summary: "The calling key's reviewer name and roles",
        security: reviewerOnly,
        response: {
          200: { type: 'object', properties: { name: { type: 'string' }, roles: { type: 'array', items: { type: 'string', enum: [...REVIEWER_ROLES] } } } },
          ...errorResponses,
        },
      },
    },
    async (req) => ({ name: reviewer(req).name, roles: [...reviewer(req).roles] }),
  );

  app.get<{ Querystring: { status?: ApplicationStatus; offset?: string; limit?: string } }>(
    '/applications',
    {
      config,
      schema: {
        tags: ['reviewer'],
        summary: 'List applications, oldest first (role reviewer, approver or admin)',
        description:
          'Each pending item carries its newest proposal, if any, for the approver to check: its `id` (what the approval names as `proposalId`) and `replacesCredentialId` (the active credential approving it would replace).',
        security: reviewerOnly,
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: { status: { type: 'string', enum: ['pending', 'approved', 'rejected'] }, ...pagingQuery },
        },
        response: {
          200: {
            type: 'object',
            properties: { items: { type: 'array', items: { ...applicationView, properties: { ...applicationView.properties, proposal: { ...proposalView, type: ['object', 'null'] } } } } },
          },
          ...errorResponses,
        },
      },
    },
    async (req) => {
      requireRole(reviewer(req), 'reviewer', 'approver', 'admin');
      const list = await ctx.store.listApplications({ status: req.query.status, ...paging(req.query) });
      return {
        items: await Promise.all(
          list.map(async (a) => {
            const proposal = a.status === 'pending' ? await ctx.store.latestProposal(a.id) : null;
            return { ...(await viewApplication(ctx, a)), proposal: proposal && (await viewProposal(ctx, proposal, a.attributes)) };
          }),
        ),
      };
    },
  );

  app.get<{ Params: { id: string } }>(
    '/applications/:id/proposal',
    {
      config,
      schema: {
        tags: ['reviewer'],
        summary: "An application's latest proposal, for the approver to review (role reviewer, approver or admin)",
        description: 'What `GET /applications` shows for a pending item, for any application; 404 `not_found` (`field: proposal`) when it has none.',
        security: reviewerOnly,
        params: idParams,
        response: { 200: proposalView, ...errorResponses },
      },
    },
    async (req) => {
      requireRole(reviewer(req), 'reviewer', 'approver', 'admin');
      const application = await ctx.store.getApplication(req.params.id);
      if (!application) throw new ApiError(404, 'not_found', 'application not found', 'id');
      const proposal = await ctx.store.latestProposal(application.id);
      if (!proposal) throw new ApiError(404, 'not_found', 'this application has no proposal', 'proposal');
      return viewProposal(ctx, proposal, application.attributes);
    },
  );

  app.post<{ Params: { id: string }; Body: { attributes?: Partial<RequestedAttributes>; person: VerifiedPerson; reason?: string } }>(
    '/applications/:id/proposal',
    {
      config,
      schema: {
        tags: ['reviewer'],
        summary: 'Propose the verified values: the person and the final attributes (role reviewer; four-eyes step one)',
        description:
          'Records what the reviewer verified: the person, the KYC level (`attributes.kycLevel`, required: 422 `kyc_level_unset` otherwise) and any declared value the documents contradict. Declared values that differ from the application can only be issued this way, and only by a different key with the approver role; setting the level alone is not a change. A newer proposal replaces an older one.',
        security: reviewerOnly,
        params: idParams,
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['person'],
          properties: { attributes: finalAttributesSchema, person: personSchema, reason: reasonSchema },
        },
        response: { 201: proposalView, ...errorResponses },
      },
    },
    async (req, reply) => {
      const actor = requireRole(reviewer(req), 'reviewer');
      const { proposal } = await ctx.issuance.propose(req.params.id, req.body, actor);
      const application = (await ctx.store.getApplication(req.params.id))!;
      return reply.code(201).send(await viewProposal(ctx, proposal, application.attributes));
    },
  );

  app.post<{ Params: { id: string }; Body: { attributes?: Partial<RequestedAttributes>; expiryDate: string; person?: VerifiedPerson; proposalId?: number; replaces?: string } }>(
    '/applications/:id/approve',
    {
      config,
      schema: {
        tags: ['reviewer'],
        summary: 'Approve: sign the VC with the final values and append its leaf (role approver)',
        description:
          "With a proposal: `proposalId` must name the latest one (409 `proposal_unconfirmed` / `proposal_changed` otherwise), and its person and attributes are issued (a different key must approve if they change the application's declared values). " +
          "Without one: `person` and `attributes.kycLevel` are required (the level is the reviewer's finding: 422 `kyc_level_unset`, rule reviewer-sets, otherwise; an applicant's requested level is never issued), and the declared values must be the applicant's (409 `proposal_required` otherwise). " +
          'The expiry is bounded by MAX_CREDENTIAL_LIFETIME_DAYS. When the person holds an active credential, the approval must name it in `replaces` (409 `replacement_unconfirmed`) and the key must also hold the revoker role (403 `missing_role`); it is revoked in the same transaction (`replacedCredentialId`).',
        security: reviewerOnly,
        params: idParams,
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['expiryDate'],
          properties: {
            attributes: finalAttributesSchema,
            expiryDate: { type: 'string', maxLength: 10, description: 'YYYY-MM-DD, after today, at most MAX_CREDENTIAL_LIFETIME_DAYS ahead' },
            person: personSchema,
            proposalId: { type: 'integer', minimum: 1, description: 'the proposal the approver reviewed (its `id`); required when the application has one, and it must be the latest' },
            replaces: {
              type: 'string',
              format: 'uuid',
              description: "the person's active credential this approval replaces (revokes); required when there is one (see the proposal's `replacesCredentialId`)",
            },
          },
        },
        response: {
          201: {
            type: 'object',
            properties: {
              ...applicationView.properties,
              leafIndex: { type: 'integer' },
              leaf: { type: 'string' },
              replacedCredentialId: { type: 'string', description: "the same person's previous credential, revoked by this approval" },
            },
          },
          ...errorResponses,
        },
      },
    },
    async (req, reply) => {
      const actor = requireRole(reviewer(req), 'approver');
      const { credential, replaced } = await ctx.issuance.approve(req.params.id, req.body, actor);
      const view = await viewApplication(ctx, (await ctx.store.getApplication(req.params.id))!);
      return reply.code(201).send({ ...view, leafIndex: credential.leafIndex, leaf: credential.leaf, ...(replaced ? { replacedCredentialId: replaced.id } : {}) });
    },
  );

  app.post<{ Params: { id: string }; Body: { reason: string } }>(
    '/applications/:id/reject',
    {
      config,
      schema: {
        tags: ['reviewer'],
        summary: 'Reject a pending application (role reviewer or approver)',
        security: reviewerOnly,
        params: idParams,
        body: reasonBody,
        response: { 200: applicationView, ...errorResponses },
      },
    },
    async (req) => {
      const actor = requireRole(reviewer(req), 'reviewer', 'approver');
      await ctx.issuance.reject(req.params.id, req.body.reason, actor);
      return viewApplication(ctx, (await ctx.store.getApplication(req.params.id))!);
    },
  );

  app.post<{ Params: { id: string }; Body: { reason: string } }>(
    '/credentials/:id/revoke',
    {
      config,
      schema: {
        tags: ['reviewer'],
        summary: 'Revoke: zero the leaf (the next published root drops it) (role revoker)',
        security: reviewerOnly,
        params: idParams,
        body: reasonBody,
        response: {
          200: {
            type: 'object',
            properties: { id: { type: 'string' }, status: { type: 'string' }, revokedAt: { type: 'string' }, root: { type: 'string' } },
          },
          ...errorResponses,
        },
      },
    },
    async (req) => {
      const actor = requireRole(reviewer(req), 'revoker');
      const c = await ctx.issuance.revoke(req.params.id, req.body.reason, actor);
      return { id: c.id, status: c.status, revokedAt: iso(c.revokedAt as number), root: (await ctx.tree.current()).root.toString() };
    },
  );

  app.post(
    '/tree/publish',
    {
      config,
      schema: {
        tags: ['reviewer'],
        summary: 'Publish the current root now (role publisher; normally the publisher does it on its interval)',
        security: reviewerOnly,
        response: {
          200: {
            type: 'object',
            properties: {
              status: { type: 'string' },
              root: { type: 'string' },
              leafCount: { type: 'integer' },
              txHash: { type: 'string' },
              // With several chains: what each did (publisher.ts ChainOutcome). 409 not_publisher on an instance that is not the elected publisher.
              chains: {
                type: 'array',
                items: { type: 'object', properties: { chain: { type: 'string' }, status: { type: 'string' }, txHash: { type: 'string' }, error: { type: 'string' } } },
              },
            },
          },
          ...errorResponses,
        },
      },
    },
    async (req, reply) => {
      const actor = requireRole(reviewer(req), 'publisher');
      if (!ctx.publisher) {
        return reply.code(503).send({ error: { code: 'no_anchor', message: 'this service runs without a root anchor' } });
      }
      // The publisher writes the audit event with the publication record (publisher.ts).
      const outcome = await ctx.publisher.publishNow(actor);
      return { ...outcome, root: outcome.root.toString() };
    },
  );

  app.get<{ Querystring: { offset?: string; limit?: string; subjectId?: string } }>(
    '/audit',
    {
      config,
      schema: {
        tags: ['reviewer'],
        summary: 'The audit trail, oldest first: every decision with who, the role, and what (role admin)',
        security: reviewerOnly,
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            ...pagingQuery,
            // It reaches SQL: ids only (NUL, which Postgres text cannot hold, answered 500 there).
            subjectId: { type: 'string', maxLength: 64, pattern: '^[A-Za-z0-9-]{1,64}$', description: 'only events about this application or credential id' },
          },
        },
        response: { 200: { type: 'object', properties: { items: { type: 'array', items: auditEventView } } }, ...errorResponses },
      },
    },
    async (req) => {
      requireRole(reviewer(req), 'admin');
      const events = await ctx.store.listAuditEvents({ ...paging(req.query), subjectId: req.query.subjectId });
      return { items: events.map((e) => ({ ...e, at: iso(e.at) })) };
    },
  );
}

/** A proposal as reviewers see it: what it changes, and the active credential approving it would replace. */
async function viewProposal(ctx: RouteContext, p: ProposalRecord, applied: RequestedAttributes) {
  const changedAttributes = changedAttributeNames(applied, p.attributes);
  const replaces = await ctx.store.getActiveCredentialForPerson(p.personKey);
  return {
    id: p.id,
    applicationId: p.applicationId,
    reviewer: p.reviewer,
    attributes: p.attributes,
    changedAttributes,
    changesAttributes: changedAttributes.length > 0,
    reason: p.reason,
    proposedAt: iso(p.proposedAt),
    replacesCredentialId: replaces?.id ?? null,
  };
}
