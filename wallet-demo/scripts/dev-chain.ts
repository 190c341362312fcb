import { spawn, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';

/**
 * A Hardhat JSON-RPC node in a child process, on 127.0.0.1 only. The browser wallet talks to it
 * over HTTP like to any chain, which an in-process EVM could not offer.
 */
export interface DevChain {
  rpcUrl: string;
  stop(): Promise<void>;
}

const require = createRequire(import.meta.url);

/** Starts `hardhat node` from `repoRoot` (where hardhat.config.cjs lives) and waits until it answers. */
export async function startDevChain(repoRoot: string, port: number, log: (line: string) => void): Promise<DevChain> {
  const cli = require.resolve('hardhat/internal/cli/bootstrap.js', { paths: [repoRoot] });
  // Own process group, so stopping it also stops anything hardhat spawned.
  const child = spawn(process.execPath, [cli, 'node', '--hostname', '127.0.0.1', '--port', String(port)], {
    cwd: repoRoot,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, HARDHAT_DISABLE_TELEMETRY_PROMPT: 'true' },
  });
  let output = '';
  const collect = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-4000);
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  const rpcUrl = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  while (!(await answers(rpcUrl))) {
    if (child.exitCode !== null) throw new Error(`hardhat node exited (${child.exitCode}): ${output}`);
    if (Date.now() > deadline) {
      await stopProcess(child);
      throw new Error(`hardhat node did not answer on ${rpcUrl} within 60 s: ${output}`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  log(`chain: hardhat node on ${rpcUrl} (pid ${child.pid})`);
  return { rpcUrl, stop: () => stopProcess(child) };
}

async function answers(rpcUrl: string): Promise<boolean> {
  try {
    const response = await fetch(rpcUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_chainId', params: [] }),
    });
    return response.ok;
  } catch {
    return false;
  }
}

function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.pid === undefined) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        // already gone
      }
    }, 5000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    try {
      process.kill(-child.pid!, 'SIGTERM');
    } catch {
      clearTimeout(timer);
      resolve();
    }
  });
}
