/**
 * Country names to ISO 3166-1 alpha-2 codes. OFAC writes countries in English ("Russia",
 * "Korea, North"); the EU list and issuer-service use codes. The English names come from the
 * runtime's own region names (Intl.DisplayNames), plus the spellings lists use that differ from them.
 */
const EXTRA: Record<string, string> = {
  'russian federation': 'RU',
  'korea, north': 'KP',
  'north korea': 'KP',
  "democratic people's republic of korea": 'KP',
  'korea, south': 'KR',
  'south korea': 'KR',
  'republic of korea': 'KR',
  'iran, islamic republic of': 'IR',
  'syrian arab republic': 'SY',
  burma: 'MM',
  'united states': 'US',
  'united kingdom': 'GB',
  'czech republic': 'CZ',
  turkey: 'TR',
  'ivory coast': 'CI',
  "cote d'ivoire": 'CI',
  'congo, democratic republic of the': 'CD',
  'venezuela, bolivarian republic of': 'VE',
};

/** Withdrawn and reserved codes the runtime still names (DD is "Germany" to it): never the answer. */
const NOT_COUNTRIES = new Set(['AN', 'BU', 'CS', 'DD', 'EU', 'EZ', 'FX', 'NT', 'QO', 'QU', 'SU', 'TP', 'UN', 'XA', 'XB', 'YU', 'ZR', 'ZZ']);

let byName: Map<string, string> | undefined;

function table(): Map<string, string> {
  if (byName) return byName;
  byName = new Map(Object.entries(EXTRA));
  const names = new Intl.DisplayNames(['en'], { type: 'region' });
  for (let a = 65; a <= 90; a++) {
    for (let b = 65; b <= 90; b++) {
      const code = String.fromCharCode(a, b);
      if (NOT_COUNTRIES.has(code)) continue;
      let name: string | undefined;
      try {
        name = names.of(code);
      } catch {
        continue;
      }
      if (name && name !== code && !byName.has(name.toLowerCase())) byName.set(name.toLowerCase(), code);
    }
  }
  return byName;
}

/** "Russia" → "RU", "RU" → "RU"; a name the table does not know comes back as published. */
export function countryCode(nameOrCode: string): string {
  const text = nameOrCode.trim();
  if (/^[A-Za-z]{2}$/.test(text)) return text.toUpperCase();
  return table().get(text.toLowerCase().replace(/\s+/g, ' ')) ?? text;
}
