import type { FastifyError, FastifyInstance } from 'fastify';
import { ApiError } from '../api-error.js';
import { toApiError } from '../http-errors.js';
import { Oid4vciError, type CredentialRequestBody, type Oid4vciService } from '../services/oid4vci.js';
import { authorizeApplicationReader, type RouteContext } from './route-context.js';
import { errorResponses, idParams, iso } from './schemas.js';

/**
 * OpenID4VCI 1.0 routes (services/oid4vci.ts): the applicant's offer, in the service's own API and
 * error shape, and the protocol endpoints a standard wallet calls, in OAuth's (`error`,
 * `error_description`). Mounted only when `ISSUER_PUBLIC_URL` is set.
 */
export async function oid4vciRoutes(app: FastifyInstance, ctx: RouteContext, oid4vci: Oid4vciService): Promise<void> {
  const rateLimit = { max: ctx.config.holderRateLimitPerMinute, timeWindow: '1 minute' };

  app.post<{ Params: { id: string } }>(
    '/applications/:id/credential-offer',
    {
      config: { rateLimit },
      schema: {
        tags: ['holder', 'openid4vci'],
        summary: 'An OpenID4VCI credential offer for the approved application — to the holder only',
        description:
          'Answers `credentialOfferUri` (openid-credential-offer://?credential_offer=…, for a QR code or a link to a wallet) and `txCode`, the ' +
          'transaction code the wallet asks its user for: shown once, show it apart from the QR code. The pre-authorized code is single-use and expires ' +
          '(OID4VCI_CODE_TTL_SECONDS); a new offer voids the previous one. 409 while the application is not approved, or when its credential is revoked or expired.',
        security: [{ holderToken: [] }],
        params: idParams,
        response: {
          201: {
            type: 'object',
            properties: {
              credentialOfferUri: { type: 'string' },
              credentialOffer: { type: 'object', additionalProperties: true },
              txCode: { type: 'string' },
              expiresAt: { type: 'string', format: 'date-time' },
            },
          },
          ...errorResponses,
        },
      },
    },
    async (req, reply) => {
      if (req.headers['x-api-key'] !== undefined) {
        throw new ApiError(403, 'holder_only', 'a credential offer hands the credential over: only the holder asks for it', 'authorization');
      }
      const application = authorizeApplicationReader(ctx, await ctx.store.getApplication(req.params.id), req.headers);
      const offer = await oid4vci.createOffer(application);
      req.log.info({ applicationId: application.id }, 'OpenID4VCI credential offer made');
      return reply
        .code(201)
        .header('cache-control', 'no-store')
        .send({ credentialOfferUri: offer.credentialOfferUri, credentialOffer: offer.credentialOffer, txCode: offer.txCode, expiresAt: iso(offer.expiresAt) });
    },
  );

  // The protocol endpoints answer in OAuth's error shape, and the token endpoint takes a form body.
  await app.register(async (scope) => {
    scope.setErrorHandler((err: FastifyError, req, reply) => {
      const oauth = toOauthError(err);
      if (oauth.statusCode >= 500) req.log.error({ err }, 'OpenID4VCI request failed');
      if (oauth.statusCode === 401) void reply.header('www-authenticate', `Bearer error="${oauth.error}"`);
      void reply.code(oauth.statusCode).header('cache-control', 'no-store').send(oauth.toJSON());
    });
    scope.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_req, body, done) => {
      const params = new URLSearchParams(body as string);
      const out: Record<string, string> = {};
      for (const [key, value] of params) {
        if (key in out) return done(new Oid4vciError(400, 'invalid_request', 'is repeated; send each parameter once', key, 'single-parameter'), undefined);
        out[key] = value;
      }
      done(null, out);
    });

    const wellKnown = { tags: ['openid4vci'] };
    scope.get('/.well-known/openid-credential-issuer', { schema: { ...wellKnown, summary: 'OpenID4VCI Credential Issuer Metadata' } }, async () => oid4vci.issuerMetadata());
    scope.get('/.well-known/oauth-authorization-server', { schema: { ...wellKnown, summary: 'OAuth Authorization Server Metadata (pre-authorized code only)' } }, async () =>
      oid4vci.authorizationServerMetadata(),
    );

    scope.post<{ Body: Record<string, unknown> }>(
      '/oid4vci/token',
      {
        config: { rateLimit },
        schema: {
          tags: ['openid4vci'],
          summary: 'Token endpoint: pre-authorized code + tx_code → access token (application/x-www-form-urlencoded)',
          consumes: ['application/x-www-form-urlencoded'],
        },
      },
      async (req, reply) => {
        if (!req.body || typeof req.body !== 'object' || !req.headers['content-type']?.startsWith('application/x-www-form-urlencoded')) {
          throw new Oid4vciError(400, 'invalid_request', 'send the token request as application/x-www-form-urlencoded', 'content-type', 'form-body');
        }
        const token = await oid4vci.token(req.body);
        return reply.header('cache-control', 'no-store').send(token);
      },
    );

    scope.post('/oid4vci/nonce', { config: { rateLimit }, schema: { tags: ['openid4vci'], summary: 'Nonce endpoint: a fresh c_nonce for the proof' } }, async (_req, reply) =>
      reply.header('cache-control', 'no-store').send(await oid4vci.nonce()),
    );

    scope.post<{ Body: CredentialRequestBody }>(
      '/oid4vci/credential',
      {
        config: { rateLimit },
        schema: {
          tags: ['openid4vci'],
          summary: 'Credential endpoint: the application’s credential, for a proof of possession of the holder DID’s key',
          body: { type: 'object', maxProperties: 8 },
        },
      },
      async (req, reply) => reply.header('cache-control', 'no-store').send(await oid4vci.credential(req.headers.authorization, req.body)),
    );
  });
}

/** Anything a protocol route throws, as an OAuth error (schema and body failures become `invalid_request`). */
function toOauthError(err: FastifyError | Error): Oid4vciError {
  if (err instanceof Oid4vciError) return err;
  const api = toApiError(err);
  if (api.statusCode === 429) return new Oid4vciError(429, 'slow_down', api.message, undefined, 'rate-limit');
  if (api.statusCode >= 500) return new Oid4vciError(api.statusCode, 'server_error', 'internal error');
  return new Oid4vciError(api.statusCode, 'invalid_request', api.message, api.field, api.rule);
}
