import * as fs from 'fs';
import * as path from 'path';
import { parseArgs } from 'util';
import { CliError, CliIo, Command, UsageError } from './command';
import { commands } from './commands';

// A reader that closes the pipe early (`npx clinspark validate | head`) is not an error of ours:
// stop quietly instead of printing an EPIPE stack trace.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(0);
    throw e;
  });
}

const stdio: CliIo = {
  out: (text) => process.stdout.write(text.endsWith('\n') ? text : `${text}\n`),
  err: (text) => process.stderr.write(text.endsWith('\n') ? text : `${text}\n`),
};

function optionHelp(command: Command): string {
  const rows = Object.entries(command.options).map(([name, spec]) => {
    const short = spec.short ? `-${spec.short}, ` : '    ';
    const value = spec.type === 'string' ? ` ${spec.valueName ?? '<value>'}` : '';
    return [`  ${short}--${name}${value}`, spec.description];
  });
  rows.push(['  -h, --help', 'Show this help.']);
  const width = Math.max(...rows.map(([left]) => left.length)) + 2;
  return rows.map(([left, right]) => left.padEnd(width) + right).join('\n');
}

export function commandHelp(command: Command): string {
  return [
    `Usage: clinspark ${command.name} [options]`,
    '',
    command.summary,
    '',
    'Options:',
    optionHelp(command),
    ...(command.details ? ['', command.details.trim()] : []),
    '',
  ].join('\n');
}

/** `clinspark --version`: the package version, and the CDK library it builds with. */
export function versionText(): string {
  const root = path.join(__dirname, '..', '..');
  const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as {
    name: string;
    version: string;
    dependencies?: Record<string, string>;
  };
  const cdk = pkg.dependencies?.['aws-cdk-lib'];
  return `clinspark ${pkg.version} (${pkg.name}${cdk ? `, aws-cdk-lib ${cdk}` : ''}, node ${process.versions.node})`;
}

export function mainHelp(): string {
  const width = Math.max(...commands.map((c) => c.name.length)) + 4;
  return [
    'Usage: clinspark <command> [options]',
    '',
    'The ClinSpark hosting CLI: everything that is not `cdk` (configuration checks, the PII scrub',
    'engine, customer guides, GxP evidence: ECR, IQ, configuration report and diff).',
    'Run `clinspark <command> --help` for the options of one command.',
    '',
    'Commands:',
    ...commands.map((c) => `  ${c.name.padEnd(width)}${c.summary}`),
    '',
    'Options:',
    `  ${'-V, --version'.padEnd(width)}Print the version and exit.`,
    `  ${'-h, --help'.padEnd(width)}Show this help.`,
    '',
  ].join('\n');
}

/** Runs the CLI; returns the exit code (0 ok, 1 failure the user can fix, 2 usage error). */
export async function main(argv: string[], io: CliIo = stdio): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    io.out(mainHelp());
    return name ? 0 : 2;
  }
  if (name === '--version' || name === '-V' || name === 'version') {
    io.out(versionText());
    return 0;
  }
  const command = commands.find((c) => c.name === name);
  if (!command) {
    io.err(`clinspark: unknown command '${name}'. Commands: ${commands.map((c) => c.name).join(', ')}. See 'clinspark --help'.`);
    return 2;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    io.out(commandHelp(command));
    return 0;
  }
  try {
    const options = Object.fromEntries(
      Object.entries(command.options).map(([k, spec]) => [
        k,
        Object.fromEntries(
          Object.entries({ type: spec.type, short: spec.short, multiple: spec.multiple, default: spec.default }).filter(
            ([, v]) => v !== undefined,
          ),
        ),
      ]),
    );
    let parsed;
    try {
      parsed = parseArgs({ args: rest, options: options as never, allowPositionals: true, strict: true });
    } catch (e) {
      throw new UsageError((e as Error).message.replace(/\. To specify a positional argument.*$/s, ''));
    }
    return await command.run({ values: parsed.values, positionals: parsed.positionals }, io);
  } catch (e) {
    if (e instanceof UsageError) {
      io.err(`clinspark ${command.name}: ${e.message}\nSee 'clinspark ${command.name} --help'.`);
      return 2;
    }
    if (e instanceof CliError) {
      io.err(`clinspark ${command.name}: ${e.message}`);
      return e.exitCode;
    }
    io.err(`clinspark ${command.name}: unexpected error: ${(e as Error).message ?? String(e)}`);
    if (process.env.CLINSPARK_DEBUG) io.err(String((e as Error).stack));
    return 1;
  }
}
