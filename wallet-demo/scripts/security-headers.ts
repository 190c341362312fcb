/**
 * The headers every response of the wallet's server carries: a Content-Security-Policy that lets
 * the page run only its own scripts and talk only to the servers its configuration names, and
 * refuses to be framed (a framed wallet is a clickjacking target: an invisible "Lock"/"Register"
 * under someone else's page).
 *
 * Why each exception exists:
 * - script-src 'wasm-unsafe-eval': the prover (snarkjs, ffjavascript) compiles WebAssembly; this
 *   allows WebAssembly compilation only, not eval() of JavaScript.
 * - worker-src blob: — the proving Web Worker is the app's own file ('self'), but ffjavascript, inside
 *   it, starts its thread pool from a Blob URL of its own source. Only a script already running
 *   under this policy can make such a URL.
 * - connect-src: the issuer, the chain's RPC node and the relayer from wallet-config.json, by origin.
 *   Anything else (an OpenID4VCI offer naming another issuer, for instance) is refused by the browser.
 * - img-src data: for inline images the UI may generate.
 */
export interface SecurityHeaderSources {
  issuerUrl?: string;
  rpcUrl?: string;
  relayerUrl?: string;
  /** Further origins the wallet may fetch from (another issuer, say). */
  connect?: string[];
}

/**
 * The origin of an absolute http(s) URL; null for a relative one (the wallet's own server, which
 * 'self' covers); refuses anything else, naming the field.
 */
export function originOf(url: string, field: string): string | null {
  if (typeof url === 'string' && !/^[a-z][a-z0-9+.-]*:/i.test(url.trim()) && !url.trim().startsWith('//')) return null;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new Error(`${field}: must be an absolute URL (got ${JSON.stringify(url)})`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new Error(`${field}: must be an http or https URL (got ${parsed.protocol})`);
  return parsed.origin;
}

/** The Content-Security-Policy for a wallet configured with `sources`. */
export function contentSecurityPolicy(sources: SecurityHeaderSources): string {
  const connect = new Set<string>(["'self'"]);
  for (const [field, url] of [
    ['issuerUrl', sources.issuerUrl],
    ['rpcUrl', sources.rpcUrl],
    ['relayerUrl', sources.relayerUrl],
  ] as const) {
    const allowed = url ? originOf(url, field) : null;
    if (allowed) connect.add(allowed);
  }
  for (const url of sources.connect ?? []) {
    const allowed = originOf(url, 'connect');
    if (allowed) connect.add(allowed);
  }
  return [
    "default-src 'self'",
    "script-src 'self' 'wasm-unsafe-eval'",
    "worker-src 'self' blob:",
    `connect-src ${[...connect].join(' ')}`,
    "img-src 'self' data:",
    "style-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "frame-ancestors 'none'",
    "form-action 'self'",
  ].join('; ');
}

/** Every security header, by (lower-case) name. */
export function securityHeaders(sources: SecurityHeaderSources): Record<string, string> {
  return {
    'content-security-policy': contentSecurityPolicy(sources),
    // For browsers without frame-ancestors; the CSP wins where both are understood.
    'x-frame-options': 'DENY',
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
  };
}
