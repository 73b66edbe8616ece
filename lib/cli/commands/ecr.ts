/** `clinspark ecr`: Environment Change Records and the replacement gate (lib/evidence/ecr.ts). */
import * as path from 'path';
import { AssemblyError } from '../../evidence/assembly';
import { EcrInputError, runEcr } from '../../evidence/ecr-run';
import { CliError, CliIo, Command, DEFAULT_CONFIG_DIR, ParsedArgs, requiredOption, stringOption, UsageError } from '../command';

export const EXIT_BLOCKING = 3;

function changeSetArgs(args: ParsedArgs): Map<string, string> {
  const raw = args.values['change-set'];
  const list = raw === undefined ? [] : Array.isArray(raw) ? raw : [raw];
  const out = new Map<string, string>();
  for (const item of list) {
    const m = typeof item === 'string' ? /^([A-Za-z][A-Za-z0-9-]*)=(.+)$/.exec(item) : null;
    if (!m)
      throw new UsageError(
        `--change-set "${String(item)}": give <stack>=<describe-change-set.json>, e.g. --change-set clinspark-acme-prod-data=cs.json`,
      );
    if (out.has(m[1])) throw new UsageError(`--change-set: stack ${m[1]} given twice`);
    out.set(m[1], m[2]);
  }
  return out;
}

export const ecrCommand: Command = {
  name: 'ecr',
  summary:
    'Environment Change Records: compare an approved baseline assembly with a ' +
    'candidate, per environment (Markdown/HTML/JSON); exit 3 on blocking findings.',
  options: {
    baseline: {
      type: 'string',
      valueName: '<dir>',
      description: 'Approved baseline: a cloud assembly (cdk.out of the deployed state) or a fleet baseline (baseline/<fleet>). Required.',
    },
    assembly: { type: 'string', valueName: '<dir>', description: 'Candidate cloud assembly (default: cdk.out).' },
    customer: { type: 'string', valueName: '<slug>', description: "Only this customer's environments (`platform` for the vendor's)." },
    'change-set': {
      type: 'string',
      multiple: true,
      valueName: '<stack>=<file>',
      description: 'describe-change-set JSON of a stack (repeatable): its RequiresRecreation wins over the template diff.',
    },
    out: {
      type: 'string',
      valueName: '<dir>',
      description: 'Directory for <owner>/<environment>/ecr.md|html|json and index.md|json. Required.',
    },
    config: {
      type: 'string',
      valueName: '<dir>',
      description: `Fleet directory of the candidate, for emergencyHotfix overrides (default: ${DEFAULT_CONFIG_DIR}, when it exists).`,
    },
  },
  details: `
Blocking findings: a replacement, possible replacement, destroy or orphan of a stateful resource
(the stateful lock's types: database clusters and instances, KMS keys, secrets, buckets, log
groups, backup vaults, EC2 instances and volumes), a changed locked create-only property, and IAM
or security-group broadening in a change-controlled environment (Pre-PROD, VAL, PROD).
Custom resources and properties the resource specification does not know are listed as unknown
impact, never as "no change".
Exit codes: 0 no blocking finding, 1 error (unreadable assembly or change set), 2 usage error,
3 blocking findings (the records are written all the same).`,
  // Synchronous work: a throw becomes the rejection main() reports (usage 2, CliError 1).
  run(args, io) {
    return Promise.resolve().then(() => runSync(args, io));
  },
};

function runSync(args: ParsedArgs, io: CliIo): number {
  if (args.positionals.length > 0) throw new UsageError(`unexpected argument '${args.positionals[0]}'`);
  const baselineDir = requiredOption(args, 'baseline');
  const outDir = requiredOption(args, 'out');
  const assemblyDir = stringOption(args, 'assembly') ?? 'cdk.out';
  const customer = stringOption(args, 'customer');
  const changeSetFiles = changeSetArgs(args);
  if (path.resolve(baselineDir) === path.resolve(assemblyDir))
    throw new UsageError(
      `--baseline and --assembly are the same directory (${baselineDir}); the baseline is the approved state, the assembly the candidate`,
    );
  let result;
  try {
    const configDir = stringOption(args, 'config');
    result = runEcr({
      baselineDir,
      assemblyDir,
      customer,
      changeSetFiles,
      outDir,
      configDir: configDir ?? DEFAULT_CONFIG_DIR,
      configOptional: configDir === undefined,
    });
  } catch (e) {
    if (e instanceof AssemblyError || e instanceof EcrInputError) throw new CliError(e.message);
    throw e;
  }
  for (const r of result.records) {
    io.out(
      `${r.record.customer}/${r.record.environment}: ${r.record.ecrId}: ` +
        `${r.record.resources.length} resource change(s), ${r.record.blocking.length} ` +
        `blocking -> ${path.relative(process.cwd(), r.dir)}/ecr.md`,
    );
  }
  io.out(`unchanged: ${result.unchanged.join(', ') || 'none'}`);
  if (result.blocking.length > 0) {
    io.err(`clinspark ecr: ${result.blocking.length} blocking finding(s):`);
    for (const f of result.blocking.slice(0, 50)) io.err(`  [${f.rule}] ${f.message}`);
    if (result.blocking.length > 50) io.err(`  ... and ${result.blocking.length - 50} more (see ${path.join(outDir, 'index.md')})`);
    return EXIT_BLOCKING;
  }
  return 0;
}
