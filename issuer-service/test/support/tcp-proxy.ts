import { createConnection, createServer, type Server, type Socket } from 'node:net';

/**
 * A TCP forwarder in front of a JSON-RPC node, so a test can take "the chain" down and bring it
 * back on the same URL with its state intact (a restarted Hardhat node would be a new, empty chain).
 */
export interface TcpProxy {
  url: string;
  /** Where connections go from now on (a proxy started without a target drops them until then). */
  setTarget(url: string): void;
  /** Closes the listener and every open connection: calls fail with ECONNREFUSED. */
  down(): Promise<void>;
  /** Listens again on the same port. */
  up(): Promise<void>;
  close(): Promise<void>;
}

export async function startTcpProxy(targetUrl?: string): Promise<TcpProxy> {
  let target: URL | null = targetUrl ? new URL(targetUrl) : null;
  const sockets = new Set<Socket>();
  let server: Server | null = null;
  let port = 0;
  const listen = () =>
    new Promise<void>((resolve, reject) => {
      const s = createServer((client) => {
        if (!target) {
          client.destroy();
          return;
        }
        const upstream = createConnection({ host: target.hostname, port: Number(target.port) });
        sockets.add(client);
        sockets.add(upstream);
        const end = () => {
          client.destroy();
          upstream.destroy();
          sockets.delete(client);
          sockets.delete(upstream);
        };
        client.on('error', end).on('close', end);
        upstream.on('error', end).on('close', end);
        client.pipe(upstream);
        upstream.pipe(client);
      });
      s.once('error', reject);
      s.listen(port, '127.0.0.1', () => {
        port = (s.address() as { port: number }).port;
        server = s;
        resolve();
      });
    });
  const down = async () => {
    const s = server;
    server = null;
    for (const socket of sockets) socket.destroy();
    sockets.clear();
    if (s) await new Promise<void>((resolve) => s.close(() => resolve()));
  };
  await listen();
  return {
    url: `http://127.0.0.1:${port}`,
    setTarget: (url) => {
      target = new URL(url);
    },
    down,
    up: () => (server ? Promise.resolve() : listen()),
    close: down,
  };
}
