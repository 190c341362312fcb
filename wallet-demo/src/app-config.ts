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
