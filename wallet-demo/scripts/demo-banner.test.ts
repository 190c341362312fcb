import { describe, expect, it } from '@jest/globals';
import { demoBanner } from './demo-banner.js';

describe('npm run wallet banner', () => {
  it('names the reviewer console with the reviewer keys, the relayer, and every other part', () => {
    const lines = demoBanner({
      walletUrl: 'http://127.0.0.1:5173/',
      issuerUrl: 'http://127.0.0.1:3100',
      consoleUrl: 'http://127.0.0.1:3100/console/',
      reviewers: [{ name: 'dev-reviewer', apiKey: 'dev-reviewer-key' }],
      rpcUrl: 'http://127.0.0.1:8545',
      chainId: 31337n,
      relayer: { url: 'http://127.0.0.1:3200', address: '0x00000000000000000000000000000000000000aa' },
      counterparty: { symbol: 'AREF', address: '0x00000000000000000000000000000000000000bb' },
    });
    const console = lines.find((l) => l.includes('Console:'));
    expect(console).toContain('http://127.0.0.1:3100/console/');
    expect(console).toContain('dev-reviewer-key (dev-reviewer)');
    expect(lines.find((l) => l.includes('Relayer:'))).toContain('http://127.0.0.1:3200');
    for (const part of ['Wallet:   http://127.0.0.1:5173/', 'Chain:    http://127.0.0.1:8545  (chain id 31337)', 'Verified recipient for AREF']) {
      expect(lines.some((l) => l.includes(part))).toBe(true);
    }
    expect(lines.some((l) => l.includes('Escrow key'))).toBe(false);
  });
});
