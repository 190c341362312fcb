import { formatUnits, isAddress, parseUnits } from 'ethers';
import { isConnectionFailure } from '../chain/chain-connection.js';
import { explainRefusal } from '../chain/refusal-reasons.js';
import type { DeployedToken } from '@zkkyc/sdk';
import type { WalletSession } from '../wallet-session.js';
import { byId, say } from './dom.js';
import { explainChainError } from './token-panel.js';

/**
 * Section 5: the balance of the chosen token and a transfer form. A refused transfer shows the
 * token's custom error and the rule behind it in words.
 */
export function mountTransferPanel(getSession: () => WalletSession | null, getToken: () => DeployedToken | undefined) {
  const form = byId<HTMLFormElement>('transfer-form');
  const status = byId('transfer-status');
  const balance = byId('token-balance');

  async function refreshBalance(): Promise<void> {
    const session = getSession();
    const token = getToken();
    if (!session || !token) return;
    const recipient = session.loaded.config.demoRecipient;
    const hint = byId('demo-recipient');
    hint.hidden = !recipient || token.policyId !== session.loaded.deployment.tokens[0]?.policyId;
    hint.querySelector('span')!.textContent = recipient ?? '';
    try {
      const { contracts } = await session.chain();
      const amount = await contracts.tokens[token.symbol].token.balanceOf(session.identity.address);
      balance.textContent = `${formatUnits(amount, token.decimals)} ${token.symbol}`;
      balance.dataset.raw = amount.toString();
    } catch (err) {
      balance.textContent = '–';
      say(status, explainChainError(err), 'error');
    }
  }

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const session = getSession();
    const token = getToken();
    if (!session || !token) return;
    const to = byId<HTMLInputElement>('transfer-to').value.trim();
    const amountText = byId<HTMLInputElement>('transfer-amount').value.trim();
    if (!isAddress(to)) return say(status, 'Recipient: not an Ethereum address (0x + 40 hex digits).', 'error');
    let amount: bigint;
    try {
      amount = parseUnits(amountText, token.decimals);
    } catch {
      return say(status, `Amount: not a number with at most ${token.decimals} decimals.`, 'error');
    }
    const submit = form.querySelector<HTMLButtonElement>('button[type="submit"]')!;
    submit.disabled = true;
    delete status.dataset.error;
    try {
      say(status, 'Sending…');
      const { contracts } = await session.chain();
      const tx = await contracts.tokens[token.symbol].token.transfer(to, amount);
      const receipt = await tx.wait();
      say(status, `Sent ${amountText} ${token.symbol} to ${to}. Transaction ${receipt?.hash ?? tx.hash}.`, 'ok');
    } catch (err) {
      if (isConnectionFailure(err)) {
        say(status, explainChainError(err), 'error');
      } else {
        const refusal = explainRefusal(err);
        say(status, `Transfer refused: ${refusal.explanation}.${refusal.decoded ? ` (${refusal.decoded.message})` : ''} Nothing was transferred.`, 'error');
        status.dataset.error = refusal.decoded?.name ?? 'unknown';
      }
    } finally {
      submit.disabled = false;
      await refreshBalance();
    }
  });

  return { refreshBalance };
}
