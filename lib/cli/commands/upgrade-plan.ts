/** `clinspark upgrade-plan`: what a deploy of one environment changes, when, at what cost (lib/lifecycle/upgrade-plan.ts). */
import * as fs from 'fs';
import * as path from 'path';
import { AssemblyError } from '../../evidence/assembly';
import { stableJson } from '../../evidence/canonical';
import { renderMarkdown, writeText } from '../../evidence/document';
import { SelectionError, loadSpecs, selectEnvironment } from '../../evidence/environment-select';
import { baselineDirFor } from '../../evidence/gate';
import { readDeployedState } from '../../lifecycle/deployed-state';
import { buildUpgradePlan, upgradePlanDocument } from '../../lifecycle/upgrade-plan';
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

/** Not now: outside the maintenance window, or before the three weeks' notice ends (`--now` overrides). */
export const EXIT_NOT_NOW = 3;

const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2})$/;

export function parseAt(value: string | undefined): Date {
  if (value === undefined) return new Date();
  if (!ISO_TIME.test(value) || Number.isNaN(Date.parse(value)))
    throw new UsageError(`--at "${value}" is not an ISO 8601 date-time with a zone, e.g. 2026-12-06T06:15:00Z`);
  return new Date(Date.parse(value));
}

export const upgradePlanCommand: Command = {
  name: 'upgrade-plan',
  summary:
    'What a deploy of one environment changes against its approved baseline ' +
    '(release, engine, capacity), the maintenance window to run it in, the expected ' +
    'downtime and the pre-upgrade snapshots.',
  options: {
    ...ENVIRONMENT_OPTIONS,
    baseline: {
      type: 'string',
      valueName: '<dir>',
      description: "The deployed state: the fleet's approved baseline or a cloud assembly (default: baseline/<fleet directory>).",
    },
    at: { type: 'string', valueName: '<ISO time>', description: 'Planned deploy time, e.g. 2026-12-06T06:15:00Z (default: now).' },
    now: {
      type: 'boolean',
      description: 'Deploy at --at even outside the maintenance window or the notice period (an override, printed).',
    },
    out: { type: 'string', valueName: '<dir>', description: 'Also write upgrade-plan.md|html|json here.' },
  },
  details: `
Reads the configuration and the approved baseline only (no AWS calls). Without a baseline the
plan compares against nothing and shows the configured state.
Exit codes: 0 deploy at --at (inside the window, notice met, or --now), 1 refused (a major engine
change without engine.allowMajorUpgrade, an engine downgrade) or unknown customer/environment or
invalid configuration, 2 usage error, 3 not now: outside the maintenance window or before three
weeks' notice of the release (the plan prints when).`,
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
  const atOption = stringOption(args, 'at');
  const at = parseAt(atOption);
  const now = args.values.now === true;
  const out = stringOption(args, 'out');
  try {
    const { specs, fleet, configDir: dir } = loadSpecs(configDir);
    const spec = selectEnvironment(specs, customer, environment, configDir);
    const baselineDir = stringOption(args, 'baseline') ?? (path.relative(process.cwd(), baselineDirFor(dir)) || '.');
    const deployed = readDeployedState(baselineDir, spec.id);
    const atSource = atOption ? '--at' : 'now';
    const plan = buildUpgradePlan({ fleet, spec, deployed, at, now, atSource });
    const doc = upgradePlanDocument(plan, atSource);
    io.out(renderMarkdown(doc));
    if (out) {
      writeText(out, 'upgrade-plan', doc);
      fs.writeFileSync(path.join(out, 'upgrade-plan.json'), stableJson(plan));
    }
    if (plan.refusals.length) {
      io.err(`clinspark upgrade-plan: refused:\n${plan.refusals.map((r) => `  ${r}`).join('\n')}`);
      return 1;
    }
    if (!plan.recommendation.deployNow) {
      io.err(`clinspark upgrade-plan: not now: ${plan.recommendation.reason}; deploy at ${plan.recommendation.deployAt} (or give --now)`);
      return EXIT_NOT_NOW;
    }
    return 0;
  } catch (e) {
    if (e instanceof SelectionError || e instanceof AssemblyError) throw new CliError(e.message);
    throw e;
  }
}
