/** `npx clinspark validate`: every problem printed as <file>: <path>: <problem>, exit codes, help. */
import { execFileSync, spawnSync } from 'child_process';
import * as path from 'path';
import { main } from '../../lib/cli/main';

const root = path.join(__dirname, '..', '..');
const fixtures = path.join(root, 'test', 'fixtures', 'validation');

function run(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  return main(args, { out: (t) => void (out += `${t}\n`), err: (t) => void (err += `${t}\n`) }).then((code) => ({ code, out, err }));
}

describe('clinspark validate', () => {
  test('a valid fleet exits 0 and lists its environments and stacks', async () => {
    const r = await run(['validate', '--config', path.join(root, 'config')]);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/valid: 2 customer\(s\), platform, 8 environment\(s\)/);
    expect(r.out).toMatch(/northwind\/val\s+VAL\s+2026\.1\.0-b2410\s+clinspark-northwind-val-data, clinspark-northwind-val-app/);
  });

  test('an invalid fleet exits 1 and prints every problem with file, path and line', async () => {
    const r = await run(['validate', '--config', path.join(fixtures, 'collected', 'many-problems-in-many-files')]);
    expect(r.code).toBe(1);
    const lines = r.err.trim().split('\n');
    expect(lines[0]).toMatch(/6 problems found/);
    expect(lines.slice(1)).toHaveLength(6);
    for (const line of lines.slice(1)) expect(line).toMatch(/^(customers\/acme\.yaml|platform\.yaml): [\w.[\]]+: .+ \(line \d+\)$/);
  });

  test('usage errors exit 2 and point at --help', async () => {
    expect((await run(['validate', '--bogus'])).code).toBe(2);
    expect((await run(['nosuchcommand'])).err).toMatch(/unknown command 'nosuchcommand'/);
  });

  test('--help documents every option of every command', async () => {
    const { commands } = await import('../../lib/cli/commands');
    for (const command of commands) {
      const r = await run([command.name, '--help']);
      expect(r.code).toBe(0);
      for (const option of Object.keys(command.options)) expect(r.out).toContain(`--${option}`);
    }
  });

  test('the installed bin runs without a stack trace on bad input (as `npx clinspark` does)', () => {
    const r = spawnSync(process.execPath, [path.join(root, 'bin', 'clinspark-cli.js'), 'validate', '--config', path.join(fixtures, 'cidr', 'open-to-internet')], { encoding: 'utf8' });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/customers\/acme\.yaml: environments\.prod\.ingress\.allowedCidrs\[0\]: '0\.0\.0\.0\/0' opens access to the whole internet/);
    expect(r.stderr).not.toMatch(/^\s+at /m);
    expect(execFileSync(process.execPath, [path.join(root, 'bin', 'clinspark-cli.js'), '--help'], { encoding: 'utf8' })).toMatch(/Commands:/);
  });
});
