/**
 * The threaded built-in validator: each template is validated in a worker as soon as its stack is
 * written, and the report CDK gets is the one CDK's own validator makes over every template; a
 * template changed after it was handed over is validated again; reports merge as one call over
 * every template merges its diagnostics.
 */
import * as fs from 'fs';
import { CfnResource, CloudFormationValidatePlugin, PolicyValidationPluginReport, PolicyViolation, Stack } from 'aws-cdk-lib';
import { ThreadedCloudFormationValidatePlugin, mergeReports, validationThreads } from '../../lib/builtin-validation';
import { offlineApp } from '../../lib/offline-app';

const resource = (id: string) => ({ resourceLogicalId: id, templatePath: `${id}.json`, locations: [] });
const violation = (ruleName: string, severity: string, ...ids: string[]): PolicyViolation => ({
  ruleName,
  description: `${ruleName} happened`,
  severity,
  violatingResources: ids.map(resource),
});
const report = (...violations: PolicyViolation[]): PolicyValidationPluginReport => ({ success: true, violations });

/** Three stacks: two with problems of the same rules (merged across templates), one valid. */
function plantedApp() {
  const app = offlineApp({ withoutBuiltinValidation: true });
  const env = { account: '111122223333', region: 'eu-west-1' };
  const broken = (id: string, name: string) => {
    const stack = new Stack(app, id, { env });
    new CfnResource(stack, 'Bucket', { type: 'AWS::S3::Bucket', properties: { BucketName: name } });
    new CfnResource(stack, 'Cluster', { type: 'AWS::RDS::DBCluster', properties: { Engine: 'aurora-mysql', Nonsense: true } });
  };
  broken('First', 'Not_A_Valid_Bucket_Name');
  new CfnResource(new Stack(app, 'Valid', { env }), 'Bucket', { type: 'AWS::S3::Bucket' });
  broken('Third', 'Another_Invalid_Name');
  return app;
}

/** The validation context CDK builds from the assembly (core/lib/private/synthesis-validation.js). */
function contextOf(app: ReturnType<typeof plantedApp>) {
  const assembly = app.synth();
  const stackTemplates = assembly.stacks.map((s) => ({
    stackConstructPath: s.hierarchicalId,
    templatePath: s.templateFullPath,
    accountId: s.environment.account,
    region: s.environment.region,
  }));
  return { stackTemplates, templatePaths: stackTemplates.map((s) => s.templatePath), appConstruct: app };
}

test("templates are validated as their stacks are written, and the report is CDK's own over every template", () => {
  const app = plantedApp();
  const threaded = new ThreadedCloudFormationValidatePlugin(1, ['AWS::RDS::DBCluster', 'AWS::S3::Bucket']);
  threaded.watch(app.node.children.filter(Stack.isStack));
  const context = contextOf(app);
  const report = threaded.validate(context);
  expect(threaded.reused).toBe(3);
  expect(report).toEqual(new CloudFormationValidatePlugin().validate(context));
  expect(report.success).toBe(false);
  // The same finding in both broken stacks is one violation with both resources, in template order.
  const paths = (v: PolicyViolation) =>
    v.violatingResources.map((r) => `${(r.templatePath ?? '').split('/').pop()}#${r.resourceLogicalId}`);
  expect(report.violations.map(paths)).toContainEqual(['First.template.json#Cluster', 'Third.template.json#Cluster']);
  expect(report.violations.map(paths)).toContainEqual(['First.template.json#Bucket']);
});

test('a template changed after it was handed over is validated again, as it is on disk', () => {
  const app = plantedApp();
  const threaded = new ThreadedCloudFormationValidatePlugin(1, ['AWS::RDS::DBCluster', 'AWS::S3::Bucket']);
  threaded.watch(app.node.children.filter(Stack.isStack));
  const context = contextOf(app);
  expect(threaded.settle(60_000)).toBe(true);
  const valid = context.templatePaths.find((p) => p.includes('Valid'))!;
  const template = JSON.parse(fs.readFileSync(valid, 'utf8'));
  template.Resources.Bucket.Properties = { BucketName: 'Planted_After_Synthesis', AccelerateConfiguration: 7 };
  fs.writeFileSync(valid, JSON.stringify(template, null, 1));
  const report = threaded.validate(context);
  expect(threaded.reused).toBe(2);
  expect(report).toEqual(new CloudFormationValidatePlugin().validate(context));
  expect(report.violations.some((v) => v.violatingResources.some((r) => r.templatePath === valid))).toBe(true);
});

test('reports merge like consecutive templates: same rule, severity and description add their resources, new ones follow in order', () => {
  const merged = mergeReports([
    report(violation('W1', 'warning', 'A1'), violation('E1', 'error', 'A2')),
    report(violation('W2', 'warning', 'B1'), violation('W1', 'warning', 'B2', 'B3')),
  ]);
  expect(merged.violations.map((v) => [v.ruleName, v.violatingResources.map((r) => r.resourceLogicalId)])).toEqual([
    ['W1', ['A1', 'B2', 'B3']],
    ['E1', ['A2']],
    ['W2', ['B1']],
  ]);
  expect(merged.success).toBe(false);
  expect(mergeReports([report(violation('W1', 'warning', 'A1'))]).success).toBe(true);
});

test('CLINSPARK_VALIDATION_THREADS sets the workers; 0 leaves the validator to CDK; nonsense is refused', () => {
  expect(validationThreads({ CLINSPARK_VALIDATION_THREADS: '0' })).toBe(0);
  expect(validationThreads({ CLINSPARK_VALIDATION_THREADS: '3' })).toBe(3);
  expect(validationThreads({})).toBeGreaterThanOrEqual(1);
  expect(() => validationThreads({ CLINSPARK_VALIDATION_THREADS: 'many' })).toThrow(/whole number/);
});
