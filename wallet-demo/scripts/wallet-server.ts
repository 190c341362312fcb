import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { extname, join, normalize, sep } from 'node:path';
import { isAddress, parseEther, parseUnits, type Signer } from 'ethers';
import { connectZkKyc, type ZkKycDeployment } from '@zkkyc/sdk';
import { securityHeaders, type SecurityHeaderSources } from './security-headers.js';

/**
 * Serves the built wallet, the circuit artifacts and the two JSON files the app starts from, plus
 * the dev chain operator (gas for new wallets, demo tokens for verified ones). 127.0.0.1 only.
 * Every response carries the security headers (security-headers.ts): a CSP whose connect-src is
 * the issuer, node and relayer named in the served wallet-config.json, and no framing. The
 * operator's routes answer only the wallet itself: see {@link operatorRefusal}.
 */
export interface WalletServerOptions {
  distDir: string;
  artifactsDir: string;
  /** Served at /wallet-config.json and /deployment.json. */
  files: Record<string, () => unknown>;
  operator?: { signer: Signer; deployment: () => ZkKycDeployment };
  /** Origins the wallet may fetch from besides those in wallet-config.json. */
  connectSources?: string[];
}

/** The CSP sources: what the served wallet-config.json names, read on each request (it may change). */
function headerSources(options: WalletServerOptions): SecurityHeaderSources {
  const config = (options.files['wallet-config.json']?.() ?? {}) as SecurityHeaderSources;
  return { issuerUrl: config.issuerUrl, rpcUrl: config.rpcUrl, relayerUrl: config.relayerUrl, connect: options.connectSources };
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.wasm': 'application/wasm',
  '.zkey': 'application/octet-stream',
  '.svg': 'image/svg+xml',
};

const MINT_AMOUNT = '1000';

/** Resolves `urlPath` under `root`, refusing anything that climbs out of it. */
function inside(root: string, urlPath: string): string | null {
  const path = normalize(join(root, decodeURIComponent(urlPath)));
  return path === root || path.startsWith(root.endsWith(sep) ? root : root + sep) ? path : null;
}

async function sendFile(req: IncomingMessage, res: ServerResponse, path: string | null): Promise<boolean> {
  if (!path) return false;
  const info = await stat(path).catch(() => null);
  if (!info?.isFile()) return false;
  res.writeHead(200, { 'content-type': TYPES[extname(path)] ?? 'application/octet-stream', 'content-length': info.size, 'cache-control': 'no-cache' });
  if (req.method === 'HEAD') res.end();
  else createReadStream(path).pipe(res);
  return true;
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body, (_k, v) => (typeof v === 'bigint' ? v.toString() : v)));
}

async function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  let raw = '';
  for await (const chunk of req) {
    raw += chunk;
    if (raw.length > 4096) throw new Error('body too large');
  }
  return JSON.parse(raw || '{}');
}

async function operate(op: NonNullable<WalletServerOptions['operator']>, action: string, body: Record<string, unknown>): Promise<[number, unknown]> {
  const address = String(body.address ?? '');
  if (!isAddress(address)) return [400, { error: 'address: not an Ethereum address' }];
  const provider = op.signer.provider!;
  if (action === 'fund') {
    const balance = await provider.getBalance(address);
    if (balance >= parseEther('0.5')) return [200, { balance: balance.toString() }];
    const tx = await op.signer.sendTransaction({ to: address, value: parseEther('1') });
    await tx.wait();
    return [200, { txHash: tx.hash, balance: (await provider.getBalance(address)).toString() }];
  }
  if (action === 'mint') {
    const deployment = op.deployment();
    const record = deployment.tokens.find((t) => t.symbol === body.symbol);
    if (!record) return [400, { error: `symbol: no token ${String(body.symbol)} in the deployment` }];
    const contracts = connectZkKyc(deployment, op.signer);
    if (!(await contracts.complianceGate.isVerified(BigInt(record.policyId), address))) {
      return [409, { error: `${address} is not verified for policy ${record.policyId}; the token would refuse the mint` }];
    }
    const amount = parseUnits(MINT_AMOUNT, record.decimals);
    const tx = await contracts.tokens[record.symbol].token.mint(address, amount);
    await tx.wait();
    return [200, { txHash: tx.hash, amount: amount.toString() }];
  }
  return [404, { error: `no operator action ${action}` }];
}

/**
 * Why a request may not use the operator's /dev/* routes, or null when it may. Any web page the
 * holder visits can POST to 127.0.0.1, and a "simple" request (a form, or fetch with text/plain)
 * reaches the server without asking. So the routes take:
 * - `content-type: application/json` only — from another site's page that needs a CORS preflight,
 *   which this server never grants;
 * - an `Origin`, when sent, equal to the wallet's own — browsers send it on every cross-site POST
 *   (and `null` from sandboxed or file pages, refused too); a caller without one is not a browser;
 * - a `Host` naming this server (127.0.0.1 or localhost at its port), so a site whose DNS name
 *   turns into 127.0.0.1 after loading (DNS rebinding) is not mistaken for the wallet.
 */
export function operatorRefusal(headers: IncomingMessage['headers'], port: number): string | null {
  const own = [`127.0.0.1:${port}`, `localhost:${port}`];
  if (!own.includes(String(headers.host ?? '').toLowerCase())) return `host: must be this server (${own.join(' or ')})`;
  const origin = headers.origin;
  if (origin !== undefined && !own.map((host) => `http://${host}`).includes(origin.toLowerCase())) {
    return `origin: must be the wallet's own (http://${own[0]}); the dev operator refuses other sites`;
  }
  const type = String(headers['content-type'] ?? '')
    .split(';')[0]
    .trim()
    .toLowerCase();
  if (type !== 'application/json') return 'content-type: must be application/json';
  return null;
}

/** Starts the server on 127.0.0.1:`port` (0 = any free port). */
export async function startWalletServer(options: WalletServerOptions, port: number): Promise<{ server: Server; url: string }> {
  // One operator transaction at a time: they share the deployer's nonce.
  let operatorQueue: Promise<unknown> = Promise.resolve();
  let listening = port;
  const server = createServer(async (req, res) => {
    try {
      for (const [name, value] of Object.entries(securityHeaders(headerSources(options)))) res.setHeader(name, value);
      const url = new URL(req.url ?? '/', 'http://localhost');
      const path = url.pathname;
      if (path.startsWith('/dev/') && req.method === 'POST' && options.operator) {
        const refused = operatorRefusal(req.headers, listening);
        if (refused) return json(res, 403, { error: refused });
        const body = await readJson(req);
        const run = operatorQueue.then(() => operate(options.operator!, path.slice(5), body));
        operatorQueue = run.catch(() => undefined);
        const [status, result] = await run;
        return json(res, status, result);
      }
      if (req.method !== 'GET' && req.method !== 'HEAD') return json(res, 405, { error: 'method not allowed' });
      const file = options.files[path.slice(1)];
      if (file) return json(res, 200, file());
      if (path.startsWith('/artifacts/') && (await sendFile(req, res, inside(options.artifactsDir, path.slice('/artifacts/'.length))))) return;
      if (await sendFile(req, res, inside(options.distDir, path === '/' ? 'index.html' : path.slice(1)))) return;
      json(res, 404, { error: `not found: ${path}` });
    } catch (err) {
      json(res, 500, { error: (err as Error).message });
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  const actual = typeof address === 'object' && address ? address.port : port;
  listening = actual;
  return { server, url: `http://127.0.0.1:${actual}` };
}
