/**
 * A broker's back end that asks its customers for a zkkyc proof instead of their documents. Two
 * routes, and the SDK's OffchainVerifier does the checking (docs/offchain-verifier.md):
 *
 *   GET  /kyc/challenge     → 200, a fresh challenge (JSON) for the customer's wallet to answer
 *   POST /kyc/presentation  → 200 { accepted: true, pseudonym, … } or 422 { accepted: false, refusals }
 *                              (400 for a body that is not JSON, 403 from another session than the
 *                              challenge's, 429 past `perMinute` requests of one client, 503 when
 *                              the chain cannot be read)
 *
 * The verifier reads the issuers' roots from IssuerRegistry over JSON-RPC and never calls an issuer.
 * Copy this file; replace `onAccepted` with what your back end does with a verified customer (tie
 * the pseudonym to the logged-in account, open the account, …).
 */
import Fastify, { type FastifyInstance, type FastifyRequest } from 'fastify';
import type { AcceptedPresentation, OffchainVerifier } from '@zkkyc/sdk';

export interface BrokerBackendOptions {
  /**
   * The caller's login session, e.g. read from your session cookie. Given, a challenge is handed
   * only to a session, and its presentation is taken only from that same session: a presentation
   * copied in transit is worth nothing to anyone else. Omit it only for a back end without sessions.
   */
  sessionOf?: (request: FastifyRequest) => string | undefined;
  /** Called once per accepted presentation, before the response (e.g. store the pseudonym on the account). */
  onAccepted?: (presentation: AcceptedPresentation, session: string | undefined) => Promise<void> | void;
  /** Requests per client address per minute, both routes together (default 30): a verification can cost a pairing. */
  perMinute?: number;
}

/** Requests per client per minute, in memory: what a real deployment's proxy or rate-limit plugin does. */
function rateLimiter(perMinute: number): (client: string, nowMs: number) => boolean {
  const windows = new Map<string, { start: number; count: number }>();
  return (client, nowMs) => {
    const minute = Math.floor(nowMs / 60_000);
    if (windows.size > 10_000) for (const [k, w] of windows) if (w.start < minute) windows.delete(k);
    const w = windows.get(client);
    if (!w || w.start !== minute) {
      windows.set(client, { start: minute, count: 1 });
      return true;
    }
    w.count += 1;
    return w.count <= perMinute;
  };
}

export function buildBrokerBackend(verifier: OffchainVerifier, options: BrokerBackendOptions = {}): FastifyInstance {
  // A presentation is about 1.5 KB of JSON: refuse anything much larger before parsing it.
  const app = Fastify({ logger: false, bodyLimit: 16 * 1024 });
  // Which session each challenge was handed to, until a minute after it expired.
  const sessions = new Map<string, { session: string; expiresAt: number }>();
  const allowed = rateLimiter(options.perMinute ?? 30);
  app.addHook('onRequest', async (request, reply) => {
    if (!allowed(request.ip, Date.now())) return reply.code(429).header('retry-after', '60').send({ error: 'too many requests; try again in a minute' });
  });

  app.get('/kyc/challenge', async (request, reply) => {
    const session = options.sessionOf?.(request);
    if (options.sessionOf && !session) return reply.code(401).send({ error: 'log in first: a challenge belongs to a session' });
    const challenge = await verifier.createChallenge();
    if (session) {
      for (const [nonce, entry] of sessions) if (entry.expiresAt + 60 < challenge.issuedAt) sessions.delete(nonce);
      sessions.set(challenge.nonce, { session, expiresAt: challenge.expiresAt });
    }
    // Each challenge is single use: never cached by a proxy or the browser.
    return reply.header('cache-control', 'no-store').send(challenge);
  });

  app.post('/kyc/presentation', async (request, reply) => {
    if (options.sessionOf) {
      const nonce = (request.body as { nonce?: unknown } | null)?.nonce;
      const owner = typeof nonce === 'string' ? sessions.get(nonce)?.session : undefined;
      if (!owner || owner !== options.sessionOf(request)) {
        const message = 'this challenge was not handed to this session';
        return reply.code(403).send({ accepted: false, refusals: [{ field: 'nonce', rule: 'same-session', message }] });
      }
    }
    let result;
    try {
      result = await verifier.verify(request.body);
    } catch (error) {
      // Only reading the chain throws: the customer did nothing wrong, and may retry.
      request.log.error(error);
      return reply.code(503).send({ accepted: false, error: 'the chain could not be read; try again' });
    }
    if (!result.ok) return reply.code(422).send({ accepted: false, refusals: result.refusals });
    await options.onAccepted?.(result, options.sessionOf?.(request));
    return reply.send({
      accepted: true,
      // The customer's pseudonym at this broker: the same at every presentation, so it identifies the
      // returning person (one account per person) without saying who they are.
      pseudonym: '0x' + result.nullifier.toString(16).padStart(64, '0'),
      issuerId: result.issuerId.toString(),
      validUntil: result.validUntil,
      policy: result.challenge.policy.label ?? null,
    });
  });

  return app;
}
