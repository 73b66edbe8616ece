/**
 * The test files that read northwind's stacks alone (`-c customer=northwind`: PROD with its read
 * replica, VAL), run as one jest file so that those five stacks are built and validated once
 * (test/support/fleet.ts keeps one build per set of options and per jest file), as
 * test/example-fleet.test.ts does for the whole example fleet. Each suite is its own file,
 * `<name>.suite.ts` beside the code it tests, inside a describe block of its path. One suite:
 *
 *   npx jest test/northwind.test.ts -t '^evidence/ecr '
 */
const NORTHWIND_SUITES = ['stacks/val', 'evidence/ecr', 'lifecycle/ecr-rollback'];

for (const suite of NORTHWIND_SUITES) {
  describe(suite, () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- a suite registers its tests when it is loaded
    require(`./${suite}.suite`);
  });
}
