// Runs the longest suites first, so the two workers finish together instead of one waiting out a
// long suite started last. Jest orders by the durations in its cache, but a fresh clone (CI) has
// none and falls back to file size, which starts the 2-minute browser suite near the end. This
// sequencer falls back to the durations recorded in test/suite-durations.json (refresh them with
// `npm run test:durations`); a suite listed nowhere counts as short (one second).
const { readFileSync } = require('node:fs');
const { join, relative } = require('node:path');
const Sequencer = require('@jest/test-sequencer').default;

const recorded = (() => {
  try {
    return JSON.parse(readFileSync(join(__dirname, '..', 'suite-durations.json'), 'utf8'));
  } catch {
    return {};
  }
})();

class DurationSequencer extends Sequencer {
  time(test) {
    // Jest's cache holds milliseconds; the file holds seconds.
    return super.time(test) ?? (recorded[relative(test.context.config.rootDir, test.path)] ?? 1) * 1000;
  }
}

module.exports = DurationSequencer;
