import { type Signer } from 'ethers';
import { RelayerApiError, RelayerClient, signRegistrationConsent, type DeployedToken, type RegistrationProof, type RegistrationStatus } from '@zkkyc/sdk';
import type { Review } from '../ui/review-dialog.js';
import type { WalletSession } from '../wallet-session.js';

/**
 * Registration paid by the relayer (relayer/README.md): the active account — one of the wallet's
 * own, or a connected browser wallet's — signs an EIP-712 consent for the relayer to submit this
 * one registration, and the relayer sends it and pays the gas. The account needs no ETH. The relayer
 * sends registrations in batches: the wallet hands its request over, then follows its status
 * (queued, in a batch transaction, registered) until the batch is mined.
 */

/** What the holder reviews before the consent is signed: the review dialog's words. */
export type ConsentReview = Review;

/** Seconds the relayer has to submit the consent (the gate refuses it after). */
const CONSENT_LIFETIME_SECONDS = 600;

/** The configured relayer, if any. */
export function configuredRelayer(session: WalletSession): RelayerClient | undefined {
  const url = session.loaded.config.relayerUrl;
  return url ? new RelayerClient(url) : undefined;
}

/**
 * Whether this registration goes through the relayer: when one is configured, and the holder asked
 * for it (`asked`) or the active account holds no ETH to pay the gas itself.
 */
export async function relayerShouldPay(session: WalletSession, asked: boolean): Promise<boolean> {
  if (!configuredRelayer(session)) return false;
  if (asked) return true;
  const { provider } = await session.chain();
  return (await provider.getBalance(session.identity.address)) === 0n;
}

const short = (address: string) => `${address.slice(0, 6)}…${address.slice(-4)}`;

/** What the holder reads while the relayer's batch is on its way. */
function progressWords(s: RegistrationStatus): string {
  if (s.status === 'queued') return 'The relayer has your registration and will send it with the next batch…';
  if (s.status === 'submitted') return `The relayer sent its batch (${short(s.txHash ?? '')}); waiting for it to be mined…`;
  return 'The relayer’s batch was mined.';
}

/**
 * Asks the holder to review, signs the consent with the active account and has the relayer send
 * the registration. Resolves with the mined transaction, or null when the holder cancelled (nothing
 * signed). Throws in words when the relayer is unreachable, serves another gate, or refuses (with
 * the gate's reason when the gate would refuse).
 */
export async function registerThroughRelayer(
  session: WalletSession,
  request: { token: DeployedToken; policyId: bigint; proof: RegistrationProof; validUntil: string },
  review: (r: ConsentReview) => Promise<boolean>,
  onProgress?: (words: string) => void,
): Promise<{ txHash: string; relayer: string } | null> {
  const client = configuredRelayer(session);
  if (!client) throw new Error('no relayer is configured for this wallet');
  const { provider, contracts } = await session.chain();
  const gate = contracts.complianceGate;
  const gateAddress = await gate.getAddress();
  const health = await client.health().catch((err: unknown) => {
    throw new Error(`the relayer cannot be reached (${(err as Error).message}); pay the fee yourself or try later`);
  });
  const { chainId } = session.loaded.deployment;
  if (health.gate.toLowerCase() !== gateAddress.toLowerCase() || health.chainId !== Number(chainId)) {
    throw new Error(`the configured relayer registers at gate ${health.gate} on chain ${health.chainId}, not this token’s gate ${gateAddress} on chain ${chainId}`);
  }
  const wallet = session.identity.address;
  const confirmed = await review({
    title: `Review your registration for ${request.token.symbol}`,
    action: `Register wallet ${short(wallet)} as verified for ${request.token.name} (${request.token.symbol}) until ${request.validUntil} at most`,
    to: `the token’s compliance gate at ${short(gateAddress)}, sent by the relayer at ${short(health.relayer)}`,
    fee: 'paid by the relayer',
    details: [
      ['Wallet', wallet],
      ['Compliance gate', gateAddress],
      ['Relayer', health.relayer],
      ['What you sign', `a consent (EIP-712) letting the relayer submit this one registration within ${CONSENT_LIFETIME_SECONDS / 60} minutes; it cannot move your tokens`],
    ],
  });
  if (!confirmed) return null;
  // From the later of the chain's last block and the clock: an idle dev chain's last block can be old.
  const block = await provider.getBlock('latest');
  const deadline = BigInt(Math.max(block?.timestamp ?? 0, Math.floor(Date.now() / 1000)) + CONSENT_LIFETIME_SECONDS);
  // Locked since the review (a lock cancels an open one): no consent is signed, none is sent.
  session.assertUnlocked();
  const consent = await signRegistrationConsent(gate.runner as Signer, gate, { policyId: request.policyId, proof: request.proof, deadline });
  session.assertUnlocked();
  try {
    const sent = await client.register({ policyId: request.policyId, proof: request.proof, consent }, { intervalMs: 500, onStatus: (s) => onProgress?.(progressWords(s)) });
    return { txHash: sent.txHash, relayer: health.relayer };
  } catch (err) {
    if (err instanceof RelayerApiError) throw new Error(`the relayer did not send it: ${err.message}`);
    throw err;
  }
}
