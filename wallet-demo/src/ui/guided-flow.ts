import { byId } from './dom.js';

/**
 * The five steps of the holder's way through the wallet, each with the one thing to do next. The
 * step indicator marks the current one (aria-current="step") and a polite live region announces a
 * change, so a screen-reader user hears where they are without hunting for it.
 */
export const STEPS = [
  { name: 'Identity', next: 'Create or unlock your wallet.' },
  { name: 'Verify with an issuer', next: 'Send your details to the issuer and receive your credential.' },
  { name: 'Choose a token', next: 'Choose the token you want to hold and check that you meet its rules.' },
  { name: 'Register', next: 'Review and register your wallet for the token: the proof shows only that you meet its rules.' },
  { name: 'Transfer', next: 'You are verified: you can send the token to other verified investors.' },
] as const;

export type StepNumber = 1 | 2 | 3 | 4 | 5;

/** Where the holder stands, from what the wallet knows about them. */
export interface Progress {
  unlocked: boolean;
  hasCredential: boolean;
  tokenChosen: boolean;
  eligible: boolean;
  verified: boolean;
}

export function currentStep(p: Progress): StepNumber {
  if (!p.unlocked) return 1;
  if (p.verified) return 5;
  if (!p.hasCredential) return 2;
  if (!p.tokenChosen || !p.eligible) return 3;
  return 4;
}

export function mountGuidedFlow(): { show(step: StepNumber): void; current(): StepNumber } {
  const items = [...byId('steps').querySelectorAll<HTMLLIElement>('li')];
  const announcer = byId('stage-announcer');
  const nextStep = byId('next-step');
  let shown: StepNumber | undefined;

  function show(step: StepNumber): void {
    items.forEach((item, i) => {
      if (i + 1 === step) item.setAttribute('aria-current', 'step');
      else item.removeAttribute('aria-current');
      item.dataset.state = i + 1 < step ? 'done' : i + 1 === step ? 'current' : 'todo';
    });
    const { name, next } = STEPS[step - 1];
    nextStep.textContent = `Next: ${next}`;
    document.body.dataset.step = String(step);
    if (shown !== step) announcer.textContent = `Step ${step} of ${STEPS.length}: ${name}. ${next}`;
    shown = step;
  }

  return { show, current: () => shown ?? 1 };
}
