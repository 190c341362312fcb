/**
 * The compliance officer's console: the officer enters their key once (kept for the tab in
 * sessionStorage), then moves between views by the address's hash — #cases, #case/<id>,
 * #transfers, #freezes, #sanctions, #sar, #sar/<id>. Each view reads the monitor's API and builds
 * its DOM from text nodes only: nothing the API returns is ever parsed as HTML.
 */
import { ApiError, MonitorApi } from './api.js';
import { byId, el, message } from './dom.js';
import { WORDS } from './plain-words.js';
import { renderCase, renderCases } from './cases-view.js';
import { renderFreezes, renderSanctions, renderTransfers } from './other-views.js';
import { renderSar, renderSarList } from './sar-view.js';
import { hashRoute, markCurrentSection } from '../../../packages/service-kit/src/console-route.js';

/** The views, by the first part of the hash. */
export type ConsoleView = 'cases' | 'case' | 'transfers' | 'freezes' | 'sanctions' | 'sar';

const api = new MonitorApi();
const view = byId('view');
const signIn = byId('sign-in');
const nav = byId('views');

function showSignedIn(signedIn: boolean): void {
  signIn.hidden = signedIn;
  nav.hidden = !signedIn;
  if (!signedIn) view.replaceChildren();
}

async function route(): Promise<void> {
  if (!api.key) return showSignedIn(false);
  const { name, arg } = hashRoute(location.hash, 'cases');
  const section = (name === 'case' ? 'cases' : name) as ConsoleView;
  markCurrentSection(nav, section);
  view.dataset.view = name;
  view.dataset.ready = 'false';
  view.replaceChildren(el('p', {}, WORDS.loading));
  try {
    if (name === 'case' && arg) await renderCase(api, view, arg);
    else if (name === 'transfers') await renderTransfers(api, view);
    else if (name === 'freezes') await renderFreezes(api, view);
    else if (name === 'sanctions') await renderSanctions(api, view);
    else if (name === 'sar' && arg) await renderSar(api, view, arg);
    else if (name === 'sar') await renderSarList(api, view);
    else await renderCases(api, view);
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) {
      api.key = null;
      showSignedIn(false);
      byId('sign-in-status').replaceChildren(message(err.message, 'error'));
      return;
    }
    view.replaceChildren(message(err instanceof ApiError ? err.message : String(err), 'error'));
  } finally {
    view.dataset.ready = 'true';
  }
}

byId<HTMLFormElement>('key-form').addEventListener('submit', (ev) => {
  ev.preventDefault();
  const input = byId<HTMLInputElement>('officer-key');
  const status = byId('sign-in-status');
  status.replaceChildren(el('p', {}, WORDS.checkingKey));
  api.key = input.value.trim();
  void (async () => {
    try {
      await api.get('/cases?limit=1');
      input.value = '';
      status.replaceChildren();
      showSignedIn(true);
      await route();
    } catch (err) {
      api.key = null;
      status.replaceChildren(message(err instanceof ApiError ? err.message : String(err), 'error'));
    }
  })();
});

byId('sign-out').addEventListener('click', () => {
  api.key = null;
  showSignedIn(false);
});

window.addEventListener('hashchange', () => void route());
showSignedIn(api.key !== null);
void route().finally(() => {
  document.body.dataset.ready = 'true';
});
