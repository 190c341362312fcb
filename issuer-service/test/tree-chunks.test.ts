/**
 * Issue 13, item 2: holders build their Merkle paths from the issuer's published tree files (a top
 * and one chunk), never asking for their own path or status.
 *
 * Real parts: issuer-service on a SQLite file listening on 127.0.0.1, read over HTTP by the SDK's
 * `readTreeLeaf` and `Holder`; a real mirror (a second HTTP server relaying the files, altering one
 * byte when told to); a real kycPolicy32 proof. The anchor is the recording test double of the
 * chain boundary (the registry-backed one is in registry-anchor.test.ts): its current root is the
 * root a holder would read on chain. Chunks here hold 4 leaves (`treeChunkLevels: 1`) so that a few
 * credentials span several chunks.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import './support/inject-shim.js';
import { createServer, type Server } from 'node:http';
import { Wallet } from 'ethers';
import { encodePolicy, todayInt } from '@zkkyc/credentials';
import { nodeProver, releaseProverThreads } from '@zkkyc/prover/node';
import { Holder, IssuerClient, readTreeLeaf, type VerifiedPerson } from '@zkkyc/sdk';
import { IssuerTree } from '@zkkyc/tree';
import { newPerson } from './support/people.js';
import { approveNewHolder, GOOD_ATTRIBUTES, nextYear, RecordingRootAnchor, reviewer, REVIEWER_KEY, startService, tempDir, testConfig } from './support/service.js';
import type { IssuerService } from '../src/issuer-service.js';
import { TREE_FILE_CACHE_CONTROL } from '../src/routes/tree-chunk-routes.js';

const tmp = tempDir();
const anchor = new RecordingRootAnchor();
let service: IssuerService;
let url: string;
let issuer: IssuerClient;
const credentialIds: string[] = [];

async function issue(): Promise<string> {
  const res = await approveNewHolder(service);
  expect(res.statusCode).toBe(201);
  return res.json().credentialId;
}

/** The root the holder trusts: the one the anchor (the chain) holds. */
async function anchoredRoot(): Promise<bigint> {
  return (await anchor.currentRoot())!;
}

beforeAll(async () => {
  service = await startService(testConfig(tmp.dbPath, { holderRateLimitPerMinute: 1000 }), { anchor, treeChunkLevels: 1 });
  url = await service.app.listen({ host: '127.0.0.1', port: 0 });
  issuer = new IssuerClient(url);
  for (let i = 0; i < 10; i++) credentialIds.push(await issue());
  expect((await service.publisher!.publishNow()).status).toBe('published');
}, 120_000);

afterAll(async () => {
  await service?.close();
  tmp.cleanup();
  await releaseProverThreads();
});

describe('tree chunks (issue 13, item 2)', () => {
  it('rebuild, for the published root, the path the tree itself gives: first and last leaf of a chunk, and the partial last chunk', async () => {
    const index = await issuer.treeChunkIndex();
    expect(index).toMatchObject({ depth: 32, chunkLevels: 1, chunkLeaves: 4 });
    expect(index.roots).toEqual([{ root: service.tree.root.toString(), leafCount: 10, chunks: 3, top: `/tree/${service.tree.root}/top.bin` }]);
    const root = await anchoredRoot();
    for (const leafIndex of [0, 3, 4, 7, 8, 9]) {
      const read = await readTreeLeaf(issuer, { chunkLevels: 1, leafIndex, root });
      expect(read).not.toBeNull();
      expect(read!.chunk).toBe(Math.floor(leafIndex / 4));
      expect(read!.revoked).toBe(false);
      expect(read!.proof).toEqual(await service.tree.proof(leafIndex));
      expect(IssuerTree.verifyProof(read!.proof, 32)).toBe(true);
    }
  });

  it('are immutable, cacheable files: a year, `immutable`, a strong ETag and 304; only non-empty chunks of served roots exist', async () => {
    const root = await anchoredRoot();
    for (const path of [`/tree/${root}/top.bin`, `/tree/${root}/chunk/2.bin`]) {
      const first = await fetch(`${url}${path}`);
      expect(first.status).toBe(200);
      expect(first.headers.get('cache-control')).toBe(TREE_FILE_CACHE_CONTROL);
      expect(first.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
      expect(first.headers.get('content-type')).toBe('application/octet-stream');
      const etag = first.headers.get('etag')!;
      expect(etag).toMatch(/^"[A-Za-z0-9_-]{43}"$/);
      const again = await fetch(`${url}${path}`, { headers: { 'if-none-match': etag } });
      expect(again.status).toBe(304);
    }
    // A chunk is 16 bytes of header and 32 per leaf: the last one holds leaves 8 and 9.
    expect((await issuer.treeFile(`/tree/${root}/chunk/2.bin`)).length).toBe(16 + 2 * 32);
    const empty = await fetch(`${url}/tree/${root}/chunk/3.bin`);
    expect(empty.status).toBe(404);
    expect((await empty.json()).error).toMatchObject({ code: 'chunk_not_found', field: 'file', rule: 'existing-chunk' });
    const unknown = await fetch(`${url}/tree/12345/top.bin`);
    expect(unknown.status).toBe(404);
    expect((await unknown.json()).error).toMatchObject({ code: 'root_not_served', field: 'root' });
    const notDecimal = await fetch(`${url}/tree/0x12/top.bin`);
    expect(notDecimal.status).toBe(400);
    expect((await notDecimal.json()).error).toMatchObject({ field: 'root' });
    const badName = await fetch(`${url}/tree/${root}/chunk/01.bin`);
    expect(badName.status).toBe(400);
  });

  it('are refused when a mirror alters the chunk or the top (hash mismatch against the root), and accepted from an honest mirror', async () => {
    const root = await anchoredRoot();
    let alter: ((path: string, bytes: Buffer) => void) | null = null;
    const mirror: Server = createServer(async (req, res) => {
      const upstream = await fetch(`${url}${req.url}`);
      const bytes = Buffer.from(await upstream.arrayBuffer());
      alter?.(req.url!, bytes);
      res.writeHead(upstream.status, { 'content-type': upstream.headers.get('content-type') ?? 'application/octet-stream' });
      res.end(bytes);
    });
    await new Promise<void>((resolve) => mirror.listen(0, '127.0.0.1', resolve));
    const files = new IssuerClient(`http://127.0.0.1:${(mirror.address() as { port: number }).port}`);
    try {
      expect((await readTreeLeaf(issuer, { chunkLevels: 1, leafIndex: 5, root, files }))!.proof).toEqual(await service.tree.proof(5));
      // Leaf 6 of chunk 1, beside the holder's leaf 5.
      alter = (path, bytes) => {
        if (path.endsWith('/chunk/1.bin')) bytes[16 + 2 * 32 + 31] ^= 1;
      };
      await expect(readTreeLeaf(issuer, { chunkLevels: 1, leafIndex: 5, root, files })).rejects.toMatchObject({ name: 'TreeError', field: 'chunk', rule: 'matches-top' });
      // The top's node for chunk 0, a sibling on the holder's path (top: 48-byte header, then chunk roots).
      alter = (path, bytes) => {
        if (path.endsWith('/top.bin')) bytes[48 + 31] ^= 1;
      };
      await expect(readTreeLeaf(issuer, { chunkLevels: 1, leafIndex: 5, root, files })).rejects.toMatchObject({ name: 'TreeError', field: 'top', rule: 'hashes-to-root' });
      // Another root's top (a mirror answering with stale files).
      alter = null;
      await expect(readTreeLeaf(issuer, { chunkLevels: 1, leafIndex: 5, root: root + 1n, files })).rejects.toMatchObject({ code: 'root_not_served' });
    } finally {
      await new Promise<void>((resolve) => mirror.close(() => resolve()));
    }
  });

  it('show a revoked leaf as revoked from the chunk once the revocation is published; older roots stay served until pushed out', async () => {
    const before = await anchoredRoot();
    const revoked = await service.app.inject({ method: 'POST', url: `/credentials/${credentialIds[6]}/revoke`, headers: reviewer, payload: { reason: 'test' } });
    expect(revoked.statusCode).toBe(200);
    // Not yet published: the anchored root still holds the leaf.
    expect((await readTreeLeaf(issuer, { chunkLevels: 1, leafIndex: 6, root: before }))!.revoked).toBe(false);
    await service.publisher!.publishNow();
    const after = await anchoredRoot();
    expect(after).not.toBe(before);
    const read = await readTreeLeaf(issuer, { chunkLevels: 1, leafIndex: 6, root: after });
    expect(read).toMatchObject({ revoked: true, chunk: 1 });
    expect(read!.proof.leaf).toBe(0n);
    // The neighbours in the same chunk are unaffected; chunks the revocation did not touch are the same bytes.
    expect((await readTreeLeaf(issuer, { chunkLevels: 1, leafIndex: 7, root: after }))!.proof).toEqual(await service.tree.proof(7));
    const etag = async (root: bigint, n: number) => (await fetch(`${url}/tree/${root}/chunk/${n}.bin`)).headers.get('etag');
    expect(await etag(after, 0)).toBe(await etag(before, 0));
    expect(await etag(after, 1)).not.toBe(await etag(before, 1));
    expect((await issuer.treeChunkIndex()).roots.map((r) => r.root)).toEqual([after.toString(), before.toString()]);
    // The SDK's holder refuses to build a path for it.
    const held = { id: credentialIds[6], leafIndex: 6, leaf: 1n, accessToken: 'unused' } as Parameters<Holder['merklePath']>[1];
    const someone = await Holder.fromWallet(Wallet.createRandom());
    await expect(someone.merklePath(issuer, held, { chunkLevels: 1, root: after })).rejects.toMatchObject({ field: 'credential', rule: 'not-revoked' });
  });

  it('lets a holder prove (real kycPolicy32 proof) from the chunks with no request naming its credential: no path call, no status call', async () => {
    const holder = await Holder.fromWallet(Wallet.createRandom());
    const application = await holder.apply(issuer, GOOD_ATTRIBUTES);
    const approved = await issuer.asReviewer(REVIEWER_KEY).approve(application.id, { expiryDate: nextYear(), person: newPerson() as VerifiedPerson, attributes: { kycLevel: 2 } });
    const held = await holder.receive(issuer, approved.credentialId!, application.accessToken);
    await service.publisher!.publishNow();
    const root = await anchoredRoot();

    const requested: string[] = [];
    const realFetch = globalThis.fetch;
    globalThis.fetch = (input: Parameters<typeof fetch>[0], init?: Parameters<typeof fetch>[1]) => {
      requested.push(new URL(input instanceof Request ? input.url : input.toString()).pathname);
      return realFetch(input, init);
    };
    let path;
    try {
      path = await holder.merklePath(issuer, held, { chunkLevels: 1, root });
    } finally {
      globalThis.fetch = realFetch;
    }
    // The index (anonymous, the same for everyone: it says the chunk size), the top, one chunk.
    expect(requested).toEqual(['/tree/chunks', `/tree/${root}/top.bin`, `/tree/${root}/chunk/${Math.floor(held.leafIndex / 4)}.bin`]);
    expect(requested.some((p) => p.includes(held.id) || p.includes('/proof') || p.includes('/status'))).toBe(false);
    expect(path).toEqual(await service.tree.proof(held.leafIndex));

    const prover = await nodeProver('kycPolicy32');
    const policy = { ...encodePolicy({ jurisdictions: ['FR'], minAge: 18, investorClasses: [], minKycLevel: 1 }), scope: 4242n };
    const proof = await holder.prove(prover, held, path, policy, { today: todayInt() });
    expect(proof.publicSignals[1]).toBe(root.toString());
    await expect(prover.verify(proof)).resolves.toBe(true);

    // Only an issuer that serves no tree files at all is asked for the path: here one in front of
    // which a proxy answers its generic 404 for every /tree/ file route.
    const asked: string[] = [];
    const older: Server = createServer(async (req, res) => {
      asked.push(req.url!);
      if (req.url!.startsWith('/tree/')) {
        res.writeHead(404, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: { code: 'route_not_found', message: `no route GET ${req.url}` } }));
        return;
      }
      const upstream = await fetch(`${url}${req.url}`, { headers: { authorization: req.headers.authorization ?? '' } });
      res.writeHead(upstream.status, { 'content-type': 'application/json' });
      res.end(Buffer.from(await upstream.arrayBuffer()));
    });
    await new Promise<void>((resolve) => older.listen(0, '127.0.0.1', resolve));
    try {
      const olderIssuer = new IssuerClient(`http://127.0.0.1:${(older.address() as { port: number }).port}`);
      await expect(holder.merklePath(olderIssuer, held, { chunkLevels: 1, root })).resolves.toEqual(path);
      expect(asked).toEqual(['/tree/chunks', `/credentials/${held.id}/proof`]);
      // An issuer that has files, but not for this root, is never asked for the path instead.
      await expect(holder.merklePath(issuer, held, { chunkLevels: 1, root: root + 1n })).rejects.toMatchObject({ code: 'root_not_served' });
      // Nor when a mirror (or the issuer, for chosen clients) answers a plain 404 for a file: that
      // is an error, not a reason to name the credential to the issuer.
      const mirror = new IssuerClient(`http://127.0.0.1:${(older.address() as { port: number }).port}`);
      asked.length = 0;
      await expect(holder.merklePath(issuer, held, { chunkLevels: 1, root, files: mirror })).rejects.toMatchObject({ status: 404 });
      expect(asked.some((p) => p.includes('/proof'))).toBe(false);
      // The chunk size is pinned by the holder, never taken from the issuer's files: an issuer cutting
      // at another size (smaller chunks would say which leaf is wanted) is refused before any download.
      await expect(readTreeLeaf(issuer, { leafIndex: held.leafIndex, root })).rejects.toMatchObject({ name: 'TreeError', field: 'chunkLevels', rule: 'pinned' });
      // A file larger than the pinned shape allows is cut off, not read whole.
      await expect(issuer.treeFile(`/tree/${root}/top.bin`, 10)).rejects.toMatchObject({ name: 'TreeError', field: 'file', rule: 'size' });
    } finally {
      await new Promise<void>((resolve) => older.close(() => resolve()));
    }
  }, 120_000);

  it('serve the latest published root again after a restart when the tree has not changed since', async () => {
    const root = await anchoredRoot();
    await service.close();
    service = await startService(testConfig(tmp.dbPath, { holderRateLimitPerMinute: 1000 }), { anchor, treeChunkLevels: 1 });
    url = await service.app.listen({ host: '127.0.0.1', port: 0 });
    issuer = new IssuerClient(url);
    expect((await issuer.treeChunkIndex()).roots.map((r) => r.root)).toEqual([root.toString()]);
    expect((await readTreeLeaf(issuer, { chunkLevels: 1, leafIndex: 9, root }))!.proof).toEqual(await service.tree.proof(9));
  });
});
