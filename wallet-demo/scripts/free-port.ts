import { createServer } from 'node:net';

/** Listens on 127.0.0.1:`port` for a moment; resolves with the port actually bound. */
function probe(port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      const address = server.address();
      const bound = typeof address === 'object' && address ? address.port : port;
      server.close(() => resolve(bound));
    });
  });
}

/** A TCP port on 127.0.0.1 that was free a moment ago (the OS picks it). */
export function freePort(): Promise<number> {
  return probe(0);
}

/** `preferred` when it is free, otherwise any free port (another process may hold the default). */
export async function preferredOrFreePort(preferred: number): Promise<number> {
  try {
    return await probe(preferred);
  } catch {
    return freePort();
  }
}
