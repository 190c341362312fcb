/** The few DOM operations the views share. Text is always set with textContent, never parsed as HTML. */

export function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const found = document.getElementById(id);
  if (!found) throw new Error(`missing element #${id}`);
  return found as T;
}

type Child = Node | string | null | undefined | false;

/** An element with attributes and children; strings become text nodes. */
export function el<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Record<string, string> = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) node.setAttribute(name, value);
  for (const child of children) if (child) node.append(child);
  return node;
}

/** A table with a header row and one row per item. */
export function table(headers: string[], rows: Child[][], attrs: Record<string, string> = {}): HTMLTableElement {
  return el(
    'table',
    attrs,
    el('thead', {}, el('tr', {}, ...headers.map((h) => el('th', { scope: 'col' }, h)))),
    el('tbody', {}, ...rows.map((cells) => el('tr', {}, ...cells.map((c) => el('td', {}, c))))),
  );
}

/** A status line: `tone` ok or error (announced through role=status / alert). */
export function message(text: string, tone: 'ok' | 'error'): HTMLParagraphElement {
  return el('p', { class: tone, role: tone === 'error' ? 'alert' : 'status', 'data-tone': tone }, text);
}

export function badge(value: string): HTMLSpanElement {
  return el('span', { class: 'badge', 'data-value': value }, value);
}

/** Unix seconds as `2026-12-01 17:40 UTC`. */
export function time(seconds: number): string {
  return new Date(seconds * 1000).toISOString().slice(0, 16).replace('T', ' ') + ' UTC';
}

export function hex(value: string): HTMLElement {
  return el('code', { class: 'hex', title: value }, value.length > 22 ? `${value.slice(0, 10)}…${value.slice(-8)}` : value);
}
