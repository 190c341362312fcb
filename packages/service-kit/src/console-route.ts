/**
 * The hash routing both web consoles use (`#case/0xab…`, `#queue`). Browser code: the consoles
 * import this file by path, and the service entry point (index.ts) does not export it.
 */

/** `#name/arg` → its parts (the argument URL-decoded); an empty hash is `fallback`. */
export function hashRoute(hash: string, fallback: string): { name: string; arg: string } {
  const [name, ...rest] = (hash.replace(/^#/, '') || fallback).split('/');
  return { name, arg: decodeURIComponent(rest.join('/')) };
}

/** Marks the link to `#section` as the page shown (aria-current), and no other link of `nav`. */
export function markCurrentSection(nav: ParentNode, section: string): void {
  for (const a of nav.querySelectorAll('a')) {
    if (a.getAttribute('href') === `#${section}`) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
}
