// One jest run covers every workspace: tests sit next to the code they test
// (packages/*/src/*.test.ts, contracts/test, circuits/test, issuer-service/test)
// plus the cross-package stories under test/.
export default {
  preset: 'ts-jest/presets/default-esm',
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  testMatch: ['**/?(*.)test.ts'],
  testPathIgnorePatterns: ['/node_modules/', '/wallet-demo/dist/'],
  moduleNameMapper: {
    '^(\\.{1,2}/.*)\\.js$': '$1',
    '^@zkkyc/prover/node$': '<rootDir>/packages/prover/src/node.ts',
    '^@zkkyc/(credentials|tree|prover|sdk|escrow|service-kit)$': '<rootDir>/packages/$1/src/index.ts',
    '^@zkkyc/issuer-service$': '<rootDir>/issuer-service/src/index.ts',
    '^@zkkyc/compliance-monitor$': '<rootDir>/compliance-monitor/src/index.ts',
    '^@zkkyc/relayer$': '<rootDir>/relayer/src/index.ts',
    '^@zkkyc/contracts/typechain$': '<rootDir>/contracts/typechain-types/index.ts',
  },
  transform: {
    '^.+\\.ts$': ['ts-jest', { useESM: true }],
  },
  // A real PostgreSQL from npm for the Postgres store tests, unless TEST_DATABASE_URL names one.
  globalSetup: '<rootDir>/test/support/test-services-setup.mjs',
  globalTeardown: '<rootDir>/test/support/test-services-teardown.mjs',
  // Proofs take seconds and hardhat boots once per file.
  testTimeout: 120000,
  maxWorkers: 2,
};
