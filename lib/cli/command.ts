import { ParseArgsConfig } from 'util';

/** Where a command writes; tests pass buffers, the CLI passes stdout/stderr. */
export interface CliIo {
  out(text: string): void;
  err(text: string): void;
}

export type OptionSpec = NonNullable<ParseArgsConfig['options']>[string] & {
  /** One line for `--help`. */
  readonly description: string;
  /** Placeholder shown in `--help` for string options, e.g. `<dir>`. */
  readonly valueName?: string;
};

/** The fleet directory every command reads unless `--config` names another. */
export const DEFAULT_CONFIG_DIR = 'config';

/** `--config <dir>`, as every command that reads the fleet declares it. */
export const CONFIG_OPTION: OptionSpec = {
  type: 'string',
  valueName: '<dir>',
  description: `Fleet directory (default: ${DEFAULT_CONFIG_DIR}).`,
};

/**
 * `--customer`, `--environment` and `--config`: how the commands about one environment
 * (config-report, upgrade-plan, retire) name it; selectEnvironment() resolves them.
 */
export const ENVIRONMENT_OPTIONS: Record<'customer' | 'environment' | 'config', OptionSpec> = {
  customer: { type: 'string', valueName: '<slug>', description: 'Customer slug, or `platform`. Required.' },
  environment: { type: 'string', valueName: '<kind>', description: 'Environment kind or name (demo-r2026-1). Required.' },
  config: CONFIG_OPTION,
};

export interface ParsedArgs {
  readonly values: Record<string, string | boolean | string[] | boolean[] | undefined>;
  readonly positionals: string[];
}

export interface Command {
  readonly name: string;
  /** One line for the command list. */
  readonly summary: string;
  /** Longer help text shown by `clinspark <command> --help`, after the options. */
  readonly details?: string;
  readonly options: Record<string, OptionSpec>;
  /** Returns the process exit code. */
  run(args: ParsedArgs, io: CliIo): Promise<number>;
}

/** A mistake in how the command was called: printed with a pointer to --help, exit code 2. */
export class UsageError extends Error {}

/** A problem the user can fix (bad file, unreachable database...): printed without a stack trace, exit code 1. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
  }
}

export function stringOption(args: ParsedArgs, name: string): string | undefined {
  const v = args.values[name];
  if (v === undefined) return undefined;
  if (typeof v !== 'string') throw new UsageError(`--${name} takes a value`);
  return v;
}

export function requiredOption(args: ParsedArgs, name: string): string {
  const v = stringOption(args, name);
  if (v === undefined || v === '') throw new UsageError(`--${name} is required`);
  return v;
}
