import { Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import { ClinSparkPropsError } from './errors';
import { parseIamPrincipalArn } from './iam-arn';

/**
 * Who may use a key's data-plane (decrypt) operations, in addition to AWS services acting as
 * themselves: the roles of named environments (identified by their `clinspark:*` tags), the CDK
 * deployment roles, and an optional break-glass role.
 */
export interface KeyUsers {
  /** Value of the `clinspark:customer` tag of the roles that may use the key (`platform` for vendor stacks). */
  readonly customer: string;
  /** Values of the `clinspark:environment` tag of the roles that may use the key. */
  readonly environments: readonly string[];
  /** The break-glass administrator role (an IAM role ARN of the key's account). @default - none */
  readonly breakGlassRoleArn?: string;
  /**
   * Further principals (IAM ARNs) that may use the key, e.g. the named recipient of a secret; the
   * key policy's own statements still decide what they may do.
   * @default - none
   */
  readonly additionalPrincipalArns?: readonly string[];
}

/** The actions that expose plaintext or let a principal hand the key on: denied to everyone else. */
export const RESTRICTED_KEY_ACTIONS = ['kms:Decrypt', 'kms:ReEncryptFrom', 'kms:CreateGrant'] as const;

/**
 * Adds to a key's policy two statements that deny kms:Decrypt, kms:ReEncryptFrom and
 * kms:CreateGrant to every principal of the key's account except the named ones, directly and
 * through services (a GetSecretValue, a snapshot restore or a clone through RDS calls KMS with
 * the caller's identity, so they are covered too). The key policy's default statement (the
 * account may administer the key through IAM: CloudFormation updates it, AWS Backup and RDS use
 * it through grants) stays; an explicit deny wins over it
 * (AWS KMS developer guide, "Key policies in AWS KMS" and "Policy evaluation logic").
 *
 * Not denied, on purpose:
 * - AWS services calling as themselves (`aws:PrincipalIsAWSService`), e.g. RDS using its grants
 *   for the cluster's storage; a deny there would make the database's storage inaccessible;
 * - principals of other accounts (`aws:PrincipalAccount`): the default policy grants them nothing;
 * - the CDK deployment roles (`cdk-*-cfn-exec-role-<account>-<region>` and
 *   `cdk-*-deploy-role-<account>-<region>`, CDK bootstrap template): CloudFormation creates the
 *   clusters, and with them RDS's grants, with the execution role;
 * - the roles tagged with this environment's customer and one of the named environment kinds
 *   (CloudFormation propagates the stack tags to every role of the stacks, nested stacks such as
 *   Secrets Manager's hosted rotation included): the set-up, rotation, scrub and application roles;
 * - the break-glass role.
 * Condition keys: IAM User Guide, "AWS global condition context keys" (aws:PrincipalAccount,
 * aws:PrincipalArn, aws:PrincipalIsAWSService, aws:PrincipalTag). Who may tag roles with the
 * clinspark tags (iam:TagRole) is then part of who may use the key: keep it to the deployment roles.
 */
export function restrictKeyUse(key: kms.Key, users: KeyUsers): void {
  const stack = Stack.of(key);
  if (users.environments.length === 0)
    throw new ClinSparkPropsError(key, "'keyUsers.environments' is empty; name at least the key's own environment");
  if (users.breakGlassRoleArn !== undefined && parseIamPrincipalArn(users.breakGlassRoleArn)?.kind !== 'role') {
    throw new ClinSparkPropsError(key, `'keyUsers.breakGlassRoleArn' is '${users.breakGlassRoleArn}'; use an IAM role ARN`);
  }
  const exempt = [
    `arn:${stack.partition}:iam::${stack.account}:role/cdk-*-cfn-exec-role-${stack.account}-${stack.region}`,
    `arn:${stack.partition}:iam::${stack.account}:role/cdk-*-deploy-role-${stack.account}-${stack.region}`,
    ...(users.breakGlassRoleArn ? [users.breakGlassRoleArn] : []),
    ...(users.additionalPrincipalArns ?? []),
  ];
  const common = {
    'aws:PrincipalAccount': stack.account,
  };
  const statement = (sid: string, tagCondition: Record<string, unknown>) =>
    new iam.PolicyStatement({
      sid,
      effect: iam.Effect.DENY,
      principals: [new iam.AnyPrincipal()],
      actions: [...RESTRICTED_KEY_ACTIONS],
      resources: ['*'],
      conditions: {
        StringEquals: common,
        Bool: { 'aws:PrincipalIsAWSService': 'false' },
        ArnNotLike: { 'aws:PrincipalArn': exempt },
        ...tagCondition,
      },
    });
  // Two statements because a statement's conditions are ANDed: the first denies roles of other
  // customers (or untagged ones), the second roles of this customer's other environments.
  key.addToResourcePolicy(
    statement('DenyUseByOtherCustomers', { StringNotEquals: { 'aws:PrincipalTag/clinspark:customer': users.customer } }),
  );
  key.addToResourcePolicy(
    statement('DenyUseByOtherEnvironments', { StringNotEquals: { 'aws:PrincipalTag/clinspark:environment': [...users.environments] } }),
  );
}
