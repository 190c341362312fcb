import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import { createServer as createNetServer, type Server as NetServer } from 'node:net';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { getBytes, SigningKey } from 'ethers';
import { tempDir } from './service.js';

/**
 * Hosts for did:web tests, all on 127.0.0.1: an HTTPS server with a throwaway certificate for a
 * test host name (made with openssl), and a plain TCP server that only counts connections — the
 * place a refused resolution must never reach.
 */

/** A self-signed certificate for `hostname` (its own CA), valid two days. */
export function selfSignedCertificate(hostname: string): { cert: string; key: string } {
  const tmp = tempDir();
  try {
    const key = join(tmp.dir, 'key.pem');
    const cert = join(tmp.dir, 'cert.pem');
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-nodes',
        '-keyout',
        key,
        '-out',
        cert,
        '-subj',
        `/CN=${hostname}`,
        '-addext',
        `subjectAltName=DNS:${hostname}`,
        '-days',
        '2',
      ],
      { stdio: 'ignore' },
    );
    return { cert: readFileSync(cert, 'utf8'), key: readFileSync(key, 'utf8') };
  } finally {
    tmp.cleanup();
  }
}

export type Handler = (req: IncomingMessage, res: ServerResponse) => void;

/** An HTTPS server on 127.0.0.1 answering by path; `hits` counts requests. */
export async function startTlsHost(tls: { cert: string; key: string }): Promise<{
  server: HttpsServer;
  port: number;
  routes: Map<string, Handler>;
  hits: string[];
  close(): Promise<void>;
}> {
  const routes = new Map<string, Handler>();
  const hits: string[] = [];
  const server = createHttpsServer(tls, (req, res) => {
    hits.push(req.url ?? '');
    const handler = routes.get(req.url ?? '');
    if (handler) handler(req, res);
    else res.writeHead(404).end('{}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    server,
    port: (server.address() as AddressInfo).port,
    routes,
    hits,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A TCP server on 127.0.0.1 that counts connections and closes them at once. */
export async function startCountingServer(): Promise<{ server: NetServer; port: number; connections: () => number; close(): Promise<void> }> {
  let count = 0;
  const server = createNetServer((socket) => {
    count++;
    socket.destroy();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    server,
    port: (server.address() as AddressInfo).port,
    connections: () => count,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** A did:web document whose only (authentication) key is `key`'s secp256k1 public key. */
export function holderDidWebDocument(did: string, key: string): Record<string, unknown> {
  const pub = Buffer.from(getBytes(SigningKey.computePublicKey(key, false)));
  const vm = `${did}#key-1`;
  return {
    '@context': ['https://www.w3.org/ns/did/v1', 'https://w3id.org/security/suites/jws-2020/v1'],
    id: did,
    verificationMethod: [
      {
        id: vm,
        type: 'JsonWebKey2020',
        controller: did,
        publicKeyJwk: { kty: 'EC', crv: 'secp256k1', x: pub.subarray(1, 33).toString('base64url'), y: pub.subarray(33).toString('base64url') },
      },
    ],
    authentication: [vm],
  };
}
