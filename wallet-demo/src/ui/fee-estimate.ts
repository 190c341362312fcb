import type { Provider } from 'ethers';
import { feeInWords } from './plain-words.js';

export interface FeeEstimate {
  gas: bigint;
  feePerGas: bigint;
  /** "about 0.00012 ETH" */
  inWords: string;
}

/**
 * What a transaction will cost the holder: the node's gas estimate (a dry run, so a call the
 * contract would refuse throws here with the contract's reason, before anything is signed) times
 * the node's current fee per gas.
 */
export async function estimatedFee(provider: Provider, estimateGas: () => Promise<bigint>): Promise<FeeEstimate> {
  const [gas, feeData] = await Promise.all([estimateGas(), provider.getFeeData()]);
  // The gas price the node quotes now; an EIP-1559 cap (maxFeePerGas) would overstate the usual cost.
  const feePerGas = feeData.gasPrice ?? feeData.maxFeePerGas ?? 0n;
  return { gas, feePerGas, inWords: feeInWords(gas, feePerGas) };
}
