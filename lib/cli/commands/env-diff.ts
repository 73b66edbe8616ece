/** `clinspark env-diff`: two environments compared, normalised (lib/evidence/env-diff.ts). */
import * as fs from 'fs';
import * as path from 'path';
import { AssemblyError, environmentsOf, readAssembly } from '../../evidence/assembly';
import { stableJson } from '../../evidence/canonical';
import { writeText } from '../../evidence/document';
import { envDiff, envDiffDocument, sideBySide } from '../../evidence/env-diff';
import { SelectionError, loadSpecs, selectEnvironment } from '../../evidence/environment-select';
import { CliError, CliIo, Command, CONFIG_OPTION, DEFAULT_CONFIG_DIR, ParsedArgs, stringOption, UsageError } from '../command';

export const EXIT_DIFFERENT = 3;

export const envDiffCommand: Command = {
  name: 'env-diff',
  summary:
    'Compare two environments (<slug>/<kind> <slug>/<kind>): configuration and templates, normalised for names, ids, accounts and zones.',
  options: {
    assembly: { type: 'string', valueName: '<dir>', description: "Cloud assembly holding both environments' stacks (default: cdk.out)." },
    config: CONFIG_OPTION,
    out: { type: 'string', valueName: '<dir>', description: 'Also write env-diff.md|html|json here.' },
  },
  details: `
Arguments: two environments as <slug>/<kind or name>, e.g. northwind/val northwind/prod,
acme/preprod northwind/prod, platform/demo-r2025-4 platform/demo-r2026-1.
Prints the differences side by side. Exit codes: 0 equivalent, 3 different, 1 unknown
environment or unreadable assembly, 2 usage error.`,
  // Synchronous work: a throw becomes the rejection main() reports (usage 2, CliError 1).
  run(args, io) {
    return Promise.resolve().then(() => runSync(args, io));
  },
};

function runSync(args: ParsedArgs, io: CliIo): number {
  if (args.positionals.length !== 2)
    throw new UsageError(
      `give two environments as <slug>/<kind>, e.g. clinspark env-diff northwind/val ` +
        `northwind/prod (got ${args.positionals.length} argument(s))`,
    );
  const parsed = args.positionals.map((p) => {
    const m = /^([a-z0-9-]+)\/([a-z0-9-]+)$/.exec(p);
    if (!m) throw new UsageError(`'${p}' is not <slug>/<kind>, e.g. northwind/prod`);
    return { customer: m[1], environment: m[2] };
  });
  const assemblyDir = stringOption(args, 'assembly') ?? 'cdk.out';
  const configDir = stringOption(args, 'config') ?? DEFAULT_CONFIG_DIR;
  const out = stringOption(args, 'out');
  try {
    const { specs, fleet } = loadSpecs(configDir);
    const assembly = readAssembly(assemblyDir);
    const envs = environmentsOf(assembly);
    const [a, b] = parsed.map(({ customer, environment }) => {
      const spec = selectEnvironment(specs, customer, environment, configDir);
      const env = envs.find((e) => e.id === spec.id);
      if (!env) throw new CliError(`no stack of ${spec.id} in ${assemblyDir}; synthesise it first (npx cdk synth -o ${assemblyDir})`);
      return { spec, env };
    });
    const d = envDiff(fleet, a, b);
    if (out) {
      writeText(out, 'env-diff', envDiffDocument(d));
      fs.writeFileSync(path.join(out, 'env-diff.json'), stableJson(d));
    }
    io.out(
      d.equivalent
        ? `${d.a} and ${d.b} are equivalent (normalised for names, ids, accounts and zones)`
        : `${d.a} and ${d.b}: ${d.rows.length} difference(s)\n${sideBySide(d)}`,
    );
    return d.equivalent ? 0 : EXIT_DIFFERENT;
  } catch (e) {
    if (e instanceof SelectionError || e instanceof AssemblyError) throw new CliError(e.message);
    throw e;
  }
}
