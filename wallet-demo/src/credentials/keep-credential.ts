import type { StoredCredential } from '../storage/wallet-state.js';
import type { WalletSession } from '../wallet-session.js';
import { openCredential } from './received-credential.js';

/**
 * Checks a received credential against this wallet (signature, holder, identity commitment, leaf —
 * received-credential.ts) and keeps it, encrypted, with the issuer's status. A credential already
 * in the wallet is not added twice. Throws, keeping nothing, when the check fails.
 */
export async function keepCredential(session: WalletSession, stored: StoredCredential, status: string): Promise<boolean> {
  if (session.state.credentials.some((c) => c.id === stored.id)) return false;
  const opened = await openCredential(stored, await session.holderFor(stored.issuerDid));
  session.state.credentials.push(stored);
  session.opened.set(stored.id, opened);
  session.credentialStatus.set(stored.id, status);
  await session.save();
  return true;
}
