/** The DOM operations the views share. Text is set as text nodes only: nothing from the API is parsed as HTML. */

export function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const found = document.getElementById(id);
  if (!found) throw new Error(`missing element #${id}`);
  return found as T;
}

export type Child = Node | string | null | undefined | false;

/** An element with attributes and children; strings become text nodes. */
export function el<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Record<string, string> = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) node.setAttribute(name, value);
  for (const child of children) if (child) node.append(child);
  return node;
}

/**
 * A table whose cells carry their column name (`data-label`), so that on a narrow screen the CSS
 * can show each row as a card with labelled lines instead of a table wider than the phone.
 */
export function table(caption: string, headers: string[], rows: Child[][]): HTMLTableElement {
  return el(
    'table',
    {},
    el('caption', {}, caption),
    el('thead', {}, el('tr', {}, ...headers.map((h) => el('th', { scope: 'col' }, h)))),
    el('tbody', {}, ...rows.map((cells) => el('tr', {}, ...cells.map((c, i) => el('td', { 'data-label': headers[i] }, c))))),
  );
}

/** A definition list from label/value pairs (pairs with an empty value are left out). */
export function facts(pairs: Array<[string, Child]>): HTMLDListElement {
  const dl = el('dl');
  for (const [label, value] of pairs) if (value !== null && value !== undefined && value !== false) dl.append(el('dt', {}, label), el('dd', {}, value));
  return dl;
}

/** A result line; errors are alerts, the rest status messages. Focusable, so the views can move focus to it. */
export function message(text: string, tone: 'ok' | 'error' | 'info'): HTMLParagraphElement {
  return el('p', { class: tone, role: tone === 'error' ? 'alert' : 'status', tabindex: '-1', 'data-tone': tone }, text);
}

/** Shows `text` in `where` and moves focus to it, so keyboard and screen-reader users land on the result. */
export function announce(where: HTMLElement, text: string, tone: 'ok' | 'error' | 'info'): HTMLParagraphElement {
  const line = message(text, tone);
  where.replaceChildren(line);
  line.focus();
  return line;
}

export function badge(value: string, text = value): HTMLSpanElement {
  return el('span', { class: 'badge', 'data-value': value }, text);
}

/** An ISO time as `2026-12-01 17:40 UTC`. */
export function time(iso: string): string {
  return iso.slice(0, 16).replace('T', ' ') + ' UTC';
}

/** A long identifier shortened for the eye, whole in its title and for copying. */
export function shortId(value: string, keep = 8): HTMLElement {
  return el('code', { title: value }, value.length > keep * 2 + 3 ? `${value.slice(0, keep)}…${value.slice(-keep)}` : value);
}

/** A labelled input (label wraps nothing: `for` points at the control's id). */
export function field(id: string, label: string, control: HTMLElement, hint?: string): HTMLDivElement {
  control.id = id;
  const parts: Child[] = [el('label', { for: id }, label), control];
  if (hint) {
    control.setAttribute('aria-describedby', `${id}-hint`);
    parts.push(el('span', { id: `${id}-hint`, class: 'hint' }, hint));
  }
  return el('div', { class: 'field' }, ...parts);
}

/** The value of a named control in `form`, trimmed. */
export function valueOf(form: HTMLFormElement, name: string): string {
  const control = form.elements.namedItem(name) as HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement | null;
  return control ? control.value.trim() : '';
}

/** Once the reviewer edits a control marked invalid, the mark and the form's stale message go. */
export function clearErrorsOnInput(form: HTMLFormElement, out: HTMLElement): void {
  form.addEventListener('input', (ev) => {
    const target = ev.target as HTMLElement;
    if (target.getAttribute('aria-invalid') === 'true') {
      target.removeAttribute('aria-invalid');
      out.replaceChildren();
    }
  });
}
