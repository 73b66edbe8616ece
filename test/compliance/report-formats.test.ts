/**
 * What a reviewer and a reviewer's tools see of the compliance gate besides the Markdown report:
 * every acknowledgement in its stack's template metadata (so adding, removing or rewording one
 * shows in `cdk diff`), and cdk-nag's classic CSV reports, one per pack and stack.
 */
import * as fs from 'fs';
import * as path from 'path';
import { Stack } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { ACKNOWLEDGEMENTS_METADATA_KEY, acknowledge } from '../../constructs/core/acknowledge';
import { evaluateCompliance } from '../../lib/compliance/packs';
import { NAG_CSV_HEADER, buildComplianceReport, renderNagCsvReports, writeComplianceReport } from '../../lib/compliance/report';
import { offlineApp } from '../../lib/offline-app';

const REASON = 'Server access logs of this test bucket are not needed: it holds no data.';

function build(withAcknowledgement: boolean) {
  const app = offlineApp();
  const stack = new Stack(app, 'Reviewed', { env: { account: '123456789012', region: 'eu-west-1' } });
  const bucket = new s3.Bucket(stack, 'Evidence', { enforceSSL: true });
  if (withAcknowledgement) acknowledge(bucket, [{ id: 'AwsSolutions-S1', reason: REASON }]);
  const template = app.synth().getStackByName('Reviewed').template as { Metadata?: Record<string, unknown> };
  return { app, template };
}

describe('acknowledgements in template metadata', () => {
  test('each acknowledgement is listed with its construct path, id and reason', () => {
    const { template } = build(true);
    expect(template.Metadata?.[ACKNOWLEDGEMENTS_METADATA_KEY]).toEqual([{ path: 'Evidence', id: 'AwsSolutions-S1', reason: REASON }]);
  });

  test('removing the acknowledgement changes the template (visible in cdk diff)', () => {
    const { template } = build(false);
    expect(template.Metadata?.[ACKNOWLEDGEMENTS_METADATA_KEY]).toBeUndefined();
    expect(JSON.stringify(template)).not.toContain(REASON);
  });
});

describe("cdk-nag's classic CSV report", () => {
  const { app } = build(true);
  const recorder = evaluateCompliance(app);
  const files = renderNagCsvReports(recorder);

  test('one file per pack and stack, with the classic header', () => {
    expect([...files.keys()].sort()).toEqual([
      'AwsSolutions-Reviewed-NagReport.csv',
      'ClinSpark-Reviewed-NagReport.csv',
      'HIPAA.Security-Reviewed-NagReport.csv',
      'NIST.800.53.R5-Reviewed-NagReport.csv',
    ]);
    for (const content of files.values()) expect(content.split('\n')[0]).toBe(NAG_CSV_HEADER);
  });

  test('an acknowledged finding is Suppressed with its reason, an open one Non-Compliant, a passing rule Compliant', () => {
    const lines = (files.get('AwsSolutions-Reviewed-NagReport.csv') ?? '').split('\n');
    expect(lines).toContain(
      `"AwsSolutions-S1","Reviewed/Evidence/Resource","Suppressed","${REASON}","Error","The S3 Bucket has server access logs disabled."`,
    );
    expect(lines.some((l) => /^"AwsSolutions-S10","Reviewed\/Evidence\/Resource","Compliant","N\/A","Error",/.test(l))).toBe(true);
    const hipaa = (files.get('HIPAA.Security-Reviewed-NagReport.csv') ?? '').split('\n');
    expect(
      hipaa.some((l) => /^"HIPAA\.Security-S3BucketLoggingEnabled","Reviewed\/Evidence\/Resource","Non-Compliant","N\/A",/.test(l)),
    ).toBe(true);
  });

  test('quotes inside a field are doubled, so commas and quotes in reasons keep the columns', () => {
    const app2 = offlineApp();
    const stack = new Stack(app2, 'Quoted');
    const bucket = new s3.Bucket(stack, 'B', { enforceSSL: true });
    acknowledge(bucket, [{ id: 'AwsSolutions-S1', reason: 'A reason with "quotes", and commas, that is long enough.' }]);
    const csv = renderNagCsvReports(evaluateCompliance(app2)).get('AwsSolutions-Quoted-NagReport.csv') ?? '';
    expect(csv).toContain('"A reason with ""quotes"", and commas, that is long enough."');
  });

  test('writeComplianceReport writes them beside the JSON and Markdown reports', () => {
    const written = writeComplianceReport(buildComplianceReport(recorder, app), app.outdir, recorder);
    expect(written.csv.map((f) => path.basename(f)).sort()).toEqual([...files.keys()].sort());
    for (const f of written.csv) expect(path.dirname(f)).toBe(path.join(app.outdir, 'compliance'));
    expect(fs.readFileSync(written.csv[0], 'utf8')).toBe(files.get(path.basename(written.csv[0])));
  });
});
