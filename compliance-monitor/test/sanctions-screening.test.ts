import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  ScreeningInputError,
  buildScreeningIndex,
  jaroWinkler,
  nameVariants,
  parseEuConsolidated,
  parseOfacSdn,
  screenPerson,
  screenPersons,
  tokenSimilarity,
  validatePersons,
  type ScreenedPerson,
} from '../src/sanctions/index.js';

/**
 * Person-level screening against the fixture lists: true matches are found through German
 * spellings, Cyrillic and Greek script and typos, with the reasons an officer reads; the same name
 * with another birth year scores lower; unrelated people and people who share only a first name
 * or a family name are not candidates.
 */
const fixtures = resolve(fileURLToPath(new URL('.', import.meta.url)), '../fixtures/sanctions');
const ofac = parseOfacSdn('ofac', readFileSync(resolve(fixtures, 'ofac-sdn.xml'), 'utf8'));
const eu = parseEuConsolidated('eu', readFileSync(resolve(fixtures, 'eu-consolidated.xml'), 'utf8'));
const index = buildScreeningIndex([
  { source: 'ofac', entries: ofac.entries },
  { source: 'eu', entries: eu.entries },
]);

const person = (p: Partial<ScreenedPerson> & Pick<ScreenedPerson, 'familyName' | 'givenNames' | 'birthDate'>): ScreenedPerson => ({ credentialId: 'cred-1', ...p });
const best = (p: ScreenedPerson, minScore = 0) => screenPerson(p, index, { minScore })[0];

describe('names', () => {
  it('normalises German spellings both ways, Cyrillic and Greek script, and diacritics', () => {
    expect(nameVariants('Müller')).toEqual(['mueller', 'muller']);
    expect(nameVariants('MUELLER')).toEqual(['mueller']);
    expect(nameVariants('Александр Игоревич Волков')).toEqual(['aleksandr igorevich volkov']);
    expect(nameVariants('Γιάννης Παπαδόπουλος')).toEqual(['giannis papadopoulos']);
    expect(nameVariants('Élodie  Marchand-Lefèvre')).toEqual(['elodie marchand lefevre']);
    expect(nameVariants('Straße Øster Łódź')).toEqual(['strasse oster lodz']);
  });

  it('scores typos and transliteration variants close and different names apart', () => {
    expect(jaroWinkler('martha', 'marhta')).toBeCloseTo(0.961, 3);
    expect(tokenSimilarity('aleksandr', 'alexander')).toBeGreaterThan(0.95);
    expect(tokenSimilarity('sergei', 'sergey')).toBe(1);
    expect(tokenSimilarity('volkov', 'petrov')).toBeLessThan(0.75);
  });
});

describe('screening', () => {
  it('finds the listed person through a German umlaut, with the reasons', () => {
    const m = screenPerson(person({ familyName: 'Müller', givenNames: 'Hans', birthDate: '1970-03-12', issuingCountry: 'DE' }), index);
    expect(m).toEqual([
      {
        credentialId: 'cred-1',
        source: 'ofac',
        entryUid: '91001',
        entryName: 'Hans MUELLER',
        matchedName: 'Hans MUELLER',
        score: 1,
        reasons: [
          { factor: 'name', effect: 1, detail: '"Hans Müller" ~ "Hans MUELLER"' },
          { factor: 'birth-date', effect: 0.1, detail: 'birth date 1970-03-12 equals the listed "12 Mar 1970"' },
          { factor: 'nationality', effect: 0.05, detail: 'DE is a listed nationality' },
        ],
      },
    ]);
    // The list writes the umlaut, the passport's machine-readable zone does not.
    expect(best(person({ familyName: 'SCHROEDER', givenNames: 'JUERGEN', birthDate: '1962-11-30', issuingCountry: 'DE' }))).toMatchObject({ entryUid: '7002', score: 1 });
    expect(best(person({ familyName: 'Schroder', givenNames: 'Jurgen', birthDate: '1962-11-30' }))).toMatchObject({ entryUid: '7002', score: 1 });
  });

  it('finds people written in Cyrillic or Greek, and their Latin spellings against the other script', () => {
    const cyrillic = screenPerson(person({ familyName: 'Волков', givenNames: 'Александр', birthDate: '1981-06-02', issuingCountry: 'RU' }), index);
    expect(cyrillic.map((m) => `${m.source}:${m.entryUid}`)).toEqual(['ofac:91002', 'eu:7001']);
    expect(cyrillic.every((m) => m.score >= 0.95)).toBe(true);
    expect(best(person({ familyName: 'Morozov', givenNames: 'Sergei', birthDate: '1977-01-25', issuingCountry: 'RU' }))).toMatchObject({
      source: 'eu',
      entryUid: '7011',
      score: 1,
    });
    const greek = screenPerson(person({ familyName: 'Papadopoulos', givenNames: 'Giannis', birthDate: '1966-08-01', issuingCountry: 'GR' }), index);
    // The EU lists him in Greek; OFAC as Ioannis (the same name) born 1965 to 1967.
    expect(greek.map((m) => `${m.source}:${m.entryUid}`).sort()).toEqual(['eu:7003', 'ofac:91004']);
    const eu7003 = greek.find((m) => m.entryUid === '7003')!;
    expect(eu7003).toMatchObject({ matchedName: 'Γιάννης Παπαδόπουλος', score: 1 });
    expect(eu7003.reasons[1]).toEqual({ factor: 'birth-date', effect: 0.04, detail: 'birth year 1966 is within the listed "1966"' });
  });

  it('finds matches through typos', () => {
    const typo = best(person({ familyName: 'Kovalenco', givenNames: 'Olga', birthDate: '1983-05-19', issuingCountry: 'UA' }));
    expect(typo).toMatchObject({ source: 'ofac', entryUid: '91012' });
    expect(typo.score).toBeGreaterThanOrEqual(0.9);
    const swapped = best(person({ familyName: 'Volkvo', givenNames: 'Aleksandr', birthDate: '1981-06-02' }));
    expect(swapped.score).toBeGreaterThanOrEqual(0.9);
  });

  it('scores the same name with another birth year lower, and says why', () => {
    const listed = best(person({ familyName: 'Mueller', givenNames: 'Hans', birthDate: '1970-03-12', issuingCountry: 'DE' }));
    const other = best(person({ familyName: 'Mueller', givenNames: 'Hans', birthDate: '1995-03-12', issuingCountry: 'DE' }));
    expect(other.entryUid).toBe('91001');
    expect(listed.score).toBe(1);
    expect(other.score).toBe(0.8);
    expect(other.reasons[1]).toEqual({ factor: 'birth-date', effect: -0.25, detail: 'birth year 1995 is 25 year(s) from the listed "12 Mar 1970"' });
    // Another day in the listed year costs a little; another nationality too.
    const sameYear = best(person({ familyName: 'Mueller', givenNames: 'Hans', birthDate: '1970-09-01', issuingCountry: 'AT' }));
    expect(sameYear.score).toBeCloseTo(0.9, 3);
    expect(sameYear.reasons.map((r) => r.effect)).toEqual([1, -0.05, -0.05]);
  });

  it('does not match unrelated people, nor a shared first name or family name alone', () => {
    const unrelated = [
      person({ familyName: 'Schmidt', givenNames: 'Anna', birthDate: '1970-03-12', issuingCountry: 'DE' }),
      person({ familyName: 'Volkova', givenNames: 'Anna', birthDate: '1981-06-02', issuingCountry: 'RU' }),
      person({ familyName: 'Ivanova', givenNames: 'Olga', birthDate: '1983-05-02', issuingCountry: 'UA' }),
      person({ familyName: 'Nakamura', givenNames: 'Yuki', birthDate: '1990-01-01', issuingCountry: 'JP' }),
    ];
    expect(screenPersons(unrelated, index)).toEqual([]);
    // Entities are never candidates for a person, even with the same words.
    expect(screenPersons([person({ familyName: 'Services Ltd', givenNames: 'Northwind Mixing', birthDate: '1990-01-01' })], index)).toEqual([]);
  });

  it('screens a batch of persons with their credential ids', () => {
    const matches = screenPersons(
      [
        { credentialId: 'cred-a', familyName: 'Nakamura', givenNames: 'Yuki', birthDate: '1990-01-01' },
        { credentialId: 'cred-b', familyName: 'El Amrani', givenNames: 'Fatima Zahra', birthDate: '1992-04-17', issuingCountry: 'MA' },
        { credentialId: 'cred-c', familyName: 'Dubois', givenNames: 'Jean Luc', birthDate: '1975-07-21', nationality: 'FR', issuingCountry: 'BE' },
      ],
      [
        { source: 'ofac', entries: ofac.entries },
        { source: 'eu', entries: eu.entries },
      ],
    );
    expect(matches.map((m) => [m.credentialId, m.source, m.entryUid, m.score])).toEqual([
      ['cred-b', 'eu', '7006', 1],
      ['cred-c', 'ofac', '91011', 1],
    ]);
  });

  it('refuses a malformed person, naming the field and the rule', () => {
    const bad = (p: unknown, message: string) => {
      expect(() => validatePersons([p])).toThrow(ScreeningInputError);
      expect(() => validatePersons([p])).toThrow(message);
    };
    bad({ familyName: 'A', givenNames: '', birthDate: '1990-01-01' }, 'persons[0].credentialId: string: credentialId must be a string');
    bad({ credentialId: 'c', familyName: '123', givenNames: '', birthDate: '1990-01-01' }, 'persons[0].familyName: name: familyName must contain at least one letter');
    bad({ credentialId: 'c', familyName: 'A', givenNames: '', birthDate: '01.01.1990' }, 'persons[0].birthDate: date:');
    bad({ credentialId: 'c', familyName: 'A', givenNames: '', birthDate: '1990-01-01', issuingCountry: 'Germany' }, 'persons[0].issuingCountry: iso3166-alpha2:');
    expect(() => validatePersons({})).toThrow('persons: array:');
  });
});
