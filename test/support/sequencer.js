/**
 * Longest test files first, so that the two workers never wait at the end of a run for one
 * long file started late. Jest's own sequencer orders by the durations of the previous run, but
 * CI runs on a clean clone (no jest cache), where it falls back to file size, and files that
 * start CDK synths or the CDK CLI are not the largest. So: the duration jest recorded last time
 * when there is one, otherwise the rough duration below (seconds of one worker on a quiet
 * machine, relative to each other is what matters), otherwise 10 (a new file: after the known
 * long ones, before the short ones jest has timed); ties by file size.
 */
const path = require('path');
const { default: JestSequencer } = require('@jest/test-sequencer');

const ROOT = path.join(__dirname, '..', '..');

const KNOWN_SLOW = {
  'test/example-fleet.test.ts': 120,
  'test/cli/stateful-gate.test.ts': 45,
  'test/evidence/iq.test.ts': 35,
  'test/cli/synth.test.ts': 30,
  'test/northwind.test.ts': 30,
  'test/cli/validate.test.ts': 25,
  'test/jump-host/jump-host.test.ts': 12,
  'test/jump-host/sshd-config.test.ts': 9,
  'test/jump-host/nag.test.ts': 9,
};

class SlowFirstSequencer extends JestSequencer {
  sort(tests) {
    const estimate = (test) => {
      const recorded = this.time(test);
      if (recorded != null) return recorded / 1000;
      return KNOWN_SLOW[path.relative(ROOT, test.path).split(path.sep).join('/')] ?? 10;
    };
    const size = (test) => test.context.hasteFS.getSize(test.path) ?? 0;
    const keyed = tests.map((test) => ({ test, seconds: estimate(test), bytes: size(test) }));
    keyed.sort((a, b) => b.seconds - a.seconds || b.bytes - a.bytes);
    return keyed.map((k) => k.test);
  }
}

module.exports = SlowFirstSequencer;
