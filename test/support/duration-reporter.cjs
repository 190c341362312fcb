// Writes each suite's run time (seconds) to test/suite-durations.json, merged with what is there,
// for the sequencer (duration-sequencer.cjs). Only when ZKKYC_RECORD_DURATIONS=1: a normal run
// never rewrites a tracked file.
const { existsSync, readFileSync, writeFileSync } = require('node:fs');
const { join, relative } = require('node:path');

const FILE = join(__dirname, '..', 'suite-durations.json');

class DurationReporter {
  constructor(globalConfig) {
    this.rootDir = globalConfig.rootDir;
  }

  onRunComplete(_contexts, results) {
    if (process.env.ZKKYC_RECORD_DURATIONS !== '1') return;
    const durations = existsSync(FILE) ? JSON.parse(readFileSync(FILE, 'utf8')) : {};
    for (const suite of results.testResults) {
      if (suite.skipped || !suite.perfStats.end) continue;
      durations[relative(this.rootDir, suite.testFilePath)] = Math.round(suite.perfStats.end - suite.perfStats.start) / 1000;
    }
    const sorted = Object.fromEntries(Object.entries(durations).sort(([a], [b]) => (a < b ? -1 : 1)));
    writeFileSync(FILE, JSON.stringify(sorted, null, 2) + '\n');
  }
}

module.exports = DurationReporter;
