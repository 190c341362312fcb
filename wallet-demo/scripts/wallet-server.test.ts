/**
 * The dev operator's routes (/dev/fund, /dev/mint) spend the deployer's ETH and mint tokens: only
 * the wallet's own page may call them. Another site's page, a text/plain "simple" POST, or a
 * rebound DNS name is refused with 403 naming the rule, before the body is read. A request that
 * passes reaches the operator, which here refuses its (missing) address with 400.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtemp } from 'node:fs/promises';
import { request, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import type { Signer } from 'ethers';
import type { ZkKycDeployment } from '@zkkyc/sdk';
import { startWalletServer } from './wallet-server.js';

let server: Server;
let port: number;

function post(path: string, headers: Record<string, string>, body = '{}'): Promise<{ status: number; error?: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method: 'POST', headers: { host: `127.0.0.1:${port}`, ...headers } }, (res) => {
      let text = '';
      res.on('data', (chunk) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode!, error: (JSON.parse(text || '{}') as { error?: string }).error }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

beforeAll(async () => {
  const dir = await mkdtemp(`${tmpdir()}/wallet-server-`);
  const started = await startWalletServer({ distDir: dir, artifactsDir: dir, files: {}, operator: { signer: {} as Signer, deployment: () => ({}) as ZkKycDeployment } }, 0);
  server = started.server;
  port = Number(new URL(started.url).port);
});

afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

describe('dev operator routes', () => {
  const json = { 'content-type': 'application/json' };

  it("serve the wallet's own page (same origin, JSON) and callers without a browser (no Origin)", async () => {
    for (const origin of [`http://127.0.0.1:${port}`, `http://localhost:${port}`]) {
      await expect(post('/dev/fund', { ...json, origin })).resolves.toEqual({ status: 400, error: 'address: not an Ethereum address' });
    }
    await expect(post('/dev/mint', { 'content-type': 'application/json; charset=utf-8' })).resolves.toEqual({ status: 400, error: 'address: not an Ethereum address' });
    await expect(post('/dev/fund', { ...json, host: `localhost:${port}` })).resolves.toMatchObject({ status: 400 });
  });

  it("refuse another site's page, an opaque origin, a simple text/plain or form POST, and a rebound host name", async () => {
    const address = JSON.stringify({ address: '0x000000000000000000000000000000000000dEaD' });
    await expect(post('/dev/fund', { ...json, origin: 'https://evil.example' }, address)).resolves.toEqual({
      status: 403,
      error: `origin: must be the wallet's own (http://127.0.0.1:${port}); the dev operator refuses other sites`,
    });
    await expect(post('/dev/mint', { ...json, origin: 'null' }, address)).resolves.toMatchObject({ status: 403, error: expect.stringMatching(/^origin: /) });
    // Another port of 127.0.0.1 is another origin.
    await expect(post('/dev/fund', { ...json, origin: `http://127.0.0.1:${port + 1}` }, address)).resolves.toMatchObject({ status: 403 });
    for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x']) {
      await expect(post('/dev/fund', { 'content-type': type }, address)).resolves.toEqual({ status: 403, error: 'content-type: must be application/json' });
    }
    await expect(post('/dev/fund', {}, address)).resolves.toEqual({ status: 403, error: 'content-type: must be application/json' });
    await expect(post('/dev/fund', { ...json, host: `rebound.example:${port}`, origin: `http://rebound.example:${port}` }, address)).resolves.toEqual({
      status: 403,
      error: `host: must be this server (127.0.0.1:${port} or localhost:${port})`,
    });
  });
});
