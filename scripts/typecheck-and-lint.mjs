/**
 * The type-check of every TypeScript file (what `tsc --noEmit -p tsconfig.json` reports) and
 * eslint over the repository (what `eslint .` reports), on one TypeScript program.
 *
 * typescript-eslint's type-aware rules need the program that tsc builds; run apart, tsc and eslint
 * each parse and bind the same 6,000 files (aws-cdk-lib's declarations, mostly): about 35 and 57
 * CPU seconds here, against about 48 for both on one program (`parserOptions.programs`). The rules,
 * ignores and files are eslint.config.mjs's; only the program is handed over instead of
 * typescript-eslint's project service finding the same tsconfig.json.
 *
 *   node scripts/typecheck-and-lint.mjs     exit 1 on a type error or a lint error
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { ESLint } from 'eslint';

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
process.chdir(root);

const host = {
  ...ts.sys,
  onUnRecoverableConfigFileDiagnostic: (d) => {
    throw new Error(ts.flattenDiagnosticMessageText(d.messageText, '\n'));
  },
};
const config = ts.getParsedCommandLineOfConfigFile(path.join(root, 'tsconfig.json'), {}, host);
const program = ts.createProgram({ rootNames: config.fileNames, options: config.options, projectReferences: config.projectReferences });
const diagnostics = [...config.errors, ...ts.getPreEmitDiagnostics(program)];
const formatHost = { getCanonicalFileName: (f) => f, getCurrentDirectory: () => root, getNewLine: () => '\n' };
if (diagnostics.length > 0) {
  const format = process.stdout.isTTY ? ts.formatDiagnosticsWithColorAndContext : ts.formatDiagnostics;
  process.stdout.write(format(diagnostics, formatHost));
  process.stdout.write(`\ntsc: ${diagnostics.length} error(s)\n`);
}

const eslint = new ESLint({
  cwd: root,
  overrideConfig: {
    files: ['**/*.ts'],
    languageOptions: { parserOptions: { programs: [program], projectService: false } },
  },
});
const results = await eslint.lintFiles(['.']);
const lintErrors = results.reduce((n, r) => n + r.errorCount + r.fatalErrorCount, 0);
const formatted = await (await eslint.loadFormatter('stylish')).format(results);
if (formatted) process.stdout.write(formatted);
process.stdout.write(`typecheck-and-lint: ${program.getRootFileNames().length} files type-checked, ${results.length} linted\n`);
process.exitCode = diagnostics.length > 0 || lintErrors > 0 ? 1 : 0;
