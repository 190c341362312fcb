import { announce, el, facts, message, shortId, table, time } from './dom.js';
import { WORDS } from './plain-words.js';
import { errorText, type Session } from './session.js';

interface Roots {
  current: { root: string; leafCount: number };
  published: Array<{ root: string; leafCount: number; txHash: string | null; publishedAt: string }>;
}

interface Health {
  publishedRoot: string | null;
  unpublishedChanges: boolean;
  leafCount: number;
}

/** Roots published and pending (the public `/tree/roots` and `/health`), and "Publish now" for the publisher role. */
export async function renderPublications(session: Session, view: HTMLElement): Promise<void> {
  const [roots, health] = await Promise.all([session.api.get<Roots>('/tree/roots?limit=50'), session.api.get<Health>('/health')]);
  const state = health.leafCount === 0 ? WORDS.publicationEmpty : health.unpublishedChanges ? WORDS.publicationPending(health.leafCount) : WORDS.publicationUpToDate;
  const parts: HTMLElement[] = [
    el('h2', { tabindex: '-1' }, 'Publications'),
    el(
      'section',
      { class: 'card', 'aria-labelledby': 'current-title' },
      el('h3', { id: 'current-title' }, 'Current tree'),
      message(state, health.unpublishedChanges ? 'info' : 'ok'),
      facts([
        ['Current root', shortId(roots.current.root, 12)],
        ['Credentials in the tree', String(roots.current.leafCount)],
        ['Latest published root', health.publishedRoot ? shortId(health.publishedRoot, 12) : 'none'],
      ]),
    ),
  ];
  if (session.has('publisher')) {
    const out = el('div', { class: 'form-result', 'aria-live': 'polite' });
    const button = el('button', { type: 'button' }, 'Publish now');
    button.addEventListener('click', () => {
      void session.api.post<{ status: string; root: string }>('/tree/publish').then(
        async (r) => {
          await session.refresh();
          session.report(WORDS.published(r.status, r.root), 'ok');
        },
        (err) => announce(out, errorText(err), 'error'),
      );
    });
    parts[1].append(button, out);
  }
  parts.push(
    el(
      'section',
      { 'aria-labelledby': 'published-title' },
      el('h3', { id: 'published-title' }, 'Published roots, newest first'),
      roots.published.length
        ? table(
            'Published roots',
            ['Published', 'Root', 'Credentials', 'Transaction'],
            roots.published.map((p) => [time(p.publishedAt), shortId(p.root, 12), String(p.leafCount), p.txHash ? shortId(p.txHash, 10) : 'not on chain']),
          )
        : message(WORDS.noPublications, 'info'),
    ),
  );
  view.replaceChildren(...parts);
}
