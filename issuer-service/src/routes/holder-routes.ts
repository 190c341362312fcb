import type { FastifyInstance } from 'fastify';
import { ApiError, notFound } from '../api-error.js';
import { DidResolutionError } from '../services/holder-auth.js';
import { treeCapacity } from '../services/issuer-tree.js';
import type { RequestedAttributes } from '../store/issuer-store.js';
import { viewApplication } from './application-view.js';
import { authorizeApplicationReader, type RouteContext } from './route-context.js';
import { applicationView, challengeSchema, didSchema, errorResponses, idParams, iso, requestedAttributesSchema, rootPublicationView, signatureSchema } from './schemas.js';

const bearer = [{ holderToken: [] }];

/** Holder routes: prove DID control, apply, and read back the application, credential and path. */
export async function holderRoutes(app: FastifyInstance, ctx: RouteContext): Promise<void> {
  const rateLimit = { max: ctx.config.holderRateLimitPerMinute, timeWindow: '1 minute' };

  // Why a DID could not be resolved (an address, a network error) is for the operator, not the client.
  app.addHook('onError', async (req, _reply, err) => {
    if (err instanceof DidResolutionError) req.log.warn({ did: err.did, detail: err.detail }, 'holder DID resolution failed');
  });

  app.post<{ Body: { did: string } }>(
    '/challenges',
    {
      config: { rateLimit },
      schema: {
        tags: ['holder'],
        summary: 'Get a single-use nonce to sign with the DID key',
        body: { type: 'object', additionalProperties: false, required: ['did'], properties: { did: didSchema } },
        response: {
          201: { type: 'object', properties: { nonce: { type: 'string' }, expiresAt: { type: 'string', format: 'date-time' } } },
          ...errorResponses,
        },
      },
    },
    async (req, reply) => {
      const challenge = await ctx.applications.createChallenge(req.body.did);
      return reply.code(201).send({ nonce: challenge.nonce, expiresAt: iso(challenge.expiresAt) });
    },
  );

  app.post<{
    Body: { did: string; challenge: string; signature: string; identityCommitment: string; attributes: RequestedAttributes };
  }>(
    '/applications',
    {
      config: { rateLimit },
      schema: {
        tags: ['holder'],
        summary: 'Apply for a KYC credential',
        description:
          '`signature` is a JWT signed with the DID key: iss = did, payload { nonce: challenge } (an aud, if present, must be the issuer DID). ' +
          'The response carries `accessToken`, shown once: send it as `Authorization: Bearer …` to read the results.',
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['did', 'challenge', 'signature', 'identityCommitment', 'attributes'],
          properties: {
            did: didSchema,
            challenge: challengeSchema,
            signature: signatureSchema,
            identityCommitment: { type: 'string', minLength: 1, maxLength: 80, description: 'Poseidon(s), decimal' },
            attributes: requestedAttributesSchema,
          },
        },
        response: {
          201: {
            type: 'object',
            properties: {
              id: { type: 'string' },
              status: { type: 'string' },
              accessToken: { type: 'string' },
              credentialId: { type: 'string' },
            },
          },
          ...errorResponses,
        },
      },
    },
    async (req, reply) => {
      const { application, accessToken } = await ctx.applications.submit(req.body);
      const credential = application.status === 'approved' ? await ctx.store.getCredentialForApplication(application.id) : null;
      return reply.code(201).send({
        id: application.id,
        status: application.status,
        accessToken,
        ...(credential ? { credentialId: credential.id } : {}),
      });
    },
  );

  app.post<{ Body: { did: string; challenge: string; signature: string; applicationId?: string } }>(
    '/access-tokens',
    {
      config: { rateLimit },
      schema: {
        tags: ['holder'],
        summary: 'Recover access: a new access token for the DID’s application, proven by a fresh signed challenge',
        description:
          'For a holder who lost its access token. Get a challenge (`POST /challenges`), sign it as for an application but with ' +
          '`purpose: "access-token-recovery"` in the JWT payload. The new token replaces the old one (which stops working) on the ' +
          'DID’s newest pending or approved application, or on `applicationId` when given and the DID’s. 404 when there is none; ' +
          'a rejected application has no token to recover.',
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['did', 'challenge', 'signature'],
          properties: {
            did: didSchema,
            challenge: challengeSchema,
            signature: signatureSchema,
            applicationId: { type: 'string', format: 'uuid', description: 'which of the DID’s applications (default: the newest pending or approved)' },
          },
        },
        response: {
          201: {
            type: 'object',
            properties: {
              id: { type: 'string' },
              status: { type: 'string', enum: ['pending', 'approved'] },
              accessToken: { type: 'string', description: 'shown once; the previous token no longer works' },
              credentialId: { type: 'string' },
            },
          },
          ...errorResponses,
        },
      },
    },
    async (req, reply) => {
      const { application, accessToken } = await ctx.applications.recoverAccessToken(req.body);
      req.log.info({ applicationId: application.id, did: application.holderDid }, 'holder access token re-issued; the previous one is void');
      const credential = application.status === 'approved' ? await ctx.store.getCredentialForApplication(application.id) : null;
      return reply.code(201).send({ id: application.id, status: application.status, accessToken, ...(credential ? { credentialId: credential.id } : {}) });
    },
  );

  app.get<{ Params: { id: string } }>(
    '/applications/:id',
    {
      config: { rateLimit },
      schema: {
        tags: ['holder'],
        summary: 'Read an application (holder bearer token, or a reviewer key)',
        security: [...bearer, { reviewerKey: [] }],
        params: idParams,
        response: { 200: applicationView, ...errorResponses },
      },
    },
    async (req) => {
      const record = authorizeApplicationReader(ctx, await ctx.store.getApplication(req.params.id), req.headers, req.ip);
      return viewApplication(ctx, record);
    },
  );

  /**
   * Loads a credential for its holder: refuses reviewers (`refusal` says what is withheld — the
   * salt and the path open the leaf, which reviewers do not need) and checks the caller holds the
   * application's token.
   */
  async function holderCredential(id: string, headers: Parameters<typeof authorizeApplicationReader>[2], refusal: string) {
    if (headers['x-api-key'] !== undefined) throw new ApiError(403, 'holder_only', refusal, 'authorization');
    const credential = await ctx.store.getCredential(id);
    const application = credential ? await ctx.store.getApplication(credential.applicationId) : null;
    authorizeApplicationReader(ctx, application, headers);
    if (!credential) throw notFound('credential');
    return credential;
  }

  app.get<{ Params: { id: string } }>(
    '/credentials/:id',
    {
      config: { rateLimit },
      schema: {
        tags: ['holder'],
        summary: 'The issued VC (JWT), its salt and leaf index — only to the holder',
        security: bearer,
        params: idParams,
        response: {
          200: {
            type: 'object',
            properties: {
              id: { type: 'string' },
              holderDid: { type: 'string' },
              vc: { type: 'string', description: 'VC as a JWT' },
              salt: { type: 'string' },
              leaf: { type: 'string' },
              leafIndex: { type: 'integer' },
              treeId: { type: 'string' },
              issuerDid: { type: 'string' },
              status: { type: 'string' },
            },
          },
          ...errorResponses,
        },
      },
    },
    async (req) => {
      const c = await holderCredential(req.params.id, req.headers, 'the credential and its salt are released to the holder only');
      return {
        id: c.id,
        holderDid: c.holderDid,
        vc: c.vcJwt,
        salt: c.salt,
        leaf: c.leaf,
        leafIndex: c.leafIndex,
        treeId: ctx.config.treeId,
        issuerDid: ctx.issuerDid,
        status: c.status,
      };
    },
  );

  app.get<{ Params: { id: string } }>(
    '/credentials/:id/proof',
    {
      config: { rateLimit },
      schema: {
        tags: ['holder'],
        summary: 'Merkle path of the credential leaf against the current tree, and the latest published root',
        security: bearer,
        params: idParams,
        response: {
          200: {
            type: 'object',
            properties: {
              leafIndex: { type: 'integer' },
              leaf: { type: 'string' },
              root: { type: 'string' },
              siblings: {
                type: 'array',
                description:
                  "one entry per level of the quaternary tree (depth / 2 levels, leaf level first): the 3 other children of the path node, in position order, as decimal strings; the node's position at level i is base-4 digit i of `leafIndex`",
                items: { type: 'array', minItems: 3, maxItems: 3, items: { type: 'string' } },
              },
              rootPublished: { type: 'boolean', description: 'true when `root` is the latest anchored root' },
              publishedRoot: { ...rootPublicationView, type: ['object', 'null'] },
            },
          },
          ...errorResponses,
        },
      },
    },
    async (req) => {
      const c = await holderCredential(req.params.id, req.headers, 'Merkle paths are served to the holder');
      if (c.status !== 'active') throw new ApiError(409, 'credential_not_active', `credential is ${c.status}; its leaf is 0`, 'id');
      if (c.leafIndex >= treeCapacity(ctx.tree)) {
        // Only on a database an older version filled past capacity (services/issuer-tree.ts).
        throw new ApiError(409, 'leaf_outside_tree', `leaf ${c.leafIndex} is outside the issuer tree (capacity ${treeCapacity(ctx.tree)}); ask the issuer to re-issue`, 'id', 'tree-capacity');
      }
      const proof = await ctx.tree.proof(c.leafIndex);
      const published = await ctx.store.latestRootPublication();
      return {
        leafIndex: proof.index,
        leaf: proof.leaf.toString(),
        root: proof.root.toString(),
        siblings: proof.siblings.map((level) => level.map((s) => s.toString())),
        rootPublished: published !== null && BigInt(published.root) === proof.root,
        publishedRoot: published && { ...published, publishedAt: iso(published.publishedAt) },
      };
    },
  );
}
