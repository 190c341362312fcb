import { createRequire } from 'node:module';
import { ContractFactory, type BaseContract, type ContractRunner } from 'ethers';

/**
 * A stand-in for ComplianceGate's escrow side, for this package's chain tests: it emits the gate's
 * WalletVerified, EscrowCiphertext (logIndex + 1, as the gate does), WalletRevoked and
 * PolicyEscrowKeySet (each `setEscrowKey` is a new policy version, as `setEscrowPolicy` is) events
 * with the gate's exact signatures and answers `escrowKeyOf`, `verifiedUntil` and `investorOf`, without
 * proofs. It exists so that the auditor's checks and the register of holders are tested against
 * events and receipts from a real EVM; ComplianceGate's own tests prove that the gate emits them.
 * Compiled with the solc-js that Hardhat depends on, at test time.
 */
const SOURCE = `// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

contract EscrowGateStub {
    event WalletVerified(uint256 indexed policyId, address indexed wallet, uint256 indexed nullifier, uint64 verifiedUntil, uint64 issuerId, uint256 root);
    event EscrowCiphertext(uint256 indexed policyId, address indexed wallet, uint256 indexed nullifier, uint256 escrowX, uint256 escrowC);
    event WalletRevoked(uint256 indexed policyId, address indexed wallet, uint256 investor, string reason);
    event PolicyEscrowKeySet(uint256 indexed policyId, uint32 version, uint256 keyX, uint256 keyY, uint256 rulesHash);

    mapping(uint256 => uint256[2]) private _keys;
    mapping(uint256 => uint32) public versionOf;
    mapping(uint256 => mapping(address => uint64)) public verifiedUntil;
    mapping(uint256 => mapping(address => uint256)) public investorOf;

    function setEscrowKey(uint256 policyId, uint256 x, uint256 y) external {
        _keys[policyId] = [x, y];
        versionOf[policyId] += 1;
        emit PolicyEscrowKeySet(policyId, versionOf[policyId], x, y, 0);
    }

    function escrowKeyOf(uint256 policyId) external view returns (uint256 x, uint256 y) {
        return (_keys[policyId][0], _keys[policyId][1]);
    }

    function register(uint256 policyId, address wallet, uint256 nullifier, uint64 until, uint256 escrowX, uint256 escrowC, bool withEscrow) external {
        verifiedUntil[policyId][wallet] = until;
        investorOf[policyId][wallet] = nullifier & ((1 << 192) - 1);
        emit WalletVerified(policyId, wallet, nullifier, until, 1, 42);
        if (withEscrow) emit EscrowCiphertext(policyId, wallet, nullifier, escrowX, escrowC);
    }

    function revoke(uint256 policyId, address wallet, string calldata reason) external {
        uint256 investor = investorOf[policyId][wallet];
        verifiedUntil[policyId][wallet] = 0;
        investorOf[policyId][wallet] = 0;
        emit WalletRevoked(policyId, wallet, investor, reason);
    }
}
`;

let compiled: { abi: unknown[]; bytecode: string } | undefined;

function compile(): { abi: unknown[]; bytecode: string } {
  if (compiled) return compiled;
  const solc = createRequire(import.meta.url)('solc');
  const input = {
    language: 'Solidity',
    sources: { 'EscrowGateStub.sol': { content: SOURCE } },
    settings: { outputSelection: { '*': { '*': ['abi', 'evm.bytecode.object'] } } },
  };
  const output = JSON.parse(solc.compile(JSON.stringify(input)));
  const errors = (output.errors ?? []).filter((e: { severity: string }) => e.severity === 'error');
  if (errors.length > 0) throw new Error(errors.map((e: { formattedMessage: string }) => e.formattedMessage).join('\n'));
  const contract = output.contracts['EscrowGateStub.sol'].EscrowGateStub;
  compiled = { abi: contract.abi, bytecode: '0x' + contract.evm.bytecode.object };
  return compiled;
}

/** The stub's functions, as the tests call them. */
export interface EscrowGateStub extends BaseContract {
  setEscrowKey(policyId: bigint, x: bigint, y: bigint): Promise<{ wait(): Promise<unknown> }>;
  register(
    policyId: bigint,
    wallet: string,
    nullifier: bigint,
    until: bigint | number,
    escrowX: bigint,
    escrowC: bigint,
    withEscrow: boolean,
  ): Promise<{ wait(): Promise<{ hash: string; logs: { index: number }[] } | null> }>;
  revoke(policyId: bigint, wallet: string, reason: string): Promise<{ wait(): Promise<unknown> }>;
}

/** Deploys a fresh stub gate. */
export async function deployEscrowGateStub(deployer: ContractRunner): Promise<EscrowGateStub> {
  const { abi, bytecode } = compile();
  const contract = await new ContractFactory(abi as never, bytecode, deployer).deploy();
  await contract.waitForDeployment();
  return contract as unknown as EscrowGateStub;
}
