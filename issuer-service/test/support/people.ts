import { randomBytes } from 'node:crypto';

/**
 * A reviewer-verified document identity (what `person` carries on a proposal or an approval).
 * Each call is a different person unless `over` pins the fields that make it the same one.
 */
export function newPerson(over: Partial<TestPerson> = {}): TestPerson {
  return {
    documentType: 'passport',
    issuingCountry: 'FR',
    documentNumber: randomBytes(5).toString('hex').toUpperCase(),
    familyName: 'Martin',
    givenNames: 'Claire Anne',
    birthDate: '1990-04-12',
    ...over,
  };
}

export interface TestPerson {
  documentType: string;
  issuingCountry: string;
  documentNumber: string;
  familyName: string;
  givenNames: string;
  birthDate: string;
}

export const ALL_ROLES = 'reviewer+approver+revoker+publisher+admin';
