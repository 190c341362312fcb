import type { IssuerStore } from './store/issuer-store.js';
import type { TreeChunkService } from './services/tree-chunks.js';

type PublishedRootFiles = Pick<TreeChunkService, 'capture' | 'serve' | 'roots' | 'forgetUnpublished'>;

/**
 * Serves the tree files of the latest recorded publication when this instance does not serve them
 * yet. The publisher serves them as it records the root; the other instances on the same database
 * learn of it here. The files are read from the store, so they can only be taken while the tree
 * still has that root: when it has moved on already, the next publication's files are served instead.
 * Returns true when the latest root's files are served.
 */
export async function serveLatestPublishedRoot(store: Pick<IssuerStore, 'latestRootPublication' | 'treeState'>, chunks: PublishedRootFiles): Promise<boolean> {
  const latest = await store.latestRootPublication();
  if (!latest) return false;
  const root = BigInt(latest.root);
  if (chunks.roots()[0]?.root === root) return true;
  // Behind the latest publication: roots older than the latest few may have lost their files to the publisher's prune.
  await chunks.forgetUnpublished();
  // One row first: a capture of a tree that has moved on would store files no publication names.
  if (BigInt((await store.treeState()).root) !== root) return false;
  const captured = await chunks.capture();
  if (!captured || captured.root !== root) return false;
  chunks.serve(captured);
  return true;
}

/**
 * Polls the latest publication every `intervalMs` (the publisher election's period) and serves its
 * files: an instance that does not publish serves the same roots as the one that does. One poll at
 * a time; a failed poll is logged and retried on the next.
 */
export function followPublishedRoots(opts: {
  store: Pick<IssuerStore, 'latestRootPublication' | 'treeState'>;
  chunks: PublishedRootFiles;
  intervalMs: number;
  log?: (message: string, err: unknown) => void;
}): { stop(): Promise<void> } {
  let running: Promise<unknown> | null = null;
  const timer = setInterval(() => {
    if (running) return;
    running = serveLatestPublishedRoot(opts.store, opts.chunks)
      .catch((err) => opts.log?.('serving the latest published root’s tree files failed; retrying', err))
      .finally(() => {
        running = null;
      });
  }, opts.intervalMs);
  // The poll alone must not keep a finished process alive.
  timer.unref();
  return {
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}
