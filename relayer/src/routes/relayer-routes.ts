/**
 * The relayer's HTTP shape: `POST /v1/registrations`, `GET /v1/registrations/{id}`, `GET /v1/health`
 * and the OpenAPI document at `GET /v1/openapi.json`. A POST waits until the registration is mined,
 * unless it asks not to (`Prefer: respond-async`, RFC 7240): then a batched request is answered at
 * once, 202 with its id and status, and followed with GET. The request body is checked by parseRegistrationRequest (every field,
 * with the field and rule named) rather than by a JSON schema, so field elements can stay strings;
 * the schemas below describe it for the OpenAPI document.
 */
import type { FastifyInstance } from 'fastify';
import type { JsonRpcProvider } from 'ethers';
import { ApiError } from '../api-error.js';
import { parseRegistrationRequest } from '../services/registration-request.js';
import { requestView, type RegistrationService } from '../services/registrations.js';

export interface RelayerRouteContext {
  service: RegistrationService;
  provider: JsonRpcProvider;
  gateAddress: string;
  chainId: bigint;
  /** How long /v1/health reuses the balance it read (default HEALTH_BALANCE_TTL_MS). */
  healthBalanceTtlMs?: number;
}

const uintString = { type: 'string', pattern: '^(0|[1-9][0-9]*|0x[0-9a-fA-F]+)$', description: 'a whole number, decimal or 0x-hex' } as const;
const pair = { type: 'array', items: uintString, minItems: 2, maxItems: 2 } as const;

const registrationBody = {
  type: 'object',
  required: ['policyId', 'proof', 'consent'],
  additionalProperties: false,
  properties: {
    policyId: uintString,
    proof: {
      type: 'object',
      required: ['pA', 'pB', 'pC', 'pubSignals'],
      additionalProperties: false,
      description: "the prover's Solidity calldata; pubSignals: 4 (kycPolicy) or 6 (kycPolicyEscrow)",
      properties: { pA: pair, pB: { type: 'array', items: pair, minItems: 2, maxItems: 2 }, pC: pair, pubSignals: { type: 'array', items: uintString, minItems: 4, maxItems: 6 } },
    },
    consent: {
      type: 'object',
      required: ['deadline', 'signature'],
      additionalProperties: false,
      description: "the wallet's EIP-712 Consent(policyId, nullifier, context, nonce, deadline) under the gate's domain",
      properties: { deadline: uintString, signature: { type: 'string', pattern: '^0x[0-9a-fA-F]+$' } },
    },
  },
} as const;

const registered = {
  type: 'object',
  required: ['txHash', 'blockNumber', 'wallet'],
  properties: {
    txHash: { type: 'string', description: "the relayer's transaction" },
    blockNumber: { type: 'integer' },
    wallet: { type: 'string' },
    registeredElsewhere: { type: 'boolean', description: 'true when that transaction reverted because a copy of it with the same consent registered the wallet first' },
  },
} as const;

const requestStatus = {
  type: 'object',
  required: ['id', 'status', 'wallet', 'policyId'],
  properties: {
    id: { type: 'string', description: 'the request; the same consent posted again answers with the same id' },
    status: {
      type: 'string',
      enum: ['queued', 'submitted', 'registered', 'refused', 'expired'],
      description:
        'queued: waiting for a batch; submitted: in a batch transaction (txHash) not yet mined; registered: mined (blockNumber, until); refused: the gate refused it when its batch was simulated (error); expired: its consent deadline came while it waited (error)',
    },
    wallet: { type: 'string' },
    policyId: { type: 'string' },
    txHash: { type: 'string', description: 'the batch transaction (submitted, registered)' },
    blockNumber: { type: 'integer' },
    until: { type: 'string', description: 'verifiedUntil the gate recorded, unix seconds' },
    error: { type: 'object', description: 'refused or expired: { code, message, field?, rule? }, rule the gate’s custom error for a refusal' },
  },
} as const;

const health = {
  type: 'object',
  required: ['status', 'relayer', 'balance', 'gate', 'chainId'],
  properties: {
    status: { type: 'string', enum: ['ok'] },
    relayer: { type: 'string', description: 'the account that pays' },
    balance: { type: 'string', description: 'its balance in wei' },
    gate: { type: 'string' },
    chainId: { type: 'integer' },
  },
} as const;

const errorRef = { $ref: '#/components/schemas/Error' };

/** The OpenAPI 3.1 document, written from the same schemas the routes describe. */
export function openApiDocument(errorSchema: object) {
  const errors = Object.fromEntries(['400', '403', '409', '422', '429', '502', '503', '504'].map((s) => [s, { description: 'refused', content: { 'application/json': { schema: errorRef } } }]));
  return {
    openapi: '3.1.0',
    info: {
      title: 'zkkyc relayer',
      version: '0.1.0',
      description:
        "Registers a wallet at one ComplianceGate with the wallet's EIP-712 consent and pays the gas. Errors are { error: { code, message, field?, rule? } }; a refusal the gate would make has code registration_refused and the gate's custom error as rule. See relayer/README.md.",
    },
    paths: {
      '/v1/registrations': {
        post: {
          summary: 'Register a wallet with its consent (the relayer pays); plain registrations go out in batches',
          parameters: [
            { name: 'Prefer', in: 'header', required: false, schema: { type: 'string', enum: ['respond-async'] }, description: 'answer a batched request at once (202) instead of once mined' },
          ],
          requestBody: { required: true, content: { 'application/json': { schema: registrationBody } } },
          responses: {
            '200': { description: 'mined', content: { 'application/json': { schema: registered } } },
            '202': { description: 'accepted (Prefer: respond-async): queued or submitted', content: { 'application/json': { schema: requestStatus } } },
            ...errors,
          },
        },
      },
      '/v1/registrations/{id}': {
        get: {
          summary: "A batched request's status",
          parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }],
          responses: {
            '200': { description: 'its status', content: { 'application/json': { schema: requestStatus } } },
            '404': { description: 'unknown id', content: { 'application/json': { schema: errorRef } } },
          },
        },
      },
      '/v1/health': { get: { summary: 'Who pays, with how much, for which gate', responses: { '200': { description: 'ok', content: { 'application/json': { schema: health } } } } } },
    },
    components: { schemas: { Error: errorSchema } },
  };
}

/** How long /v1/health reuses the balance it read: a health probe must not be a way to load the node. */
export const HEALTH_BALANCE_TTL_MS = 5_000;

export function relayerRoutes(app: FastifyInstance, ctx: RelayerRouteContext, errorSchema: object): void {
  const document = openApiDocument(errorSchema);
  let balance: { read: Promise<bigint>; at: number } | undefined;
  const cachedBalance = (): Promise<bigint> => {
    const now = Date.now();
    if (!balance || now - balance.at > (ctx.healthBalanceTtlMs ?? HEALTH_BALANCE_TTL_MS)) {
      const read = ctx.provider.getBalance(ctx.service.address);
      balance = { read, at: now };
      // A failed read is not kept: the next probe asks again.
      read.catch(() => {
        if (balance?.read === read) balance = undefined;
      });
    }
    return balance.read;
  };
  app.post('/v1/registrations', async (req, reply) => {
    const request = parseRegistrationRequest(req.body);
    if (!/(^|[\s,;])respond-async($|[\s,;])/i.test(String(req.headers.prefer ?? ''))) return ctx.service.register(request);
    const submitted = await ctx.service.submit(request);
    if (submitted.kind === 'single') return submitted.registration;
    const view = requestView(submitted.request);
    void reply.code(view.status === 'queued' || view.status === 'submitted' ? 202 : 200).header('preference-applied', 'respond-async');
    return view;
  });
  app.get('/v1/registrations/:id', async (req) => {
    const { id } = req.params as { id: string };
    const found = /^[0-9a-f-]{36}$/.test(id) ? ctx.service.request(id) : undefined;
    if (!found) throw new ApiError(404, 'request_not_found', `id: no registration request ${id.slice(0, 40)} at this relayer`, 'id', 'known');
    return requestView(found);
  });
  app.get('/v1/health', async () => ({
    status: 'ok' as const,
    relayer: ctx.service.address,
    balance: (await cachedBalance()).toString(),
    gate: ctx.gateAddress,
    chainId: Number(ctx.chainId),
  }));
  app.get('/v1/openapi.json', async () => document);
}
