import type { FastifyInstance } from 'fastify';
import type { ChainEvent } from '../model.js';
import type { CaseDetail, CaseDisclosure, StoreSession } from '../store/monitor-store.js';
import type { RouteContext } from './route-context.js';
import { ApiError, notFound } from './errors.js';
import { errorResponses, officerSecurity } from './schemas.js';

/**
 * A case's escrow disclosures. The monitor never decrypts anything: the auditors open a
 * registration through the on-chain disclosure log and the issuer answers its disclosure officer
 * (docs/escrow.md, docs/issuer-service.md "Disclosure"). The officer then attaches the issuer's
 * answer here, and a SAR drafted from the case names that person as its subject.
 *
 * What is checked: the answer names a registration the monitor indexed from the monitored gate (an
 * `EscrowCiphertext` at that transaction and log index, under the answer's policy) and that
 * registration verified one of the case's wallets — so a disclosure about somebody else cannot be
 * attached to this case by mistake. The identity fields are the issuer's and are taken as given;
 * the issuer's own records and the disclosure log hold the proof that the disclosure was lawful.
 */

const caseParams = { type: 'object', properties: { id: { type: 'string', minLength: 1, maxLength: 100 } }, required: ['id'] } as const;
const TX = '^0x[0-9a-fA-F]{64}$';

/** The issuer's `POST /disclosures` answer, as issuer-service sends it (extra fields are kept). */
const issuerAnswerSchema = {
  type: 'object',
  required: ['disclosure', 'record'],
  additionalProperties: false,
  properties: {
    disclosure: {
      type: 'object',
      required: ['id', 'requestId', 'chainId', 'policyId', 'registrationTx', 'registrationLogIndex'],
      additionalProperties: true,
      properties: {
        id: { type: 'string', minLength: 1, maxLength: 100 },
        requestId: { type: 'string', pattern: '^[0-9]{1,78}$' },
        chainId: { type: 'integer', minimum: 1 },
        policyId: { type: 'string', pattern: '^[0-9]{1,78}$' },
        registrationTx: { type: 'string', pattern: TX },
        registrationLogIndex: { type: 'integer', minimum: 0, maximum: 2 ** 32 - 1 },
      },
    },
    record: {
      type: 'object',
      required: ['person', 'attributes', 'credential'],
      additionalProperties: true,
      properties: {
        person: { type: ['object', 'null'], additionalProperties: { type: 'string', maxLength: 200 } },
        attributes: { type: 'object' },
        credential: { type: 'object', required: ['id'], properties: { id: { type: 'string', minLength: 1, maxLength: 200 } } },
      },
    },
  },
} as const;

const disclosureSchema = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    caseId: { type: 'string' },
    chainId: { type: 'integer' },
    policyId: { type: 'string' },
    registrationTx: { type: 'string' },
    registrationLogIndex: { type: 'integer' },
    wallet: { type: 'string' },
    issuerDisclosureId: { type: 'string' },
    requestId: { type: 'string' },
    record: { type: 'object', additionalProperties: true },
    attachedBy: { type: 'string' },
    attachedAt: { type: 'integer' },
  },
} as const;

const registrationSchema = {
  type: 'object',
  description: 'an escrow registration of one of the case wallets: what a disclosure request names (escrow request --registration-tx … --registration-log-index …)',
  properties: {
    wallet: { type: 'string' },
    policyId: { type: 'string' },
    registrationTx: { type: 'string' },
    registrationLogIndex: { type: 'integer' },
    blockNumber: { type: 'integer' },
    blockTime: { type: 'integer' },
  },
} as const;

interface IssuerAnswer {
  disclosure: { id: string; requestId: string; chainId: number; policyId: string; registrationTx: string; registrationLogIndex: number };
  record: { person: Record<string, string> | null; attributes: Record<string, unknown>; credential: { id: string } } & Record<string, unknown>;
}

/** Every wallet the case is about: its own, and all the wallets of its investor tag. */
async function caseWallets(store: StoreSession, kase: CaseDetail): Promise<Set<string>> {
  const wallets = new Set(kase.subject.wallets.map((w) => w.toLowerCase()));
  if (kase.subject.investorTag) for (const r of await store.walletsOf(kase.subject.investorTag)) wallets.add(r.wallet.toLowerCase());
  return wallets;
}

/** The gate's escrow registrations of the case's wallets, newest first. */
async function escrowRegistrations(ctx: RouteContext, kase: CaseDetail): Promise<ChainEvent[]> {
  const gate = ctx.contracts.gate.toLowerCase();
  const found: ChainEvent[] = [];
  for (const wallet of await caseWallets(ctx.store, kase)) {
    found.push(...(await ctx.store.events({ address: gate, wallet, names: ['EscrowCiphertext'], newestFirst: true, limit: 100 })));
  }
  return found.sort((a, b) => b.blockNumber - a.blockNumber || b.logIndex - a.logIndex);
}

const refused = (field: string, rule: string, message: string) => new ApiError(422, 'disclosure_refused', message, field, rule);

/** Checks the issuer's answer against the indexed chain and the case (see the module comment). */
async function checkAnswer(store: StoreSession, gate: string, kase: CaseDetail, answer: IssuerAnswer): Promise<string> {
  const d = answer.disclosure;
  const event = await store.eventAt(d.chainId, d.registrationTx, d.registrationLogIndex);
  if (!event || event.address !== gate.toLowerCase() || event.name !== 'EscrowCiphertext') {
    throw refused(
      'disclosure.registrationTx',
      'indexed-registration',
      `chain ${d.chainId} transaction ${d.registrationTx} log ${d.registrationLogIndex} is not an escrow registration the monitor indexed from the gate ${gate.toLowerCase()}`,
    );
  }
  if (event.args.policyId !== d.policyId) {
    throw refused('disclosure.policyId', 'matches-registration', `the registration is under policy ${event.args.policyId}, the disclosure says ${d.policyId}`);
  }
  const wallet = event.args.wallet.toLowerCase();
  if (!(await caseWallets(store, kase)).has(wallet)) {
    throw refused('disclosure.registrationTx', 'case-wallet', `the registration verified wallet ${wallet}, which is not one of case ${kase.id}'s wallets: attach it to that wallet's case`);
  }
  return wallet;
}

export async function disclosureRoutes(app: FastifyInstance, ctx: RouteContext): Promise<void> {
  app.get<{ Params: { id: string } }>(
    '/cases/:id/disclosures',
    {
      schema: {
        summary: "A case's attached escrow disclosures, and the escrow registrations of its wallets a disclosure request can name",
        tags: ['cases'],
        security: officerSecurity,
        params: caseParams,
        response: {
          200: { type: 'object', properties: { disclosures: { type: 'array', items: disclosureSchema }, registrations: { type: 'array', items: registrationSchema } } },
          ...errorResponses,
        },
      },
    },
    async (req) => {
      ctx.officers.authenticate(req.headers['x-api-key'], req.ip);
      const kase = await ctx.store.getCase(req.params.id);
      if (!kase) throw notFound(`case ${req.params.id}`);
      const registrations = (await escrowRegistrations(ctx, kase)).map((e) => ({
        wallet: e.args.wallet,
        policyId: e.args.policyId,
        registrationTx: e.txHash,
        registrationLogIndex: e.logIndex,
        blockNumber: e.blockNumber,
        blockTime: e.blockTime,
      }));
      return { disclosures: await ctx.store.caseDisclosures(kase.id), registrations };
    },
  );

  app.post<{ Params: { id: string }; Body: IssuerAnswer }>(
    '/cases/:id/disclosures',
    {
      bodyLimit: 64 * 1024,
      schema: {
        summary: "Attaches the issuer's answer to an escrow disclosure (its POST /disclosures response, as is) to a case",
        description:
          "Refused (422 disclosure_refused) unless the answer names an escrow registration the monitor indexed from the monitored gate, under the answer's policy, of one of the case's wallets (or its investor's). A closed case takes none (409). Attaching the same issuer disclosure twice returns the first attachment (200). A SAR drafted from the case afterwards names the newest attached person as its subject.",
        tags: ['cases'],
        security: officerSecurity,
        params: caseParams,
        body: issuerAnswerSchema,
        response: { 200: disclosureSchema, 201: disclosureSchema, 409: { $ref: 'MonitorError#' }, 422: { $ref: 'MonitorError#' }, ...errorResponses },
      },
    },
    async (req, reply) => {
      const officer = ctx.officers.authenticate(req.headers['x-api-key'], req.ip);
      const result = await ctx.store.transaction(async (tx) => {
        const kase = await tx.getCase(req.params.id);
        if (!kase) throw notFound(`case ${req.params.id}`);
        if (kase.status === 'closed') throw new ApiError(409, 'case_closed', `case ${kase.id} is closed: reopen it before attaching a disclosure`, 'id', 'open-case');
        const wallet = await checkAnswer(tx, ctx.contracts.gate, kase, req.body);
        const d = req.body.disclosure;
        const { id, created } = await tx.attachDisclosure({
          caseId: kase.id,
          chainId: d.chainId,
          policyId: d.policyId,
          registrationTx: d.registrationTx,
          registrationLogIndex: d.registrationLogIndex,
          wallet,
          issuerDisclosureId: d.id,
          requestId: d.requestId,
          record: req.body.record,
          attachedBy: officer,
        });
        return { created, disclosure: (await tx.caseDisclosures(kase.id)).find((x) => x.id === id) as CaseDisclosure };
      });
      return reply.code(result.created ? 201 : 200).send(result.disclosure);
    },
  );
}
