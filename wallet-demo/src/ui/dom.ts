/** The few DOM operations the panels share. */

export function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const found = document.getElementById(id);
  if (!found) throw new Error(`missing element #${id}`);
  return found as T;
}

type Child = Node | string | null | undefined | false;

/** Creates an element with attributes (`class`, `data-*`, aria…) and children. Text is never parsed as HTML. */
export function el<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Record<string, string> = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) node.setAttribute(name, value);
  for (const child of children) if (child) node.append(child);
  return node;
}

export type Tone = 'info' | 'ok' | 'error';

/** Writes a status line into an output element (announced by its aria-live region). */
export function say(target: HTMLElement, text: string, tone: Tone = 'info'): void {
  target.textContent = text;
  target.className = tone === 'info' ? '' : tone;
  target.dataset.tone = tone;
}

/** The page-wide alert for conditions that block everything (issuer or chain down). */
export function showNotice(text: string | null, kind = 'error'): void {
  const notice = byId('notice');
  notice.hidden = text === null;
  notice.textContent = text ?? '';
  notice.dataset.kind = text === null ? '' : kind;
}

export function formatDate(iso: string): string {
  return iso.slice(0, 10);
}

export function shortHex(value: string, keep = 10): string {
  return value.length > keep * 2 + 1 ? `${value.slice(0, keep)}…${value.slice(-6)}` : value;
}

/**
 * Moves keyboard and screen-reader focus to a new result (a status line, a heading), so the holder
 * lands on what just happened instead of on the button they pressed.
 */
export function focusResult(target: HTMLElement): void {
  if (!target.hasAttribute('tabindex')) target.setAttribute('tabindex', '-1');
  target.focus();
}

/**
 * Buttons marked `data-copy-from="<id>"` copy that element's text: long values (addresses,
 * transaction hashes) wrap on a phone, and copying beats selecting 66 characters by touch.
 */
export function enableCopyButtons(root: ParentNode = document): void {
  root.addEventListener('click', (event) => {
    const button = (event.target as Element | null)?.closest?.<HTMLButtonElement>('button[data-copy-from]');
    if (!button) return;
    const text = document.getElementById(button.dataset.copyFrom!)?.textContent?.trim() ?? '';
    const done = (word: string) => {
      button.textContent = word;
      setTimeout(() => (button.textContent = 'Copy'), 2000);
    };
    navigator.clipboard.writeText(text).then(
      () => done('Copied'),
      () => done('Copy failed'),
    );
  });
}
