/** `clinspark iq`: the Installation Qualification report of one environment (lib/evidence/iq.ts). */
import * as path from 'path';
import { AssemblyError, environmentsOf, readAssembly } from '../../evidence/assembly';
import { DeployedError, readDeployed } from '../../evidence/deployed';
import { SelectionError, loadSpecs, selectEnvironment } from '../../evidence/environment-select';
import { buildIq, writeIq } from '../../evidence/iq';
import { CliError, Command, CONFIG_OPTION, DEFAULT_CONFIG_DIR, requiredOption, stringOption, UsageError } from '../command';

export const iqCommand: Command = {
  name: 'iq',
  summary:
    'Installation Qualification report of one environment (iq.md, iq.html, iq.pdf, ' +
    'iq.json): inventory, protocol checks, deviations, architecture.',
  options: {
    customer: { type: 'string', valueName: '<slug>', description: 'Customer slug, or `platform` for Demo and Community. Required.' },
    environment: {
      type: 'string',
      valueName: '<kind>',
      description: 'Environment kind (prod, val, preprod, ...) or name (demo-r2026-1). Required.',
    },
    assembly: { type: 'string', valueName: '<dir>', description: 'Cloud assembly of `npx cdk synth` (default: cdk.out).' },
    config: CONFIG_OPTION,
    deployed: {
      type: 'string',
      valueName: '<dir>',
      description:
        'JSON of describe-stacks, describe-stack-resources, describe-db-clusters (and describe-db-instances) of the deployed environment.',
    },
    out: { type: 'string', valueName: '<dir>', description: 'Output directory. Required.' },
    'generated-at': {
      type: 'string',
      valueName: '<ISO time>',
      description: 'Time stated in the report (default: SOURCE_DATE_EPOCH, else the commit time of HEAD).',
    },
  },
  details: `
The checks are the approved protocol lib/evidence/iq-protocol.yaml. Offline, "observed" comes
from the assembly; with --deployed, from the deployed descriptions, and a mismatch is a FAIL and a
deviation. The same input gives byte-identical files (the PDF's dates are the report's time).
Exit codes: 0 report written (FAIL rows are deviations in the report, printed as a count),
1 the environment, assembly or deployed files cannot be read, 2 usage error.`,
  async run(args, io) {
    if (args.positionals.length > 0) throw new UsageError(`unexpected argument '${args.positionals[0]}'`);
    const customer = requiredOption(args, 'customer');
    const environment = requiredOption(args, 'environment');
    const out = requiredOption(args, 'out');
    const assemblyDir = stringOption(args, 'assembly') ?? 'cdk.out';
    const configDir = stringOption(args, 'config') ?? DEFAULT_CONFIG_DIR;
    const deployedDir = stringOption(args, 'deployed');
    const generatedAt = stringOption(args, 'generated-at');
    if (generatedAt !== undefined && Number.isNaN(Date.parse(generatedAt)))
      throw new UsageError(`--generated-at "${generatedAt}" is not an ISO 8601 time, e.g. 2026-12-01T09:00:00Z`);
    try {
      const { specs, configDir: dir } = loadSpecs(configDir);
      const spec = selectEnvironment(specs, customer, environment, configDir);
      const assembly = readAssembly(assemblyDir);
      const env = environmentsOf(assembly).find((e) => e.id === spec.id);
      if (!env)
        throw new CliError(
          `no stack of ${spec.id} in ${assemblyDir}; synthesise it first: npx cdk synth -c customer=${spec.owner} -o ${assemblyDir}`,
        );
      const deployed = deployedDir ? readDeployed(deployedDir) : undefined;
      const { record, document } = await buildIq({ env, spec, assemblyDir: assembly.dir, configDir: dir, deployed, generatedAt });
      const files = await writeIq(out, record, document);
      const fails = record.verification.filter((v) => v.result === 'FAIL');
      io.out(
        `${record.documentId}: ` +
          `${record.verification.length - fails.length}/${record.verification.length} ` +
          `checks PASS, ${record.deviations.length} deviation(s), ` +
          `${record.inventory.length} resources -> ` +
          `${files.map((f) => path.relative(process.cwd(), f)).join(', ')}`,
      );
      for (const f of fails) io.out(`  FAIL ${f.checkId} ${f.title}: ${f.observed}`);
      return 0;
    } catch (e) {
      if (e instanceof SelectionError || e instanceof AssemblyError || e instanceof DeployedError) throw new CliError(e.message);
      throw e;
    }
  },
};
