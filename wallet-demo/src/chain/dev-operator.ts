/**
 * The demo chain's operator (scripts/serve.ts): it pays a new wallet's first gas and, as the
 * token's agent, mints demo tokens to wallets the gate has verified. Present only on dev chains;
 * a real wallet brings its own ETH and buys tokens from the issuer of the asset.
 */
export class DevOperator {
  constructor(private readonly baseUrl: string) {}

  /** Tops the wallet up with test ETH for gas. */
  fund(address: string): Promise<{ txHash?: string; balance: string }> {
    return this.post('fund', { address });
  }

  /** Mints demo tokens to a verified wallet (refused by the token otherwise). */
  mint(address: string, symbol: string): Promise<{ txHash: string; amount: string }> {
    return this.post('mint', { address, symbol });
  }

  private async post<T>(path: string, body: unknown): Promise<T> {
    const response = await fetch(`${this.baseUrl}/${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const json = (await response.json().catch(() => ({}))) as { error?: string };
    if (!response.ok) throw new Error(`dev operator ${path}: ${json.error ?? response.statusText}`);
    return json as T;
  }
}
