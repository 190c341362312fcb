import { isAddress, parseUnits } from 'ethers';
import { isConnectionFailure } from '../chain/chain-connection.js';
import { explainRefusal } from '../chain/refusal-reasons.js';
import type { DeployedToken } from '@zkkyc/sdk';
import type { WalletSession } from '../wallet-session.js';
import { byId, focusResult, say } from './dom.js';
import { estimatedFee } from './fee-estimate.js';
import { contractInWords, shortAddress, tokenAmountInWords } from './plain-words.js';
import { reviewBeforeSigning } from './review-dialog.js';
import { explainChainError } from './token-panel.js';

/**
 * Step 5: the balance of the chosen token and a transfer form. Every transfer is reviewed before
 * it is signed (amount, recipient, fee); one the token would refuse is refused before the review,
 * from the node's dry run, with the token's reason in words.
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
    byId('demo-recipient-address').textContent = recipient ?? '';
    try {
      const { contracts } = await session.chain();
      const amount = await contracts.tokens[token.symbol].token.balanceOf(session.identity.address);
      if (session.isLocked) return;
      balance.textContent = tokenAmountInWords(amount, token.decimals, token.symbol);
      balance.dataset.raw = amount.toString();
    } catch (err) {
      if (session.isLocked) return;
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
    delete status.dataset.error;
    if (!isAddress(to)) return say(status, 'Recipient address: not an Ethereum address (0x followed by 40 hexadecimal digits).', 'error');
    let amount: bigint;
    try {
      amount = parseUnits(amountText, token.decimals);
      if (amount <= 0n) throw new RangeError('not positive');
    } catch {
      return say(status, `Amount: must be a number above 0 with at most ${token.decimals} decimals.`, 'error');
    }
    const submit = form.querySelector<HTMLButtonElement>('button[type="submit"]')!;
    const units = { decimals: token.decimals, symbol: token.symbol };
    const amountInWords = tokenAmountInWords(amount, token.decimals, token.symbol);
    let sent = false;
    try {
      say(status, 'Checking the transfer with the token…');
      const { provider, contracts } = await session.chain();
      const erc20 = contracts.tokens[token.symbol].token;
      // The dry run doubles as the check: a transfer the token would refuse never reaches the review.
      const fee = await estimatedFee(provider, () => erc20.transfer.estimateGas(to, amount));
      const tokenAddress = await erc20.getAddress();
      session.assertUnlocked();
      say(status, 'Review the transfer, then confirm or cancel.');
      const confirmed = await reviewBeforeSigning({
        title: 'Review the transfer',
        action: `Send ${token.name} (${token.symbol}) from your wallet ${shortAddress(session.identity.address)}`,
        to,
        amount: amountInWords,
        fee: fee.inWords,
        details: [
          ['Contract called', contractInWords('token', tokenAddress, token.symbol)],
          ['Token contract', tokenAddress],
          ['From', session.identity.address],
          ['Estimated gas', fee.gas.toString()],
        ],
      });
      // A lock cancels the open review; one after the confirm must not sign either.
      session.assertUnlocked();
      if (!confirmed) {
        say(status, 'Transfer cancelled: nothing was signed or sent.');
        return;
      }
      submit.disabled = true;
      say(status, `Sending ${amountInWords}…`);
      const tx = await erc20.transfer(to, amount);
      sent = true;
      const receipt = await tx.wait();
      if (session.isLocked) return;
      say(status, `Sent ${amountInWords} to ${shortAddress(to)}.`, 'ok');
      status.dataset.tx = receipt?.hash ?? tx.hash;
      focusResult(status);
    } catch (err) {
      // Locked mid-flow: the panel was emptied and nothing was signed; there is nothing to say.
      if (session.isLocked) return;
      if (isConnectionFailure(err)) {
        say(status, explainChainError(err), 'error');
      } else {
        const refusal = explainRefusal(err, units);
        say(status, `Transfer refused: ${refusal.explanation}. ${sent ? 'The transaction failed: nothing was transferred.' : 'Nothing was sent.'}`, 'error');
        status.dataset.error = refusal.decoded?.name ?? 'unknown';
      }
      focusResult(status);
    } finally {
      submit.disabled = false;
      await refreshBalance();
    }
  });

  /** The wallet locked: the balance, the form and the last transfer's outcome leave the page. */
  function lock(): void {
    form.reset();
    balance.textContent = '–';
    delete balance.dataset.raw;
    byId('demo-recipient-address').textContent = '';
    byId('demo-recipient').hidden = true;
    say(status, '');
    delete status.dataset.tx;
    delete status.dataset.error;
  }

  return { refreshBalance, lock };
}
