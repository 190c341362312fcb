// One jest run covers every workspace: tests sit next to the code they test
// (packages/*/src/*.test.ts, contracts/test, circuits/test, issuer-service/test)
// plus the cross-package stories under test/.
// scripts/run-tests.mjs splits one `npm test` into two jest runs without running a suite twice:
// ZKKYC_TEST_GROUP=node24 takes the suites that run on Node 24 (no native addon built for the
// host's Node: contracts, circuits, the integrator test), =host every other suite; unset, all.
const NODE24_SUITES = ['<rootDir>/contracts/test/', '<rootDir>/circuits/test/', '<rootDir>/test/integrator/'];
const group = process.env.ZKKYC_TEST_GROUP;
if (group !== undefined && group !== 'node24' && group !== 'host') {
  throw new Error(`ZKKYC_TEST_GROUP must be node24 or host (or unset for every suite); got ${JSON.stringify(group)}`);
}

export default {
  preset: 'ts-jest/presets/default-esm',
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  testMatch: ['**/?(*.)test.ts'],
  testPathIgnorePatterns: ['/node_modules/', '/wallet-demo/dist/', '/dist/', ...(group === 'host' ? NODE24_SUITES : [])],
  ...(group === 'node24' ? { roots: NODE24_SUITES } : {}),
  modulePathIgnorePatterns: ['<rootDir>/packages/[^/]+/dist/', '<rootDir>/contracts/dist/', '<rootDir>/contracts/build/'],
  moduleNameMapper: {
    '^(\\.{1,2}/.*)\\.js$': '$1',
    '^@zkkyc/prover/node$': '<rootDir>/packages/prover/src/node.ts',
    '^@zkkyc/(credentials|tree|prover|sdk|escrow|service-kit|artifacts)$': '<rootDir>/packages/$1/src/index.ts',
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
  // Longest suites first, from test/suite-durations.json when jest's own cache has no timings (CI).
  testSequencer: '<rootDir>/test/support/duration-sequencer.cjs',
  reporters: ['default', '<rootDir>/test/support/duration-reporter.cjs'],
  // Proofs take seconds and hardhat boots once per file.
  testTimeout: 120000,
  maxWorkers: 2,
};
