import { parseIssuerDisclosure, type DisclosedRecord } from './issuer-disclosure.js';
import { groupHolders, personKeyOf, type RegisterWallet } from './register-of-holders.js';

/**
 * Grouping wallets into holders: by the person the issuer's record names, with the investor tag as
 * a second key, so a wallet whose record is missing but shares a tag joins its person.
 */
const wallet = (address: string, balance: bigint, tag?: bigint): RegisterWallet => ({
  address,
  balance,
  status: 'current',
  verifiedUntil: 1,
  ...(tag === undefined ? {} : { registration: { transaction: '0x' + '0'.repeat(64), blockNumber: 1, logIndex: 1, investorTag: tag, issuerId: 1n, registeredUntil: 1 } }),
});
const record = (person: Record<string, unknown>, credential = 'c'): DisclosedRecord => ({ person, attributes: {}, credential: { id: credential } });

it('keys a person by id, else by document country, type and number (case-insensitive), else by credential', () => {
  expect(personKeyOf(record({ personId: 'p-17', documentNumber: 'X' }))).toBe('person:p-17');
  expect(personKeyOf(record({ issuingCountry: 'de', documentType: 'Passport', documentNumber: 'c01' }))).toBe('document:DE/passport/C01');
  expect(personKeyOf(record({ documentCountry: 'DE', documentType: 'passport', documentNumber: 'C01' }))).toBe('document:DE/passport/C01');
  expect(personKeyOf(record({}, 'cred-9'))).toBe('credential:cred-9');
});

it('joins wallets by person and by investor tag, and keeps the rest apart', () => {
  const a1 = wallet('0xa1', 5n, 1n);
  const a2 = wallet('0xa2', 7n, 2n); // Alice's second credential: another tag, same document
  const a3 = wallet('0xa3', 1n, 2n); // not disclosed (the issuer refused), but shares a2's tag
  const b = wallet('0xb', 3n, 3n);
  const nobody = wallet('0xc', 9n); // never registered
  const dev = wallet('0xd', 2n, 4n); // the issuer holds no person (null → {})
  const alice = { givenNames: 'Alice', familyName: 'Adler', documentCountry: 'DE', documentType: 'passport', documentNumber: 'C01' };
  const records = new Map<RegisterWallet, DisclosedRecord>([
    [a1, record(alice, 'cred-1')],
    [a2, record({ ...alice, documentCountry: 'de' }, 'cred-2')],
    [b, record({ givenNames: 'Bob', familyName: 'Bernard', personId: 'p-b' }, 'cred-b')],
    [dev, parseIssuerDisclosure({ record: { person: null, attributes: {}, credential: { id: 'cred-dev' } } }).record],
  ]);
  const holders = groupHolders([a1, a2, a3, b, nobody, dev], records);
  expect(holders.map((h) => [h.key, h.wallets.map((w) => w.address), h.balance])).toEqual([
    ['document:DE/passport/C01', ['0xa2', '0xa1', '0xa3'], 13n],
    ['person:p-b', ['0xb'], 3n],
    ['credential:cred-dev', ['0xd'], 2n],
    ['wallet:0xc', ['0xc'], 9n],
  ]);
  expect(holders[0].investorTags).toEqual([2n, 1n]);
  expect(holders[0].credentials.map((c) => c.id)).toEqual(['cred-2', 'cred-1']);
  expect(holders[2].person).toBeUndefined(); // no person: listed as not identified, with its credential
  expect(holders[2].credentials).toEqual([{ id: 'cred-dev' }]);
});
