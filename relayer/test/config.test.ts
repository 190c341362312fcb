/**
 * The relayer's configuration: each refusal names the variable and the rule, and the defaults are
 * the documented ones (relayer/README.md, "Configuration").
 */
import { describe, expect, test } from '@jest/globals';
import { parseEther, parseUnits } from 'ethers';
import { ConfigError, loadRelayerConfig } from '../src/config.js';

const base = {
  RPC_URL: 'http://127.0.0.1:8545',
  GATE_ADDRESS: '0x' + 'ab'.repeat(20),
  RELAYER_KEY: '0x' + '11'.repeat(32),
};

describe('loadRelayerConfig', () => {
  test('defaults: 127.0.0.1:3200, a journal under .data, 3 per wallet and 1000 a day, 1 ETH a day, 200 gwei', () => {
    const config = loadRelayerConfig(base);
    expect(config).toMatchObject({ host: '127.0.0.1', port: 3200, databasePath: '.data/relayer.sqlite', corsOrigins: [] });
    expect(config.limits).toEqual({
      walletDailyLimit: 3,
      investorDailyLimit: 3,
      dailyLimit: 1000,
      dailyBudgetWei: parseEther('1'),
      maxFeePerGasWei: parseUnits('200', 'gwei'),
      maxGasPerRegistration: 450_000n,
      minDeadlineSeconds: 30,
      requestsPerMinute: 60,
      replaceAfterSeconds: 60,
    });
    expect(config.policyIds).toBeUndefined();
    // No contract wallet is registered unless the operator names its code.
    expect(config.contractWalletCodeHashes).toEqual([]);
  });

  test('batches: 16 entries or 2 s by default, both settable', () => {
    expect(loadRelayerConfig(base).batch).toEqual({ maxSize: 16, maxWaitMs: 2000 });
    expect(loadRelayerConfig({ ...base, BATCH_MAX_SIZE: '32', BATCH_MAX_WAIT_MS: '0' }).batch).toEqual({ maxSize: 32, maxWaitMs: 0 });
  });

  test.each([
    [{ RPC_URL: '' }, 'RPC_URL', 'rule required'],
    [{ RPC_URL: 'ws://x' }, 'RPC_URL', 'rule url'],
    [{ GATE_ADDRESS: '0x12' }, 'GATE_ADDRESS', 'rule address'],
    [{ RELAYER_KEY: 'abc' }, 'RELAYER_KEY', 'rule private-key'],
    [{ WALLET_DAILY_LIMIT: '0' }, 'WALLET_DAILY_LIMIT', 'rule range'],
    [{ DAILY_BUDGET_ETH: 'lots' }, 'DAILY_BUDGET_ETH', 'rule decimal'],
    [{ MAX_GAS_PRICE_GWEI: '0' }, 'MAX_GAS_PRICE_GWEI', 'rule decimal'],
    [{ POLICY_IDS: '1,x' }, 'POLICY_IDS', 'rule integer'],
    [{ CORS_ORIGINS: 'http://a/b' }, 'CORS_ORIGINS', 'rule origin'],
    [{ INVESTOR_DAILY_LIMIT: '0' }, 'INVESTOR_DAILY_LIMIT', 'rule range'],
    [{ REQUESTS_PER_MINUTE: 'x' }, 'REQUESTS_PER_MINUTE', 'rule integer'],
    [{ RELAYER_CONTRACT_WALLET_CODEHASHES: '0x1234' }, 'RELAYER_CONTRACT_WALLET_CODEHASHES', 'rule code-hash'],
    [{ BATCH_MAX_SIZE: '0' }, 'BATCH_MAX_SIZE', 'rule range'],
    // The gate takes at most 32 entries (MAX_BATCH).
    [{ BATCH_MAX_SIZE: '33' }, 'BATCH_MAX_SIZE', 'rule range'],
    [{ BATCH_MAX_WAIT_MS: '1.5' }, 'BATCH_MAX_WAIT_MS', 'rule integer'],
    [{ RELAYER_CONTRACT_WALLET_CODEHASHES: '0xc5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470' }, 'RELAYER_CONTRACT_WALLET_CODEHASHES', 'rule code-hash'],
  ])('%j is refused naming %s', (env, variable, rule) => {
    let error: unknown;
    try {
      loadRelayerConfig({ ...base, ...env });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).variable).toBe(variable);
    expect((error as Error).message).toContain(rule);
  });

  test('reads the limits, the served policies and the CORS origins', () => {
    const config = loadRelayerConfig({ ...base, POLICY_IDS: '1, 7', WALLET_DAILY_LIMIT: '5', MAX_GAS_PRICE_GWEI: '2.5', CORS_ORIGINS: 'http://127.0.0.1:5173', PORT: '0' });
    expect(config.policyIds).toEqual([1n, 7n]);
    expect(config.limits.walletDailyLimit).toBe(5);
    expect(config.limits.maxFeePerGasWei).toBe(parseUnits('2.5', 'gwei'));
    expect(config.corsOrigins).toEqual(['http://127.0.0.1:5173']);
    expect(config.port).toBe(0);
  });

  test('reads the allowed contract-wallet code hashes, in lower case', () => {
    const hash = '0x' + 'AB'.repeat(32);
    const config = loadRelayerConfig({ ...base, RELAYER_CONTRACT_WALLET_CODEHASHES: ` ${hash} ,0x${'01'.repeat(32)}`, INVESTOR_DAILY_LIMIT: '2' });
    expect(config.contractWalletCodeHashes).toEqual([hash.toLowerCase(), '0x' + '01'.repeat(32)]);
    expect(config.limits.investorDailyLimit).toBe(2);
  });
});
