import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { SanctionsListError } from './entries.js';

/**
 * The XML both parsers read, parsed once into plain objects: every child element is an array
 * (so one `<aka>` and five read the same way), attributes are plain keys prefixed with `@`, and
 * namespace prefixes are dropped (OFAC has published sdn.xml under two namespaces). Text is kept
 * as text — a `uid` of "007" stays "007".
 */
export type XmlElement = { [name: string]: XmlElement[] | string | undefined; '#text'?: string };

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '@',
  removeNSPrefix: true,
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: true,
  ignoreDeclaration: true,
  ignorePiTags: true,
  isArray: (_name, _jpath, _isLeaf, isAttribute) => !isAttribute,
});

/**
 * Parses `text` (the content of `file`) and returns its root element, refusing what is not a
 * well-formed XML document (`well-formed-xml`, with line and column) and any DOCTYPE (`no-doctype`:
 * neither list uses one, and entity definitions are how a small file expands into a huge one).
 */
export function parseXmlDocument(file: string, text: string): { rootName: string; root: XmlElement } {
  if (/<!DOCTYPE/i.test(text)) throw new SanctionsListError(file, '/', 'no-doctype', 'the file declares a DOCTYPE; published sanctions lists do not');
  const valid = XMLValidator.validate(text);
  if (valid !== true) {
    const { msg, line, col } = valid.err;
    throw new SanctionsListError(file, `line ${line}, column ${col}`, 'well-formed-xml', msg);
  }
  const doc = parser.parse(text) as Record<string, XmlElement[]>;
  const names = Object.keys(doc).filter((k) => !k.startsWith('?') && k !== '#text');
  if (names.length !== 1) throw new SanctionsListError(file, '/', 'well-formed-xml', 'expected exactly one root element');
  return { rootName: names[0], root: element(doc[names[0]][0]) };
}

/** An empty element (`<aka/>`) parses as "": read it as an element without children. */
function element(value: XmlElement | string | undefined): XmlElement {
  return typeof value === 'object' && value !== null ? value : { '#text': value ?? '' };
}

/** The child elements named `name` (none → []). */
export function children(el: XmlElement, name: string): XmlElement[] {
  const v = el[name];
  return Array.isArray(v) ? v.map(element) : [];
}

/** The text of the first child named `name`, trimmed; undefined when absent or empty. */
export function childText(el: XmlElement, name: string): string | undefined {
  const first = children(el, name)[0];
  const text = first?.['#text'];
  return typeof text === 'string' && text.trim() !== '' ? text.trim() : undefined;
}

/** An attribute's value, trimmed; undefined when absent or empty. */
export function attr(el: XmlElement, name: string): string | undefined {
  const v = el[`@${name}`];
  return typeof v === 'string' && v.trim() !== '' ? v.trim() : undefined;
}
