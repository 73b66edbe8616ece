/**
 * A CDK App outside the CDK CLI (tests, generators): the project's cdk.json feature flags as
 * context and a temporary cloud assembly. It synthesises the way `cdk synth` does, with
 * aws-cdk-lib's built-in CloudFormation template validator on; `withoutBuiltinValidation: true`
 * is the named exception for a caller that has validated the same templates elsewhere and only
 * needs them fast. Creation stack traces are off unless asked for (`creationStackTraces`).
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App } from 'aws-cdk-lib';
import * as cxapi from 'aws-cdk-lib/cx-api';

export const PROJECT_ROOT = path.join(__dirname, '..');

export interface OfflineAppOptions {
  /** @default a new temporary directory */
  readonly outdir?: string;
  /**
   * Skip CDK's built-in CloudFormation template validator (about 30% of synth time). Only for
   * callers whose templates are validated by another synth in the same run, or that never
   * deploy them (the stateful lock's generator reads logical ids and types).
   * @default false
   */
  readonly withoutBuiltinValidation?: boolean;
  /**
   * Record where each construct was created (aws-cdk-lib's `aws:cdk:creationStack` metadata in
   * the cloud assembly's manifest, which a validation report prints beside a finding). The
   * templates are the same either way; capturing and source-mapping a stack trace for every
   * construct costs about a tenth of a synthesis. `cdk synth` (bin/clinspark.ts) records them
   * only under `cdk synth --debug` (CDK_DEBUG=true, which records them whatever this says).
   * @default false
   */
  readonly creationStackTraces?: boolean;
}

/** The context that turns aws-cdk-lib's creation stack traces off (see `creationStackTraces`). */
export const WITHOUT_CREATION_STACK_TRACES: Readonly<Record<string, unknown>> = { [cxapi.DISABLE_CREATION_STACK_TRACES]: true };

export function offlineApp(options: OfflineAppOptions = {}): App {
  const context = (JSON.parse(fs.readFileSync(path.join(PROJECT_ROOT, 'cdk.json'), 'utf8')) as { context: Record<string, unknown> })
    .context;
  return new App({
    outdir: options.outdir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'clinspark-cdk-')),
    builtinCloudFormationValidation: !(options.withoutBuiltinValidation ?? false),
    context: { ...context, ...(options.creationStackTraces ? {} : WITHOUT_CREATION_STACK_TRACES) },
  });
}
