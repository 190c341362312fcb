import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { chunkCapacity, SNARK_FIELD } from '@zkkyc/tree';
import { ApiError, invalidField } from '../api-error.js';
import type { TreeChunkService, TreeFile, TreeSnapshot } from '../services/tree-chunks.js';
import { errorResponses } from './schemas.js';

/** A year, and `immutable`: the URL names the root, so its bytes can never change. */
export const TREE_FILE_CACHE_CONTROL = 'public, max-age=31536000, immutable';

const rootParam = { type: 'string', pattern: '^(0|[1-9][0-9]{0,77})$', description: 'a published root, decimal' } as const;

/**
 * Tree chunks (services/tree-chunks.ts): public, static, content-addressed files a holder builds
 * its Merkle path from without telling anyone which leaf it wants. No credential id, token or
 * leaf index appears in any request; a CDN or mirror can serve them, and the holder checks them
 * against the root it read on chain.
 * - `GET /tree/chunks`: which roots have files, and the chunk size (the only mutable answer here).
 * - `GET /tree/:root/top.bin`: every node above chunk level.
 * - `GET /tree/:root/chunk/:n.bin`: the leaves of chunk n (only chunks holding issued leaves exist),
 *   read from the store's chunk files (store/tree-chunk-files.ts) through a bounded cache.
 */
export async function treeChunkRoutes(app: FastifyInstance, chunks: TreeChunkService): Promise<void> {
  const view = (s: TreeSnapshot) => ({
    root: s.root.toString(),
    leafCount: s.leafCount,
    chunks: s.chunks.length,
    top: `/tree/${s.root}/top.bin`,
  });

  app.get(
    '/tree/chunks',
    {
      schema: {
        tags: ['public'],
        summary: 'Published roots whose tree files are served, newest first, and the chunk size',
        description: 'A holder fetches `top` and the chunk `floor(leafIndex / chunkLeaves)` of the root it read on chain; see docs/issuer-service.md, "Tree chunks".',
        response: {
          200: {
            type: 'object',
            properties: {
              depth: { type: 'integer' },
              chunkLevels: { type: 'integer' },
              chunkLeaves: { type: 'integer' },
              roots: {
                type: 'array',
                items: { type: 'object', properties: { root: { type: 'string' }, leafCount: { type: 'integer' }, chunks: { type: 'integer' }, top: { type: 'string' } } },
              },
            },
          },
          ...errorResponses,
        },
      },
    },
    async (_req, reply) => {
      // Changes with each publication: a short cache, like the status list's.
      void reply.header('cache-control', 'public, max-age=60');
      return { depth: chunks.depth, chunkLevels: chunks.chunkLevels, chunkLeaves: chunkCapacity(chunks.chunkLevels), roots: chunks.roots().map(view) };
    },
  );

  app.get<{ Params: { root: string } }>(
    '/tree/:root/top.bin',
    {
      schema: {
        tags: ['public'],
        summary: 'Top of a published root’s tree: every node from the chunk roots up (binary, immutable)',
        params: { type: 'object', required: ['root'], properties: { root: rootParam } },
        response: { ...errorResponses },
      },
    },
    async (req, reply) => sendFile(req, reply, chunks.topFile(servedRoot(chunks, req.params.root))),
  );

  app.get<{ Params: { root: string; file: string } }>(
    '/tree/:root/chunk/:file',
    {
      schema: {
        tags: ['public'],
        summary: 'The leaves of one chunk of a published root’s tree (binary, immutable)',
        params: {
          type: 'object',
          required: ['root', 'file'],
          properties: { root: rootParam, file: { type: 'string', pattern: '^(0|[1-9][0-9]{0,9})\\.bin$', description: '`<n>.bin`, n = floor(leafIndex / chunkLeaves)' } },
        },
        response: { ...errorResponses },
      },
    },
    async (req, reply) => {
      const snapshot = servedRoot(chunks, req.params.root);
      const index = Number(req.params.file.slice(0, -'.bin'.length));
      const file = await chunks.chunkFile(snapshot, index);
      if (!file) {
        throw new ApiError(
          404,
          'chunk_not_found',
          `chunk ${index} holds no issued leaf at this root (chunks 0..${snapshot.chunks.length - 1} exist; the rest are empty subtrees)`,
          'file',
          'existing-chunk',
        );
      }
      return sendFile(req, reply, file);
    },
  );
}

function servedRoot(chunks: TreeChunkService, param: string): TreeSnapshot {
  const root = BigInt(param);
  if (root >= SNARK_FIELD) throw invalidField('root', 'field-element', 'a root is below the BN254 scalar field order');
  const snapshot = chunks.snapshot(root);
  if (!snapshot) {
    throw new ApiError(
      404,
      'root_not_served',
      `no tree files for root ${param}: only the ${chunks.roots().length} latest published roots are served (GET /tree/chunks lists them)`,
      'root',
      'served-root',
    );
  }
  return snapshot;
}

function sendFile(req: FastifyRequest, reply: FastifyReply, file: TreeFile) {
  void reply.header('cache-control', TREE_FILE_CACHE_CONTROL);
  void reply.header('etag', file.etag);
  const match = req.headers['if-none-match'];
  if (typeof match === 'string' && match.split(',').some((tag) => tag.trim() === file.etag)) return reply.code(304).send();
  return reply.type('application/octet-stream').send(Buffer.from(file.bytes.buffer, file.bytes.byteOffset, file.bytes.byteLength));
}
