/**
 * The test files that read the example fleet's stacks, run as one jest file so that the fleet is
 * built once, with CDK's template validator on (test/support/fleet.ts keeps one build per set of
 * options and per jest file).
 *
 * Jest gives every test file its own module registry: each of these files built the same 17
 * stacks afresh, on freshly loaded aws-cdk-lib code that V8 had to warm up again, about 8 CPU
 * seconds each. Each suite below is its own file, named `<name>.suite.ts` beside the code it
 * tests, and runs inside a describe block of its path, where its hooks stay scoped. One suite:
 *
 *   npx jest test/example-fleet.test.ts -t '^stacks/fleet '
 */
const SUITES = [
  // First: it builds the example fleet with CDK's template validator on, and every fixture fleet.
  'database/parameter-table',
  'stacks/fleet',
  'stacks/database',
  'stacks/application',
  'monitoring/monitoring',
  'network/egress',
  'read-replica/stack',
  'docs',
  'evidence/config-report-env-diff',
  'stateful-lock',
  'lifecycle/upgrade-templates',
  // Last: it runs the cdk-nag packs over the whole shared app.
  'compliance/nag-gate',
];

for (const suite of SUITES) {
  describe(suite, () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- a suite registers its tests when it is loaded
    require(`./${suite}.suite`);
  });
}
