import type { FastifyInstance } from 'fastify';
import { KYC_CREDENTIAL_SCHEMA_V2, KYC_DISCLOSABLE_CLAIMS } from '@zkkyc/credentials';
import { ApiError, notFound } from '../api-error.js';
import type { StatusListService } from '../services/status-list.js';
import { authorizeApplicationReader, type RouteContext } from './route-context.js';
import { errorResponses, idParams } from './schemas.js';

/** How long a client (or a cache between) may reuse a status list before asking again: short, revocations must show. */
export const STATUS_LIST_MAX_AGE_SECONDS = 60;

/**
 * What verifiers and holders need around a VC 2.0 credential:
 * - `GET /status/revocation/:list`: the Bitstring Status List credential (VC-JOSE-COSE,
 *   `application/vc+jwt`), with Cache-Control (short max-age), a strong ETag (304 on If-None-Match)
 *   and Last-Modified (when a bit last changed). Public: the list reveals only how many credentials
 *   of a list were revoked.
 * - `GET /schemas/kyc-credential-v2.json`: the JSON Schema `credentialSchema.id` names.
 * - `GET /credentials/:id/sd-jwt-vc`: the holder's credential as an SD-JWT VC (each claim
 *   selectively disclosable), freshly signed per request — holder token only, like `/credentials/:id`.
 */
export async function statusRoutes(app: FastifyInstance, ctx: RouteContext, statusList: StatusListService): Promise<void> {
  app.get<{ Params: { list: string } }>(
    '/status/revocation/:list',
    {
      schema: {
        tags: ['public'],
        summary: 'The Bitstring Status List credential (revocation), as VC-JOSE-COSE (application/vc+jwt)',
        description:
          'A VC 2.0 credential names its bit in `credentialStatus` (BitstringStatusListEntry). The list is 131,072 bits, GZIP + base64url (multibase `u`) in ' +
          '`credentialSubject.encodedList`; bit 0 is the left-most bit of the first byte; 1 = revoked. Re-signed after each change; send If-None-Match with the ETag to get 304.',
        params: { type: 'object', required: ['list'], properties: { list: { type: 'string', pattern: '^[1-9][0-9]{0,8}$' } } },
        response: { ...errorResponses },
      },
    },
    async (req, reply) => {
      const signed = await statusList.signedList(Number(req.params.list));
      if (!signed) throw notFound('status list');
      void reply.header('cache-control', `public, max-age=${STATUS_LIST_MAX_AGE_SECONDS}`);
      void reply.header('etag', signed.etag);
      void reply.header('last-modified', signed.lastModified.toUTCString());
      const match = req.headers['if-none-match'];
      if (typeof match === 'string' && match.split(',').some((tag) => tag.trim().replace(/^W\//, '') === signed.etag)) {
        return reply.code(304).send();
      }
      return reply.type('application/vc+jwt').send(signed.jwt);
    },
  );

  app.get('/schemas/kyc-credential-v2.json', { schema: { tags: ['public'], summary: 'JSON Schema of the VC 2.0 KycCredential (what credentialSchema.id names)' } }, async (_req, reply) => {
    void reply.header('cache-control', 'public, max-age=86400');
    return reply.type('application/schema+json').send(JSON.stringify(KYC_CREDENTIAL_SCHEMA_V2));
  });

  app.get<{ Params: { id: string } }>(
    '/credentials/:id/sd-jwt-vc',
    {
      config: { rateLimit: { max: ctx.config.holderRateLimitPerMinute, timeWindow: '1 minute' } },
      schema: {
        tags: ['holder'],
        summary: 'The credential as an SD-JWT VC (dc+sd-jwt), every claim selectively disclosable — only to the holder',
        description: 'Signed afresh on each request (new salts). The holder presents it with only the disclosures it chooses; see docs/issuer-service.md.',
        security: [{ holderToken: [] }],
        params: idParams,
        response: {
          200: {
            type: 'object',
            properties: {
              id: { type: 'string' },
              format: { type: 'string', enum: ['sd-jwt-vc'] },
              credential: { type: 'string', description: 'issuer-signed JWT ~ disclosure ~ … ~' },
              issuerDid: { type: 'string' },
              disclosable: { type: 'array', items: { type: 'string' } },
            },
          },
          ...errorResponses,
        },
      },
    },
    async (req) => {
      if (req.headers['x-api-key'] !== undefined) throw new ApiError(403, 'holder_only', 'the credential is released to the holder only', 'authorization');
      const record = await ctx.store.getCredential(req.params.id);
      const application = record ? await ctx.store.getApplication(record.applicationId) : null;
      authorizeApplicationReader(ctx, application, req.headers);
      if (!record || !application) throw notFound('credential');
      // The application's holder (the bearer token's): credentialFor refuses a credential issued to another DID.
      const issued = await ctx.issuance.credentialFor(application.id, application.holderDid, 'sd-jwt-vc');
      return { id: record.id, format: 'sd-jwt-vc', credential: issued.credential, issuerDid: issued.issuerDid, disclosable: [...KYC_DISCLOSABLE_CLAIMS] };
    },
  );
}
