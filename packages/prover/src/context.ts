/**
 * The public `context` signal packs the wallet address and two dates into one
 * field element, because each public input costs ~6.15k gas to verify on-chain
 * (docs/protocol.md): context = wallet + today * 2^160 + validUntil * 2^192.
 */
const WALLET_BITS = 160n;
const DATE_BITS = 32n;
const ADDRESS = /^0x[0-9a-fA-F]{40}$/;

export class ContextError extends Error {
  constructor(
    readonly field: string,
    readonly rule: string,
    message: string,
  ) {
    super(`${field}: ${message}`);
    this.name = 'ContextError';
  }
}

function checkDate(field: string, value: number): void {
  if (!Number.isInteger(value) || value < 0 || value >= 2 ** 32) {
    throw new ContextError(field, 'uint32', `must be a YYYYMMDD integer below 2^32, got ${value}`);
  }
}

/** Packs a wallet address and two YYYYMMDD dates into the context signal. */
export function packContext(wallet: string, today: number, validUntil: number): bigint {
  if (!ADDRESS.test(wallet)) throw new ContextError('wallet', 'address', `must be a 20-byte hex address, got ${wallet}`);
  checkDate('today', today);
  checkDate('validUntil', validUntil);
  return BigInt(wallet) + (BigInt(today) << WALLET_BITS) + (BigInt(validUntil) << (WALLET_BITS + DATE_BITS));
}

/** Inverse of packContext; the wallet comes back lower-case. */
export function unpackContext(context: bigint): { wallet: string; today: number; validUntil: number } {
  if (context >> (WALLET_BITS + 2n * DATE_BITS) !== 0n) {
    throw new ContextError('context', 'uint224', 'has bits set above bit 224');
  }
  const mask = (bits: bigint) => (1n << bits) - 1n;
  return {
    wallet: '0x' + (context & mask(WALLET_BITS)).toString(16).padStart(40, '0'),
    today: Number((context >> WALLET_BITS) & mask(DATE_BITS)),
    validUntil: Number(context >> (WALLET_BITS + DATE_BITS)),
  };
}
