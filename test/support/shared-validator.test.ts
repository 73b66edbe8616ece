/**
 * The suite's shared validator engine (test/support/environment.js, shared-validator.js): CDK's
 * built-in template validator inside jest reports what the package's own engine reports, refuses a
 * broken template as `cdk synth` does, and builds its engine once per worker, not per synthesis.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { CfnResource, CloudFormationValidatePlugin, Stack } from 'aws-cdk-lib';
import { offlineApp } from '../../lib/offline-app';

interface Shared {
  readonly modulePath: string;
  enginesBuilt(): number;
}
interface ValidateModule {
  CompositeEngine: new (config: object) => { validateTemplate(t: unknown, o: object): unknown; free(): void };
  TemplateContent: new (content: string, name: string) => unknown;
}

const shared = (globalThis as { __clinsparkSharedValidator?: Shared }).__clinsparkSharedValidator;
// eslint-disable-next-line @typescript-eslint/no-require-imports -- the mapped name and the package itself, side by side
const mapped = require('@aws/cloudformation-validate') as ValidateModule;
// eslint-disable-next-line @typescript-eslint/no-require-imports
const own = require(shared?.modulePath ?? 'missing') as ValidateModule;

const OPTIONS = {
  detailLevel: 'STANDARD',
  severityLevel: 'WARN',
  pseudoParameterOverrides: { accountId: '111122223333', region: 'eu-west-1' },
};
const BROKEN = JSON.stringify({
  Resources: {
    Cluster: { Type: 'AWS::RDS::DBCluster', Properties: { Engine: 'aurora-mysql', DBClusterParameterGroupName: 7, Nonsense: true } },
    Bucket: { Type: 'AWS::S3::Bucket', Properties: { BucketName: 'Not_A_Valid_Bucket_Name' } },
  },
});
/** A report as JSON, without its `performance` section (durations of this run). */
const withoutTimings = (report: unknown) => {
  const copy = JSON.parse(JSON.stringify(report)) as { diagnostics: unknown[]; performance?: unknown };
  delete copy.performance;
  return copy;
};
const VALID = JSON.stringify({ Resources: { Bucket: { Type: 'AWS::S3::Bucket', Properties: {} } } });

test('the jest environment provides the shared engine and the package name resolves to it', () => {
  expect(shared).toBeDefined();
  expect(mapped.CompositeEngine).not.toBe(own.CompositeEngine);
});

/** The example fleet's approved templates (baseline/config): 17 real templates of every kind. */
const BASELINE = path.join(__dirname, '..', '..', 'baseline', 'config');
const baselineTemplates = fs
  .readdirSync(BASELINE)
  .filter((f) => f.endsWith('.template.json'))
  .map((f) => [f, fs.readFileSync(path.join(BASELINE, f), 'utf8')]);

test("the shared engine's report is the package's own engine's, finding for finding", () => {
  expect(baselineTemplates.length).toBeGreaterThanOrEqual(17);
  const engine = new own.CompositeEngine({});
  try {
    for (const [name, text] of [['broken.json', BROKEN], ['valid.json', VALID], ...baselineTemplates]) {
      const expected = withoutTimings(engine.validateTemplate(new own.TemplateContent(text, name), OPTIONS));
      const actual = withoutTimings(new mapped.CompositeEngine({}).validateTemplate(new mapped.TemplateContent(text, name), OPTIONS));
      expect(actual).toEqual(expected);
      if (name === 'broken.json') expect(expected.diagnostics.length).toBeGreaterThanOrEqual(2);
    }
  } finally {
    engine.free();
  }
});

test('CDK refuses a broken template through it, as cdk synth does, and builds no second engine for the next synthesis', () => {
  const synth = (props: Record<string, unknown>) => {
    const app = offlineApp();
    new CfnResource(new Stack(app, 'Broken', { env: { account: '111122223333', region: 'eu-west-1' } }), 'Bucket', {
      type: 'AWS::S3::Bucket',
      properties: props,
    });
    return () => app.synth();
  };
  expect(synth({ BucketName: 'Not_A_Valid_Bucket_Name' })).toThrow(/Not_A_Valid_Bucket_Name|BucketName/);
  const built = shared?.enginesBuilt();
  expect(synth({})).not.toThrow();
  expect(synth({ BucketName: 'Also_Not_Valid' })).toThrow(/Also_Not_Valid|BucketName/);
  expect(shared?.enginesBuilt()).toBe(built);
});

test('a configuration that is not plain JSON is refused rather than configured differently', () => {
  expect(() => new mapped.CompositeEngine({ regoRules: [new Map()] })).toThrow(/plain JSON/);
  // CDK's own plugin still validates a file it is handed.
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'shared-validator-')), 't.json');
  fs.writeFileSync(file, BROKEN);
  const report = new CloudFormationValidatePlugin().validate({
    stackTemplates: [{ templatePath: file, stackConstructPath: 'S' }],
    templatePaths: [file],
  } as never);
  expect(report.success).toBe(false);
});
