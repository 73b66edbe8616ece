/**
 * A CDK App outside the CDK CLI (tests, generators): the project's cdk.json feature flags as
 * context, a temporary cloud assembly, and optionally without aws-cdk-lib's built-in CloudFormation
 * validator (the real `cdk synth` keeps it).
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App } from 'aws-cdk-lib';

export const PROJECT_ROOT = path.join(__dirname, '..');

export function offlineApp(options: { readonly outdir?: string; readonly builtinValidation?: boolean } = {}): App {
  const context = (JSON.parse(fs.readFileSync(path.join(PROJECT_ROOT, 'cdk.json'), 'utf8')) as { context: Record<string, unknown> }).context;
  return new App({
    outdir: options.outdir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'clinspark-cdk-')),
    builtinCloudFormationValidation: options.builtinValidation ?? false,
    context,
  });
}
