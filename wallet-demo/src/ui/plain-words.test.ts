import { describe, expect, it } from '@jest/globals';
import { contractInWords, describePolicy, durationInWords, feeInWords, registrationState, tokenAmountInWords } from './plain-words.js';

describe('values as a holder reads them', () => {
  it('names each policy rule the way people know it, with no attribute names', () => {
    const rows = describePolicy({ jurisdictions: ['CH', 'DE'], minAge: 18, investorClasses: ['accredited', 'qualified-purchaser'], minKycLevel: 2 });
    expect(rows.map((r) => r.rule)).toEqual(['jurisdiction', 'age', 'investorClass', 'kycLevel']);
    expect(rows[0].text).toMatch(/^Country of residence: one of 2 countries: /);
    expect(rows[1].text).toBe('Age 18 or over');
    expect(rows[2].text).toBe('Investor status: Accredited investor (US) or Qualified purchaser (US)');
    expect(rows.map((r) => r.text).join(' ')).not.toMatch(/kycLevel|investorClass|jurisdiction|minAge/);
  });

  it('shows token amounts in units with the symbol', () => {
    expect(tokenAmountInWords(1000n * 10n ** 18n, 18, 'AREF')).toBe('1,000 AREF');
    expect(tokenAmountInWords(25n * 10n ** 17n, 18, 'AREF')).toBe('2.5 AREF');
    expect(tokenAmountInWords(1234567n, 0, 'NIB')).toBe('1,234,567 NIB');
  });

  it('states the fee as gas × fee per gas in ETH, rounded to two significant digits', () => {
    // 60,000 gas at 2 gwei = 0.00012 ETH.
    expect(feeInWords(60_000n, 2_000_000_000n)).toBe('about 0.00012 ETH');
    expect(feeInWords(282_829n, 1_875_000_000n)).toBe('about 0.00053 ETH');
    expect(feeInWords(50_000n, 0n)).toMatch(/no fee/);
  });

  it('states a ttl in days or hours', () => {
    expect(durationInWords(30n * 86_400n)).toBe('30 days');
    expect(durationInWords(86_400)).toBe('1 day');
    expect(durationInWords(7_200)).toBe('2 hours');
  });

  it('names contracts by what they do', () => {
    expect(contractInWords('gate', '0x1234567890abcdef1234567890abcdef123456ab')).toBe('the token’s compliance gate at 0x1234…56ab');
    expect(contractInWords('token', '0x1234567890abcdef1234567890abcdef123456ab', 'AREF')).toBe('the AREF token contract at 0x1234…56ab');
  });

  it('offers to renew only in the last tenth of the ttl', () => {
    const ttl = 30n * 86_400n;
    const now = 1_800_000_000n;
    expect(registrationState(0n, ttl, now)).toEqual({ kind: 'unregistered' });
    expect(registrationState(now, ttl, now)).toEqual({ kind: 'unregistered' });
    expect(registrationState(now + ttl, ttl, now)).toEqual({ kind: 'verified', until: now + ttl, renewSoon: false });
    expect(registrationState(now + 2n * 86_400n, ttl, now)).toEqual({ kind: 'verified', until: now + 2n * 86_400n, renewSoon: true });
  });
});
