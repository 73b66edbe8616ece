/** How tests run the real CDK CLI: the project's pinned binary, offline, quiet, without credentials. */
import * as path from 'path';

export const PROJECT_ROOT = path.join(__dirname, '..', '..');
export const CDK_BIN = path.join(PROJECT_ROOT, 'node_modules', '.bin', 'cdk');
export const OFFLINE_CDK_ENV: NodeJS.ProcessEnv = {
  ...process.env,
  CDK_DISABLE_VERSION_CHECK: '1',
  CDK_DISABLE_CLI_TELEMETRY: 'true',
  AWS_ACCESS_KEY_ID: '',
  AWS_SECRET_ACCESS_KEY: '',
  AWS_PROFILE: 'none',
};
