/** `clinspark baseline`: write a fleet's approved baseline from a cloud assembly (lib/evidence/gate.ts). */
import * as path from 'path';
import { AssemblyError } from '../../evidence/assembly';
import { writeBaseline } from '../../evidence/gate';
import { CliError, CliIo, Command, ParsedArgs, requiredOption, stringOption, UsageError } from '../command';

export const baselineCommand: Command = {
  name: 'baseline',
  summary:
    'Write the approved baseline of a fleet (templates, asset manifests, trimmed ' +
    'manifest) from a cloud assembly, for `ecr --baseline` and `npm run gate`.',
  options: {
    assembly: { type: 'string', valueName: '<dir>', description: 'Cloud assembly of the approved (deployed) state (default: cdk.out).' },
    out: {
      type: 'string',
      valueName: '<dir>',
      description: 'Baseline directory, by convention baseline/<fleet directory> (baseline/config for the example fleet). Required.',
    },
  },
  details: `
Run it when a change is approved and deployed (npm run gate:update for the example fleet), and
commit the directory with the change: its diff is what reviewers approve.
Exit codes: 0 written, 1 the assembly cannot be read, 2 usage error.`,
  // Synchronous work: a throw becomes the rejection main() reports (usage 2, CliError 1).
  run(args, io) {
    return Promise.resolve().then(() => runSync(args, io));
  },
};

function runSync(args: ParsedArgs, io: CliIo): number {
  if (args.positionals.length > 0) throw new UsageError(`unexpected argument '${args.positionals[0]}'`);
  const out = requiredOption(args, 'out');
  const assembly = stringOption(args, 'assembly') ?? 'cdk.out';
  if (path.resolve(out) === path.resolve(assembly)) throw new UsageError('--out must not be the assembly directory itself');
  try {
    const r = writeBaseline(assembly, out);
    io.out(`baseline of ${r.stacks} stacks written to ${out} (${r.files.length} files)`);
    return 0;
  } catch (e) {
    if (e instanceof AssemblyError) throw new CliError(e.message);
    throw e;
  }
}
