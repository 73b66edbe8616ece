/**
 * The CDK app: loads and validates the fleet configuration, builds every stack, runs the
 * compliance gate and writes the reviewer report to `<outdir>/compliance/`.
 *
 *   npx cdk synth                         the example fleet in config/
 *   npx cdk synth -c config=<dir>         another fleet
 *   npx cdk synth -c customer=<slug>      one customer's stacks (`platform` for the vendor's)
 */
import * as fs from 'fs';
import * as path from 'path';
import { App } from 'aws-cdk-lib';
import { ConfigValidationError, issueLines, loadFleet } from '../lib/config';
import { buildComplianceReport, writeComplianceReport } from '../lib/compliance/report';
import { enableComplianceGate } from '../lib/compliance/packs';
import { buildFleet } from '../lib/fleet';
import { PLATFORM_OWNER } from '../lib/config/model';
import { compareLock, statefulResources } from '../lib/stateful-lock';
import { LOCK_FILE, StatefulLock, StatefulLockError, readStatefulLock } from '../lib/stateful-lock-file';
import { WITHOUT_CREATION_STACK_TRACES } from '../lib/offline-app';

function fail(lines: string[]): never {
  process.stderr.write(`${lines.join('\n')}\n`);
  process.exit(1);
}

// Without creation stack traces (aws-cdk-lib's `aws:cdk:creationStack` metadata: where each construct
// was created, about a tenth of a fleet synth): CDK's validation report then prints "Run with
// '--debug' to include location info" beside a finding, and `cdk synth --debug` (CDK_DEBUG=true)
// records them again. The templates are the same either way.
const app = new App({ context: WITHOUT_CREATION_STACK_TRACES });
const configDir = path.resolve(String(app.node.tryGetContext('config') ?? 'config'));
const only = app.node.tryGetContext('customer') as string | undefined;

let fleet;
try {
  fleet = loadFleet(configDir);
} catch (e) {
  if (!(e instanceof ConfigValidationError)) throw e;
  const errors = e.issues.filter((i) => i.severity !== 'warning').length;
  fail([`clinspark: configuration in ${configDir} has ${errors} problem(s); nothing was synthesised:`, ...issueLines(e.issues)]);
}
if (fleet.warnings && fleet.warnings.length > 0)
  process.stderr.write(
    `${[
      `clinspark: ${fleet.warnings.length} warning(s) (\`npx clinspark validate --strict\` fails on them):`,
      ...issueLines(fleet.warnings),
    ].join('\n')}\n`,
  );
let owners: string[] | undefined;
if (only !== undefined) {
  // One owner, or several separated by commas (how `npm run synth:sharded` splits a fleet).
  const wanted = String(only)
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  const known = [...fleet.customers.map((c) => c.slug), ...(fleet.platform ? [PLATFORM_OWNER] : [])];
  const unknown = wanted.filter((w) => !known.includes(w));
  if (wanted.length === 0 || unknown.length > 0)
    fail([
      `clinspark: -c customer=${only}: no such customer in ${configDir}: ${unknown.join(', ') || '(empty)'}; known: ${known.join(', ')}`,
    ]);
  owners = wanted;
}

// The stateful lock of this fleet: no synthesised stack may replace or delete a locked stateful
// resource (logical id gone, or a create-only property such as a database instance's zone or the
// jump host's AMI changed) unless the lock has been updated on purpose and reviewed.
const lockFile = path.resolve(String(app.node.tryGetContext('statefulLock') ?? path.join(configDir, LOCK_FILE)));
// Read before synthesis: a broken lock fails at once, and never passes as one that locks nothing.
let locked: StatefulLock | undefined;
try {
  locked = fs.existsSync(lockFile) ? readStatefulLock(lockFile) : undefined;
} catch (e) {
  if (!(e instanceof StatefulLockError)) throw e;
  fail([`clinspark: stateful lock ${e.message}; nothing was synthesised`]);
}
// Only the selected owners' stacks, resolved against the whole fleet (platform.yaml's vendor
// monitoring applies to every customer's alarms, selected with the platform or not).
buildFleet(app, fleet, { owners });
const recorder = enableComplianceGate(app);

let synthError: Error | undefined;
try {
  app.synth();
} catch (e) {
  synthError = e as Error;
}
const report = buildComplianceReport(recorder, app);
const written = writeComplianceReport(report, app.outdir, recorder);
if (synthError || !report.passed) {
  const failures = recorder.failures();
  fail([
    ...(failures.length > 0
      ? [
          `clinspark: compliance gate failed: ${failures.length} unacknowledged finding(s):`,
          ...failures.slice(0, 50).map((f) => `  ${f.id} on ${f.path}`),
          ...(failures.length > 50 ? [`  ... and ${failures.length - 50} more`] : []),
        ]
      : [`clinspark: synthesis failed: ${synthError?.message.split('\n').slice(0, 20).join('\n')}`]),
    `clinspark: see ${path.relative(process.cwd(), written.markdown)} (and nag-report.json) for every rule, outcome and acknowledgement`,
  ]);
}

const assembly = app.synth();
if (locked) {
  const diff = compareLock(locked, statefulResources(app), new Set(assembly.stacks.map((s) => s.stackName)));
  const problems = [
    ...diff.changed,
    ...diff.missing.map(
      (m) => `${m}: the locked stateful resource disappears (CloudFormation would delete it, or replace it under a new logical id)`,
    ),
  ];
  if (problems.length > 0) {
    for (const stack of assembly.stacks) fs.rmSync(stack.templateFullPath, { force: true });
    fail([
      `clinspark: ${problems.length} change(s) would replace or delete stateful ` +
        `resources locked in ${path.relative(process.cwd(), lockFile)}; no template was ` +
        `written:`,
      ...problems.slice(0, 50).map((p) => `  ${p}`),
      ...(problems.length > 50 ? [`  ... and ${problems.length - 50} more`] : []),
      `clinspark: if the replacement is intended and planned (data migrated, change ` +
        `record approved), run \`npm run stateful-lock:update -- ` +
        `${path.relative(process.cwd(), configDir) || '.'}\` and have the diff of the ` +
        `lock reviewed with the change`,
    ]);
  }
} else {
  process.stderr.write(
    `clinspark: note: ${path.relative(process.cwd(), lockFile)} does not exist, so ` +
      `replacements of stateful resources are not gated; create it with \`npm run ` +
      `stateful-lock:update -- ${path.relative(process.cwd(), configDir) || '.'}\` ` +
      `once the fleet is deployed\n`,
  );
}
process.stderr.write(
  `clinspark: ${assembly.stacks.length} stacks synthesised; compliance report: ` +
    `${path.relative(process.cwd(), written.markdown)} (and nag-report.json, ` +
    `${written.csv.length} classic cdk-nag CSV reports beside it)\n`,
);
