import { el } from './dom.js';

/**
 * What the holder is about to sign, in words: the action ("Send 25 AREF"), who receives it (a
 * person's address, or a contract named by what it does: "the token's compliance gate at
 * 0x12…ab"), the amount, and the network fee ("about 0.00012 ETH", or "paid by the relayer").
 * `details` are the technical values (full addresses, policy number, gas) shown behind a toggle.
 */
export interface Review {
  title: string;
  action: string;
  to: string;
  amount?: string;
  fee: string;
  details?: Array<[string, string]>;
}

let open: Promise<boolean> | undefined;
/** Bumped by {@link cancelOpenReviews}: a review asked for before the bump never shows. */
let generation = 0;
/** The dialog on screen, if any. */
let shown: HTMLDialogElement | undefined;

/**
 * Closes the review on screen as a cancel and resolves every review still waiting its turn as
 * false, without showing it: the wallet locked, so nothing reviewed before may be signed after.
 */
export function cancelOpenReviews(): void {
  generation += 1;
  shown?.close('cancel');
}

/**
 * Shows the review as a modal dialog and resolves true when the holder confirms, false when they
 * cancel (the button, or Escape). Nothing is signed before it resolves true. Focus moves into the
 * dialog (its heading, so a screen reader reads the title first) and returns to where it was.
 * A second review asked for while one is open waits for the first to close. Locking cancels them
 * all ({@link cancelOpenReviews}).
 */
export function reviewBeforeSigning(review: Review): Promise<boolean> {
  for (const [field, value] of Object.entries({ title: review.title, action: review.action, to: review.to, fee: review.fee })) {
    if (typeof value !== 'string' || value.trim() === '') throw new Error(`review.${field}: must be a non-empty sentence`);
  }
  const asked = generation;
  const previous = open ?? Promise.resolve(false);
  const next = previous.then(() => (asked === generation ? showReview(review) : false));
  open = next.finally(() => {
    if (open === next) open = undefined;
  });
  return next;
}

function showReview(review: Review): Promise<boolean> {
  const returnFocusTo = document.activeElement instanceof HTMLElement ? document.activeElement : null;
  const heading = el('h2', { id: 'review-title', tabindex: '-1' }, review.title);
  const facts = el(
    'dl',
    { class: 'review-facts' },
    el('dt', {}, 'What'),
    el('dd', { 'data-field': 'action' }, review.action),
    el('dt', {}, 'To'),
    // An address is read character by character, so it is set in a fixed-width face; words are not.
    el('dd', { 'data-field': 'to', class: /^0x[0-9a-fA-F]{40}$/.test(review.to) ? 'mono' : '' }, review.to),
    review.amount ? el('dt', {}, 'Amount') : null,
    review.amount ? el('dd', { 'data-field': 'amount' }, review.amount) : null,
    el('dt', {}, 'Network fee'),
    el('dd', { 'data-field': 'fee' }, review.fee),
  );
  const details = review.details?.length
    ? el(
        'details',
        {},
        el('summary', {}, 'Technical details'),
        el('dl', { class: 'mono-values' }, ...review.details.flatMap(([term, value]) => [el('dt', {}, term), el('dd', { class: 'mono' }, value)])),
      )
    : null;
  const cancel = el('button', { type: 'submit', value: 'cancel', class: 'secondary' }, 'Cancel');
  const confirm = el('button', { type: 'submit', value: 'confirm' }, 'Confirm and send');
  const dialog = el(
    'dialog',
    { id: 'review-dialog', 'aria-labelledby': 'review-title', 'aria-describedby': 'review-note' },
    el(
      'form',
      { method: 'dialog' },
      heading,
      facts,
      details,
      el('p', { id: 'review-note', class: 'hint' }, 'Nothing is signed or sent until you confirm.'),
      el('div', { class: 'actions' }, cancel, confirm),
    ),
  );
  document.body.append(dialog);
  shown = dialog;

  return new Promise<boolean>((resolve) => {
    dialog.addEventListener('close', () => {
      const confirmed = dialog.returnValue === 'confirm';
      if (shown === dialog) shown = undefined;
      dialog.remove();
      if (returnFocusTo?.isConnected) returnFocusTo.focus();
      resolve(confirmed);
    });
    // Escape fires `cancel`, then closes the dialog with an empty returnValue: a cancel.
    dialog.showModal();
    heading.focus();
  });
}
