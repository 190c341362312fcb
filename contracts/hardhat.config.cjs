// Hardhat config for the zkkyc contracts. It is CommonJS because Hardhat 2 loads its config with
// require(); the repository root forwards to this file so `import hre from 'hardhat'` works there.
const { subtask } = require('hardhat/config');
const { TASK_COMPILE_SOLIDITY_GET_SOLC_BUILD } = require('hardhat/builtin-tasks/task-names');
require('@nomicfoundation/hardhat-ethers');
require('@typechain/hardhat');

const SOLC_VERSION = '0.8.28';

// These machines cannot download compilers, so compile with the solc-js build installed from npm.
subtask(TASK_COMPILE_SOLIDITY_GET_SOLC_BUILD, async (args, _hre, runSuper) => {
  if (args.solcVersion !== SOLC_VERSION) return runSuper(args);
  const solc = require('solc');
  return {
    compilerPath: require.resolve('solc/soljson.js'),
    isSolcJs: true,
    version: SOLC_VERSION,
    longVersion: solc.version(),
  };
});

/** @type {import('hardhat/config').HardhatUserConfig} */
module.exports = {
  solidity: {
    version: SOLC_VERSION,
    settings: {
      optimizer: { enabled: true, runs: 200 },
      evmVersion: 'cancun',
    },
  },
  paths: {
    root: __dirname,
    sources: 'src',
    tests: 'test',
    cache: 'cache',
    artifacts: 'artifacts',
  },
  networks: {
    hardhat: {
      hardfork: 'cancun',
      // PoseidonT6 is a large library; tests also deploy it many times.
      allowUnlimitedContractSize: false,
    },
  },
  typechain: {
    outDir: 'typechain-types',
    target: 'ethers-v6',
  },
};
