import type { FastifyInstance } from 'fastify';
import { ApiError, notFound } from '../api-error.js';
import type { RequestedAttributes } from '../store/issuer-store.js';
import { viewApplication } from './application-view.js';
import { authorizeApplicationReader, type RouteContext } from './route-context.js';
import { applicationView, didSchema, errorResponses, idParams, iso, requestedAttributesSchema, rootPublicationView } from './schemas.js';

const bearer = [{ holderToken: [] }];

/** Holder routes: prove DID control, apply, and read back the application, credential and path. */
export async function holderRoutes(app: FastifyInstance, ctx: RouteContext): Promise<void> {
  const rateLimit = { max: ctx.config.holderRateLimitPerMinute, timeWindow: '1 minute' };

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
            challenge: { type: 'string', minLength: 1, maxLength: 100 },
            signature: { type: 'string', minLength: 1, maxLength: 4096 },
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
      const record = authorizeApplicationReader(ctx, await ctx.store.getApplication(req.params.id), req.headers);
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
                  'one entry per level of the quaternary tree (depth / 2 levels, leaf level first): the 3 other children of the path node, in position order, as decimal strings; the node\'s position at level i is base-4 digit i of `leafIndex`',
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
      const proof = ctx.tree.proof(c.leafIndex);
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
