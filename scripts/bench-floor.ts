/**
 * The bare-CDK floor of a synthesis (used by `npm run bench`): re-emits every template of a cloud
 * assembly through `CfnInclude` in an App of its own, with CDK's built-in template validator on,
 * as the real synth has it, and no construct logic, no compliance gate. What is left is what CDK
 * itself needs to resolve, validate and write the same templates: the synth of the project is
 * measured against it in the same run. With `--without-validation` the validator is off too: what is
 * left is CDK resolving and writing the templates (the floor the targets were set against).
 *
 *   node -r ts-node/register scripts/bench-floor.ts <assembly dir> <output dir> [--without-validation]
 */
import * as fs from 'fs';
import * as path from 'path';
import { App, DefaultStackSynthesizer, Stack } from 'aws-cdk-lib';
import { CfnInclude } from 'aws-cdk-lib/cloudformation-include';
import { WITHOUT_CREATION_STACK_TRACES } from '../lib/offline-app';

const [assembly, outdir, flag] = process.argv.slice(2);
if (!assembly || !outdir || (flag !== undefined && flag !== '--without-validation')) {
  process.stderr.write('usage: bench-floor <assembly dir> <output dir> [--without-validation]\n');
  process.exit(2);
}
const manifest = JSON.parse(fs.readFileSync(path.join(assembly, 'manifest.json'), 'utf8')) as {
  artifacts: Record<string, { type: string; environment?: string; properties?: { templateFile?: string } }>;
};
// Without creation stack traces, as `cdk synth` of the project has it (bin/clinspark.ts).
const app = new App({
  outdir,
  builtinCloudFormationValidation: flag !== '--without-validation',
  context: WITHOUT_CREATION_STACK_TRACES,
});
for (const [name, artifact] of Object.entries(manifest.artifacts)) {
  if (artifact.type !== 'aws:cloudformation:stack' || !artifact.properties?.templateFile) continue;
  const [, account, region] = /^aws:\/\/([^/]+)\/(.+)$/.exec(artifact.environment ?? '') ?? [];
  // The default synthesizer adds BootstrapVersion (parameter and rule) again: the included template has them.
  const stack = new Stack(app, name, {
    ...(account && region ? { env: { account, region } } : {}),
    synthesizer: new DefaultStackSynthesizer({ generateBootstrapVersionRule: false }),
  });
  // CfnInclude does not parse Fn::GetStackOutput (the weak cross-stack references): each becomes
  // a literal of the same size, which costs CDK the same to resolve and write.
  const template = fs.readFileSync(path.join(assembly, artifact.properties.templateFile), 'utf8');
  const included = path.join(outdir, '..', `floor-input-${name}.json`);
  fs.mkdirSync(path.dirname(included), { recursive: true });
  fs.writeFileSync(
    included,
    JSON.stringify(
      JSON.parse(template, (_key, value: unknown) =>
        value && typeof value === 'object' && 'Fn::GetStackOutput' in value ? JSON.stringify(value) : value,
      ),
    ),
  );
  new CfnInclude(stack, 'Template', { templateFile: included });
}
app.synth();
