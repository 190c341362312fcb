import type { ZkKycDeployment } from '@zkkyc/sdk';

/**
 * Where the wallet finds the rest of the system. scripts/serve.ts writes both files next to the
 * built app; any other host can serve its own.
 */
export interface WalletConfig {
  rpcUrl: string;
  issuerUrl: string;
  /** Path of the deployment record (ZkKycDeployment JSON), relative to the app. */
  deploymentUrl: string;
  /** Dev chain only: an operator endpoint that funds gas and mints demo tokens to verified wallets. */
  devOperatorUrl?: string;
  /** Dev only: a wallet already verified for the first token, to try a transfer to. */
  demoRecipient?: string;
  /** A relayer (relayer/README.md) that registers with the account's EIP-712 consent and pays the gas; unset = the account pays. */
  relayerUrl?: string;
  /** Minutes without a click or key press after which the wallet locks itself (default {@link DEFAULT_AUTO_LOCK_MINUTES}). */
  autoLockMinutes?: number;
}

export const DEFAULT_AUTO_LOCK_MINUTES = 5;

/** The configured auto-lock delay in minutes; refuses, naming the field, a value that is not a positive number. */
export function autoLockMinutesOf(config: WalletConfig): number {
  const minutes = config.autoLockMinutes ?? DEFAULT_AUTO_LOCK_MINUTES;
  if (typeof minutes !== 'number' || !Number.isFinite(minutes) || minutes <= 0) {
    throw new Error(`autoLockMinutes: must be a positive number of minutes (wallet-config.json has ${JSON.stringify(config.autoLockMinutes)})`);
  }
  return minutes;
}

export interface LoadedConfig {
  config: WalletConfig;
  deployment: ZkKycDeployment;
}

/** Fetches wallet-config.json and the deployment it points to. */
export async function loadWalletConfig(): Promise<LoadedConfig> {
  const config = (await fetchJson('wallet-config.json')) as WalletConfig;
  const deployment = (await fetchJson(config.deploymentUrl)) as ZkKycDeployment;
  return { config, deployment };
}

async function fetchJson(url: string): Promise<unknown> {
  const response = await fetch(url, { cache: 'no-store' });
  if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
  return response.json();
}
