import { spawn, type ChildProcess } from 'node:child_process';
import { expect } from '@jest/globals';
import { makeHolder } from './holder.js';
import { GOOD_ATTRIBUTES, REVIEWER_KEY } from './service.js';
import { ALL_ROLES } from './people.js';

/**
 * The issuer service as a real child process (`main.ts` under tsx), for tests that kill it with
 * SIGKILL. Every child is remembered so `killAll()` in `afterAll` leaves nothing running.
 */
const children: ChildProcess[] = [];

export function killAll(): void {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
}

/** Spawns `args` under node (cwd = repo root) and resolves once `ready` matches its output. */
export async function spawnUntil(args: string[], env: NodeJS.ProcessEnv, ready: RegExp): Promise<{ child: ChildProcess; match: RegExpExecArray }> {
  const child = spawn(process.execPath, args, { cwd: process.cwd(), env: { ...process.env, NODE_OPTIONS: '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let output = '';
  const match = await new Promise<RegExpExecArray>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const m = ready.exec(output);
      if (m) resolve(m);
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.on('exit', (code) => reject(new Error(`${args.join(' ')} exited (${code}) before it was ready:\n${output}`)));
  });
  return { child, match };
}

/** Starts `issuer-service/src/main.ts` with `env` on a free port; resolves with its URL. */
export async function startChildService(env: NodeJS.ProcessEnv): Promise<{ child: ChildProcess; url: string }> {
  const { child, match } = await spawnUntil(
    ['--import', 'tsx', 'issuer-service/src/main.ts'],
    {
      PORT: '0',
      HOST: '127.0.0.1',
      REVIEWER_API_KEYS: `alice:${REVIEWER_KEY}:${ALL_ROLES}`,
      PUBLISH_INTERVAL_SECONDS: '0',
      HOLDER_RATE_LIMIT: '10000',
      // Outside dev mode a VC 2.0 issuer needs a public status URL (main.ts refuses to start without one).
      STATUS_BASE_URL: 'http://127.0.0.1',
      ...env,
    },
    /listening on (http:\/\/127\.0\.0\.1:\d+)/,
  );
  return { child, url: match[1] };
}

export function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

/** One JSON request over real HTTP. */
export async function call(url: string, method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(url + path, {
    method,
    headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, json: (await res.json()) as any };
}

/** A fresh holder applies (challenge + signed application); returns the application id and token. */
export async function applyOver(url: string): Promise<{ id: string; token: string }> {
  const holder = makeHolder();
  const ch = await call(url, 'POST', '/challenges', { did: holder.did });
  const res = await call(url, 'POST', '/applications', {
    did: holder.did,
    challenge: ch.json.nonce,
    signature: await holder.sign(ch.json.nonce),
    identityCommitment: holder.idc.toString(),
    attributes: GOOD_ATTRIBUTES,
  });
  expect(res.status).toBe(201);
  return { id: res.json.id, token: res.json.accessToken };
}
