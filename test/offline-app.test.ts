/**
 * offlineApp (lib/offline-app.ts): the project's feature flags, CDK's template validator on unless
 * named, and creation stack traces only when asked for, with the same templates either way.
 */
import * as fs from 'fs';
import * as path from 'path';
import { CfnResource, Stack } from 'aws-cdk-lib';
import * as cxschema from 'aws-cdk-lib/cloud-assembly-schema';
import { offlineApp } from '../lib/offline-app';

function synth(creationStackTraces?: boolean) {
  const app = offlineApp({ creationStackTraces });
  const bucket = new CfnResource(new Stack(app, 'S', { env: { account: '111122223333', region: 'eu-west-1' } }), 'Bucket', {
    type: 'AWS::S3::Bucket',
  });
  const assembly = app.synth();
  const artifact = assembly.getStackByName('S');
  const ofType = (type: string) => bucket.node.metadata.filter((e) => e.type === type).length;
  return {
    template: fs.readFileSync(path.join(assembly.directory, artifact.templateFile), 'utf8'),
    traces: ofType(cxschema.ArtifactMetadataEntryType.CREATION_STACK),
    logicalIds: ofType(cxschema.ArtifactMetadataEntryType.LOGICAL_ID),
  };
}

test('creation stack traces are recorded only when asked for; the template is the same', () => {
  const without = synth();
  const withTraces = synth(true);
  expect(without.traces).toBe(0);
  expect(withTraces.traces).toBeGreaterThan(0);
  expect(without.logicalIds).toBe(withTraces.logicalIds);
  expect(without.template).toBe(withTraces.template);
});

test('CDK_DEBUG=true (what `cdk synth --debug` sets for the app) records them although the context turns them off', () => {
  const before = process.env.CDK_DEBUG;
  process.env.CDK_DEBUG = 'true';
  try {
    expect(synth().traces).toBeGreaterThan(0);
  } finally {
    if (before === undefined) delete process.env.CDK_DEBUG;
    else process.env.CDK_DEBUG = before;
  }
});

test("the project's feature flags are the app's context", () => {
  const flags = (JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'cdk.json'), 'utf8')) as { context: Record<string, unknown> })
    .context;
  const app = offlineApp();
  for (const [key, value] of Object.entries(flags)) expect([key, app.node.tryGetContext(key)]).toEqual([key, value]);
});
