/** `clinspark config-report`: the resolved configuration of one environment (lib/evidence/config-report.ts). */
import * as fs from 'fs';
import * as path from 'path';
import { sha256File, stableJson } from '../../evidence/canonical';
import { configReport, configReportDocument } from '../../evidence/config-report';
import { writeText } from '../../evidence/document';
import { recordSha256 } from '../../evidence/ecr';
import { SelectionError, loadSpecs, selectEnvironment } from '../../evidence/environment-select';
import { buildFingerprint, documentTime } from '../../evidence/fingerprint';
import { renderPdf } from '../../evidence/pdf';
import { CliError, Command, DEFAULT_CONFIG_DIR, ENVIRONMENT_OPTIONS, requiredOption, stringOption, UsageError } from '../command';

export const configReportCommand: Command = {
  name: 'config-report',
  summary:
    'Configuration report of one environment (Markdown/HTML/PDF/JSON): every ' +
    'resolved setting with its source (override, owner default, catalog).',
  options: {
    ...ENVIRONMENT_OPTIONS,
    out: { type: 'string', valueName: '<dir>', description: 'Output directory for config-report.md|html|pdf|json. Required.' },
    'generated-at': {
      type: 'string',
      valueName: '<ISO time>',
      description: 'Time stated in the report (default: SOURCE_DATE_EPOCH, else the commit time of HEAD).',
    },
  },
  details: `
Needs only the configuration (no synth). The same input gives byte-identical files.
Exit codes: 0 written, 1 unknown customer or environment, invalid configuration, 2 usage error.`,
  async run(args, io) {
    if (args.positionals.length > 0) throw new UsageError(`unexpected argument '${args.positionals[0]}'`);
    const customer = requiredOption(args, 'customer');
    const environment = requiredOption(args, 'environment');
    const out = requiredOption(args, 'out');
    const configDir = stringOption(args, 'config') ?? DEFAULT_CONFIG_DIR;
    const generatedAt = stringOption(args, 'generated-at');
    if (generatedAt !== undefined && Number.isNaN(Date.parse(generatedAt)))
      throw new UsageError(`--generated-at "${generatedAt}" is not an ISO 8601 time, e.g. 2026-12-01T09:00:00Z`);
    try {
      const { specs, fleet, configDir: dir } = loadSpecs(configDir);
      const spec = selectEnvironment(specs, customer, environment, configDir);
      const time = documentTime(generatedAt);
      const file = path.join(dir, spec.sourceFile);
      const report = configReport(fleet, spec, {
        build: buildFingerprint(dir),
        configurationFile: { file: spec.sourceFile, sha256: sha256File(file) },
        generatedAt: time.iso,
        generatedAtSource: time.source,
      });
      const doc = configReportDocument(report);
      const written = writeText(out, 'config-report', doc);
      fs.writeFileSync(path.join(out, 'config-report.json'), stableJson({ record: report, recordSha256: recordSha256(report) }));
      fs.writeFileSync(path.join(out, 'config-report.pdf'), await renderPdf(doc, report.generatedAt));
      const files = [...written, path.join(out, 'config-report.pdf'), path.join(out, 'config-report.json')];
      io.out(
        `${report.reportId}: ${report.settings.length} settings, ${report.catalog.length} catalog rows -> ` +
          files.map((f) => path.relative(process.cwd(), f)).join(', '),
      );
      return 0;
    } catch (e) {
      if (e instanceof SelectionError) throw new CliError(e.message);
      throw e;
    }
  },
};
