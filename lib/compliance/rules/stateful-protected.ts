import { CfnDeletionPolicy, CfnResource, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { CfnDBCluster } from 'aws-cdk-lib/aws-rds';
import { NagRuleCompliance, NagRules } from 'cdk-nag';
import { CATALOG } from '../../catalog';
import { ENVIRONMENT_KINDS, EnvironmentKind } from '../../config/model';
import { TAG_ENVIRONMENT } from '../../environments';

/** Which catalog entry governs each stateful resource type. */
const GOVERNED_BY: Record<string, 'database' | 'keysAndSecrets' | 'logs'> = {
  'AWS::RDS::DBCluster': 'database',
  'AWS::KMS::Key': 'keysAndSecrets',
  'AWS::SecretsManager::Secret': 'keysAndSecrets',
  'AWS::S3::Bucket': 'keysAndSecrets',
  'AWS::Backup::BackupVault': 'keysAndSecrets',
  'AWS::Logs::LogGroup': 'logs',
};

function environmentOf(node: CfnResource): EnvironmentKind | undefined {
  const value = Stack.of(node).tags.tagValues()[TAG_ENVIRONMENT];
  return (ENVIRONMENT_KINDS as readonly string[]).includes(value) ? (value as EnvironmentKind) : undefined;
}

function deletesOnRemoval(node: CfnResource): boolean {
  const policy = node.cfnOptions.deletionPolicy;
  return policy === undefined || policy === CfnDeletionPolicy.DELETE;
}

/**
 * ClinSpark-StatefulProtected: a stateful resource (database cluster, KMS key, secret, bucket,
 * backup vault, log group) is not deleted with its stack where the environment catalog says its
 * data is kept, and a database cluster has deletion protection where the catalog asks for it.
 */
export function statefulProtected(node: CfnResource): NagRuleCompliance {
  const governed = GOVERNED_BY[node.cfnResourceType];
  const kind = environmentOf(node);
  if (!governed || !kind) return NagRuleCompliance.NOT_APPLICABLE;
  const policy = CATALOG[kind].stateful;
  const mustKeep = policy[governed] !== RemovalPolicy.DESTROY;
  if (mustKeep && deletesOnRemoval(node)) return NagRuleCompliance.NON_COMPLIANT;
  if (node.cfnResourceType === 'AWS::RDS::DBCluster' && policy.deletionProtection) {
    // A cluster that is not the L1 (a raw CfnResource) shows no deletion protection: non-compliant.
    const protectedCluster: unknown = node instanceof CfnDBCluster ? NagRules.resolveIfPrimitive(node, node.deletionProtection) : undefined;
    if (protectedCluster !== true) return NagRuleCompliance.NON_COMPLIANT;
  }
  return NagRuleCompliance.COMPLIANT;
}
