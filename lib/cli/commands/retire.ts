/** `clinspark retire`: the ordered, safe steps to remove one environment (lib/lifecycle/retire.ts). */
import * as fs from 'fs';
import * as path from 'path';
import { AssemblyError } from '../../evidence/assembly';
import { stableJson } from '../../evidence/canonical';
import { renderMarkdown, writeText } from '../../evidence/document';
import { SelectionError, loadSpecs, selectEnvironment } from '../../evidence/environment-select';
import { baselineDirFor } from '../../evidence/gate';
import { readDeployedState } from '../../lifecycle/deployed-state';
import { buildRetirePlan, retireDocument } from '../../lifecycle/retire';
import { PROJECT_ROOT } from '../../offline-app';
import {
  CliError,
  CliIo,
  Command,
  DEFAULT_CONFIG_DIR,
  ENVIRONMENT_OPTIONS,
  ParsedArgs,
  requiredOption,
  stringOption,
  UsageError,
} from '../command';

export const retireCommand: Command = {
  name: 'retire',
  summary:
    'Print the ordered, safe steps to remove one environment: protections to lift, ' +
    'stacks to destroy in order, and what remains by policy (snapshots, keys, ' +
    'secrets, logs, backups) and for how long. Changes nothing.',
  options: {
    ...ENVIRONMENT_OPTIONS,
    baseline: {
      type: 'string',
      valueName: '<dir>',
      description: 'Approved baseline, for the exact cluster identifiers (default: baseline/<fleet directory>, if present).',
    },
    out: { type: 'string', valueName: '<dir>', description: 'Also write retire.md|html|json here.' },
  },
  details: `
Reads the configuration (and the baseline, when there is one) only: no AWS calls, nothing is
changed. Change-controlled kinds get a placeholder for the ECR reference the operator fills in.
Exit codes: 0 printed, 1 unknown customer or environment or invalid configuration, 2 usage error.`,
  // Synchronous work: a throw becomes the rejection main() reports (usage 2, CliError 1).
  run(args, io) {
    return Promise.resolve().then(() => runSync(args, io));
  },
};

function runSync(args: ParsedArgs, io: CliIo): number {
  if (args.positionals.length > 0) throw new UsageError(`unexpected argument '${args.positionals[0]}'`);
  const customer = requiredOption(args, 'customer');
  const environment = requiredOption(args, 'environment');
  const configDir = stringOption(args, 'config') ?? DEFAULT_CONFIG_DIR;
  const out = stringOption(args, 'out');
  try {
    const { specs, fleet, configDir: dir } = loadSpecs(configDir);
    const spec = selectEnvironment(specs, customer, environment, configDir);
    const baselineDir = stringOption(args, 'baseline') ?? (path.relative(process.cwd(), baselineDirFor(dir)) || '.');
    const deployed = readDeployedState(baselineDir, spec.id);
    const example = path.resolve(dir) === path.resolve(PROJECT_ROOT, DEFAULT_CONFIG_DIR);
    const plan = buildRetirePlan({
      fleet,
      spec,
      specs,
      deployed,
      cdkContext: example ? '' : `-c config=${configDir}`,
      configArg: configDir,
    });
    const doc = retireDocument(plan);
    io.out(renderMarkdown(doc));
    if (out) {
      writeText(out, 'retire', doc);
      fs.writeFileSync(path.join(out, 'retire.json'), stableJson(plan));
    }
    return 0;
  } catch (e) {
    if (e instanceof SelectionError || e instanceof AssemblyError) throw new CliError(e.message);
    throw e;
  }
}
