/**
 * The KYC provider's reviewer console. The reviewer signs in with their key (kept in this page's
 * memory only, so a reload asks again: api.ts), and moves between views by the address's hash:
 * #queue, #application/<id>, #credentials, #publications, #audit. Each view reads the issuer
 * service's API and builds its DOM from text nodes only; each decision is the API's, so the console
 * enforces nothing itself — it shows the service's refusals (four-eyes, roles, field rules) in words.
 */
import { ApiError, IssuerApi, type Reviewer } from './api.js';
import { byId, el, message } from './dom.js';
import { WORDS } from './plain-words.js';
import { newSession, errorText, type Session } from './session.js';
import { renderQueue } from './queue-view.js';
import { renderApplication } from './application-view.js';
import { renderCredentials } from './credentials-view.js';
import { renderPublications } from './publications-view.js';
import { renderAudit } from './audit-view.js';
import { hashRoute, markCurrentSection } from '../../../packages/service-kit/src/console-route.js';

/** The views, by the first part of the hash. */
export type ConsoleView = 'queue' | 'application' | 'credentials' | 'publications' | 'audit';

const api = new IssuerApi();
const view = byId('view');
const nav = byId('views');
let session: Session | null = null;

function showSignedIn(reviewer: Reviewer | null): void {
  byId('sign-in').hidden = reviewer !== null;
  nav.hidden = reviewer === null;
  const line = byId('reviewer-line');
  line.hidden = reviewer === null;
  line.textContent = reviewer ? WORDS.signedInAs(reviewer.name, reviewer.roles) : '';
  if (!reviewer) view.replaceChildren();
}

async function route(moveFocus = true): Promise<void> {
  if (!session) return;
  const { name, arg } = hashRoute(location.hash, 'queue');
  const section = name === 'application' ? 'queue' : name;
  markCurrentSection(nav, section);
  view.dataset.view = name;
  view.dataset.ready = 'false';
  view.replaceChildren(el('p', {}, WORDS.loading));
  try {
    if (name === 'application' && arg) await renderApplication(session, view, arg);
    else if (name === 'credentials') await renderCredentials(session, view);
    else if (name === 'publications') await renderPublications(session, view);
    else if (name === 'audit') await renderAudit(session, view);
    else await renderQueue(session, view);
  } catch (err) {
    if (err instanceof ApiError && (err.status === 401 || err.problem.code === 'invalid_api_key')) return signOut(err.message);
    view.replaceChildren(message(errorText(err), 'error'));
  } finally {
    view.dataset.ready = 'true';
  }
  // A new view: focus its heading, so a screen reader starts there (not after a re-render for a result).
  if (moveFocus) view.querySelector<HTMLElement>('h2')?.focus();
}

function signOut(reason?: string): void {
  api.key = null;
  session = null;
  showSignedIn(null);
  byId('status').replaceChildren();
  byId('sign-in-status').replaceChildren(message(reason ?? WORDS.signedOut, reason ? 'error' : 'info'));
  byId('reviewer-key').focus();
}

async function start(): Promise<void> {
  const reviewer = await api.get<Reviewer>('/reviewers/me');
  session = newSession(api, reviewer, () => route(false));
  showSignedIn(reviewer);
  await route();
}

byId<HTMLFormElement>('key-form').addEventListener('submit', (ev) => {
  ev.preventDefault();
  const input = byId<HTMLInputElement>('reviewer-key');
  const status = byId('sign-in-status');
  if (!input.value.trim()) {
    status.replaceChildren(message(WORDS.required('reviewer key'), 'error'));
    input.setAttribute('aria-invalid', 'true');
    input.focus();
    return;
  }
  status.replaceChildren(message(WORDS.checkingKey, 'info'));
  api.key = input.value.trim();
  void start().then(
    () => {
      input.value = '';
      input.removeAttribute('aria-invalid');
      status.replaceChildren();
    },
    (err) => {
      api.key = null;
      input.setAttribute('aria-invalid', 'true');
      status.replaceChildren(message(errorText(err), 'error'));
      input.focus();
    },
  );
});

byId('sign-out').addEventListener('click', () => signOut());
window.addEventListener('hashchange', () => {
  byId('status').replaceChildren();
  void route();
});

// Nothing to restore: the key was never stored, so every page load starts signed out.
showSignedIn(null);
document.body.dataset.ready = 'true';
