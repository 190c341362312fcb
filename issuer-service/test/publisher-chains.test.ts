import { afterEach, describe, expect, it } from '@jest/globals';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import Database from 'better-sqlite3';
import { JsonRpcProvider } from 'ethers';
import { redactUrls, RootPublisher, type AnchorChain } from '../src/publisher.js';
import type { RootAnchor } from '../src/root-anchor.js';
import { RootAnchoringLog } from '../src/store/root-anchorings.js';
import { sqliteRunner } from '../src/store/sql-runner.js';
import { refuseDuplicateChains } from '../src/registry-connection.js';
import type { IssuerStore, RootPublicationRecord } from '../src/store/issuer-store.js';

/**
 * The publisher per chain, against a store double (tree state and publications in memory) and the
 * real `root_anchorings` SQL on an in-memory SQLite: a root that comes back, errors that carry an
 * RPC URL, and chains that are slow or whose send times out after landing.
 */
const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

function fakeStore(initial: { root: string; leafCount: number }) {
  const publications: RootPublicationRecord[] = [];
  const state = { ...initial, revision: 1 };
  const store = {
    treeState: async () => ({ ...state }),
    latestRootPublication: async () => publications.at(-1) ?? null,
    recordRootPublication: async (p: RootPublicationRecord) => void publications.push(p),
    recordAudit: async () => undefined,
  } as unknown as IssuerStore;
  return { store, state, publications };
}

function anchorings(): RootAnchoringLog {
  const db = new Database(':memory:');
  db.exec('CREATE TABLE root_anchorings (chain TEXT NOT NULL, root TEXT NOT NULL, tx_hash TEXT, anchored_at BIGINT NOT NULL, PRIMARY KEY (chain, root))');
  cleanups.push(() => void db.close());
  return new RootAnchoringLog(sqliteRunner(db));
}

/** A chain in memory that counts sends and confirmations. */
function memoryChain(): RootAnchor & { sends: bigint[]; confirms: number; held: bigint | null } {
  const chain = {
    sends: [] as bigint[],
    confirms: 0,
    held: null as bigint | null,
    publishRoot: async (root: bigint) => {
      chain.sends.push(root);
      chain.held = root;
      return { txHash: `0x${chain.sends.length.toString(16)}` };
    },
    currentRoot: async () => chain.held,
    confirmIfAging: async () => {
      chain.confirms++;
      return { txHash: '0xc0' };
    },
  };
  return chain;
}

function publisher(chains: AnchorChain[], store: IssuerStore, extra: Partial<ConstructorParameters<typeof RootPublisher>[0]> = {}) {
  let now = 1_000;
  const p = new RootPublisher({ chains, store, anchorings: anchorings(), clock: { now: () => (now += 10) } as never, intervalMs: 0, attempts: 1, retryDelayMs: 1, ...extra });
  cleanups.push(() => p.stop());
  return p;
}

describe('a root that comes back', () => {
  it('after A, B, A again each chain shows A as current and it is confirmed, not stuck on B', async () => {
    const { store, state } = fakeStore({ root: '111', leafCount: 1 });
    const a = memoryChain();
    const b = memoryChain();
    const p = publisher(
      [
        { name: 'a', anchor: a },
        { name: 'b', anchor: b },
      ],
      store,
    );
    expect((await p.publishNow()).status).toBe('published');
    Object.assign(state, { root: '222', leafCount: 2 });
    expect((await p.publishNow()).status).toBe('published');
    // Revoking the newest leaf restores the earlier root.
    Object.assign(state, { root: '111', leafCount: 2 });
    expect((await p.publishNow()).status).toBe('published');
    expect(a.sends).toEqual([111n, 222n, 111n]);
    expect(await p.chainStatus()).toEqual([expect.objectContaining({ chain: 'a', anchoredRoot: '111', current: true }), expect.objectContaining({ chain: 'b', anchoredRoot: '111', current: true })]);
    // The next run sees the root as recorded: it is confirmed (kept fresh), not sent again.
    expect((await p.publishNow()).status).toBe('confirmed');
    expect(a.confirms).toBe(1);
    expect(a.sends).toHaveLength(3);
  });
});

describe('errors that carry an RPC URL', () => {
  it('keep the API key out of /health (chainStatus), the thrown error and the log', async () => {
    // A node that refuses the key: ethers' message for it holds the full request URL.
    const server = http.createServer((_req, res) => {
      res.statusCode = 401;
      res.end('{"error":"invalid project id"}');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
    const port = (server.address() as AddressInfo).port;
    const provider = new JsonRpcProvider(`http://user:pass@127.0.0.1:${port}/v3/SECRET_API_KEY_123?key=SECRET2`, undefined, { staticNetwork: true, cacheTimeout: -1 });
    cleanups.push(() => provider.destroy());
    const node: RootAnchor = {
      currentRoot: async () => BigInt(await provider.getBlockNumber()),
      publishRoot: async () => ({ txHash: '0x' }),
    };
    const logged: string[] = [];
    const { store } = fakeStore({ root: '111', leafCount: 1 });
    const p = publisher(
      [
        { name: 'keyed', anchor: node },
        { name: 'keyed-2', anchor: node },
      ],
      store,
      { log: (message, err) => logged.push(`${message} ${(err as Error)?.message} ${JSON.stringify(err)} ${(err as Error)?.stack}`) },
    );
    const thrown = await p.publishNow().then(
      () => null,
      (err: Error) => err,
    );
    expect(thrown).toBeInstanceOf(Error);
    const status = await p.chainStatus();
    expect(status[0].lastError).toMatch(/401|SERVER_ERROR/);
    // Loggers print an error's causes with it (pino: "message: cause message"): none may hold the URL either.
    const causes: string[] = [];
    for (let e: unknown = thrown; e instanceof Error; e = e.cause) causes.push(`${e.message} ${JSON.stringify(e)}`);
    expect(causes.length).toBeGreaterThan(1);
    const everything = [...causes, JSON.stringify(status), ...logged].join('\n');
    expect(logged.length).toBeGreaterThan(0);
    expect(everything).not.toMatch(/SECRET|user:pass|\/v3\//);
  });

  it('cut every URL in a message to scheme and host (userinfo, path and query go)', () => {
    expect(redactUrls('failed (info={ "requestUrl": "https://u:p@mainnet.example:8545/v3/KEY?x=KEY2" }) and wss://node.example/ws/KEY3')).toBe(
      'failed (info={ "requestUrl": "https://mainnet.example:8545" }) and wss://node.example',
    );
  });
});

describe('chains run on their own', () => {
  it('a chain that hangs neither delays the other chain’s next roots nor gets a second send queued', async () => {
    const { store, state, publications } = fakeStore({ root: '111', leafCount: 1 });
    const fast = memoryChain();
    const slowSends: bigint[] = [];
    const slow: RootAnchor = {
      currentRoot: async () => null,
      publishRoot: (root) => {
        slowSends.push(root);
        return new Promise(() => undefined);
      },
    };
    const p = publisher(
      [
        { name: 'fast', anchor: fast },
        { name: 'slow', anchor: slow },
      ],
      store,
      { intervalMs: 20, chainTimeoutMs: 1_500 },
    );
    p.start();
    const until = async (condition: () => boolean, ms: number) => {
      const started = Date.now();
      while (!condition()) {
        if (Date.now() - started > ms) throw new Error(`not within ${ms} ms`);
        await new Promise((r) => setTimeout(r, 10));
      }
    };
    // The root is recorded as published as soon as one chain holds it.
    await until(() => publications.length === 1, 600);
    Object.assign(state, { root: '222', leafCount: 2 });
    await until(() => fast.sends.includes(222n), 600);
    await until(() => publications.length === 2, 600);
    // The slow chain's run is still in flight: its ticks were skipped, not queued.
    expect(slowSends).toEqual([111n]);
  });

  it('a send that timed out but landed is not sent again on retry', async () => {
    const { store } = fakeStore({ root: '111', leafCount: 1 });
    const sends: bigint[] = [];
    let held: bigint | null = null;
    const landsLate: RootAnchor = {
      currentRoot: async () => held,
      publishRoot: (root) => {
        sends.push(root);
        held = root;
        return new Promise(() => undefined);
      },
    };
    const p = publisher([{ name: 'late', anchor: landsLate }], store, { attempts: 2, chainTimeoutMs: 100 });
    const outcome = await p.publishNow();
    expect(sends).toEqual([111n]);
    expect(outcome.status).toBe('already-anchored');
    expect((await p.chainStatus())[0]).toMatchObject({ anchoredRoot: '111', current: true });
  });
});

describe('ANCHOR_CHAINS entries that are one chain behind two URLs', () => {
  const registry = '0x' + '11'.repeat(20);
  const key = '0x' + '22'.repeat(32);
  const base = { name: 'x', registryAddress: registry, issuerId: '7', publisherKey: key };

  it('refuses to start, naming both entries, when eth_chainId says the same chain, registry and issuer', async () => {
    // A node answering eth_chainId, reached through two URLs.
    let answer = '0xa';
    const server = http.createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        // ethers sends batches (a JSON list).
        const calls = [JSON.parse(body)].flat() as Array<{ id: number }>;
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify(calls.map(({ id }) => ({ jsonrpc: '2.0', id, result: answer }))));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
    const port = (server.address() as AddressInfo).port;
    const config = {
      treeId: '7',
      anchorChains: [
        { ...base, name: 'first', rpcUrl: `http://127.0.0.1:${port}/a` },
        { ...base, name: 'second', rpcUrl: `http://127.0.0.1:${port}/b?provider=2` },
      ],
    };
    await expect(refuseDuplicateChains(config)).rejects.toThrow(/"first" and "second" are the same chain \(eth_chainId 10\)/);
    // Another issuer on that registry is another place: accepted.
    await expect(refuseDuplicateChains({ ...config, anchorChains: [config.anchorChains[0], { ...config.anchorChains[1], issuerId: '8' }] })).resolves.toBeUndefined();
    // Local dev nodes (Hardhat, Anvil) all report 31337: two of them are not refused.
    answer = '0x7a69';
    await expect(refuseDuplicateChains(config)).resolves.toBeUndefined();
  });

  it('accepts distinct chain ids, and leaves a node that does not answer out of the comparison with a warning', async () => {
    const warned: string[] = [];
    const ids: Record<string, bigint> = { 'http://a.example': 1n, 'http://b.example': 10n };
    const chainId = async (url: string) => {
      if (!(url in ids)) throw new Error(`down: ${url}/v3/SECRET`);
      return ids[url];
    };
    const chains = ['http://a.example', 'http://b.example', 'http://c.example'].map((rpcUrl, i) => ({ ...base, name: `c${i}`, rpcUrl }));
    await expect(refuseDuplicateChains({ treeId: '7', anchorChains: chains }, { chainId, warn: (m) => warned.push(m) })).resolves.toBeUndefined();
    expect(warned).toEqual([expect.stringMatching(/^chain c2: eth_chainId unanswered/)]);
    expect(warned[0]).not.toMatch(/SECRET/);
  });
});
