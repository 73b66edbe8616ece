import * as path from 'path';
import { ConfigValidationError, MAX_PRINTED_ISSUES, issueLines, loadFleet } from '../../config';
import { fleetEnvironments } from '../../environments';
import { Command, DEFAULT_CONFIG_DIR, UsageError, stringOption } from '../command';

export const validateCommand: Command = {
  name: 'validate',
  summary: 'Check a fleet configuration (shape and semantic rules) without synthesising; print every problem.',
  options: {
    config: {
      type: 'string',
      valueName: '<dir>',
      description: `Fleet directory holding customers/*.yaml and optionally platform.yaml (default: ${DEFAULT_CONFIG_DIR}).`,
    },
    quiet: { type: 'boolean', short: 'q', description: 'Print problems only, no summary of a valid fleet.' },
    strict: {
      type: 'boolean',
      description:
        'Fail (exit 1) on warnings too: a VAL past its validation window, environments to retire after go-live, no release ledger.',
    },
    'max-problems': {
      type: 'string',
      valueName: '<n>',
      description: `Print at most <n> problems, then their count (default: ${MAX_PRINTED_ISSUES}; 0 prints every one).`,
    },
  },
  details: `
Exit codes: 0 valid, 1 invalid (every problem is printed as "<file>: <path>: <problem> (line N)",
the first ${MAX_PRINTED_ISSUES} by default, then a count of the rest), 2 usage error. Warnings are
printed as "warning: <file>: ..." and fail the run only with --strict (for CI).
Today's date (for VAL validation windows) is the UTC date, or CLINSPARK_TODAY=YYYY-MM-DD.
The same validation runs before every \`cdk synth\`; a fleet that fails it is never synthesised.`,
  async run(args, io) {
    const dir = stringOption(args, 'config') ?? DEFAULT_CONFIG_DIR;
    const maxText = stringOption(args, 'max-problems');
    if (maxText !== undefined && !/^\d{1,9}$/.test(maxText))
      throw new UsageError(`--max-problems is '${maxText}'; give a whole number (0 prints every problem)`);
    const limit = maxText === undefined ? MAX_PRINTED_ISSUES : Number(maxText);
    try {
      const fleet = loadFleet(path.resolve(dir));
      const warnings = fleet.warnings ?? [];
      if (warnings.length > 0) {
        io.err(
          `${dir}: ${warnings.length} ` +
            `warning${warnings.length === 1 ? '' : 's'}${args.values.strict ? ' (--strict: they fail the run)' : ''}`,
        );
        for (const line of issueLines(warnings, limit)) io.err(line);
      }
      if (!args.values.quiet) {
        const envs = fleetEnvironments(fleet);
        io.out(
          `${dir}: valid: ${fleet.customers.length} customer(s), ` +
            `${fleet.platform ? 'platform' : 'no platform'}, ${envs.length} environment(s)`,
        );
        for (const env of envs) {
          io.out(
            `  ${env.id.padEnd(32)} ${env.policy.title.padEnd(10)} ` +
              `${env.release.imageTag.padEnd(16)} ${env.stackNames.data}, ${env.stackNames.app}`,
          );
        }
      }
      return args.values.strict && warnings.length > 0 ? 1 : 0;
    } catch (e) {
      if (!(e instanceof ConfigValidationError)) throw e;
      const errors = e.issues.filter((i) => i.severity !== 'warning').length;
      io.err(`${dir}: ${errors} problem${errors === 1 ? '' : 's'} found`);
      for (const line of issueLines(e.issues, limit)) io.err(line);
      return 1;
    }
  },
};
