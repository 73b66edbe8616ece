/**
 * `npx clinspark retire`: the ordered, safe steps to remove one environment, from its catalog row
 * (lib/catalog.ts: termination protection, deletion protections, removal policies, retention) and
 * its resolved names (lib/naming.ts, EnvironmentSpec.stackNames). It prints commands; it runs none
 * and calls no AWS API.
 *
 * The order: the change record (change-controlled kinds), the environments that depend on this one
 * (a VAL clones PROD or Pre-PROD by cluster name: retire it first), the protections to lift, the
 * buckets CloudFormation cannot delete while they hold objects, then `cdk destroy --exclusively`
 * stack by stack, app and replica before data (without `--exclusively` cdk destroy also destroys
 * every stack that depends on the one named: aws-cdk CdkToolkit.selectStacksForDestroy selects
 * downstream stacks), then the configuration, stateful lock and baseline, and finally what remains
 * in the account by policy and for how long (RETAIN_SOURCES).
 */
import { RemovalPolicy } from 'aws-cdk-lib';
import { Fleet } from '../config/model';
import { EnvironmentSpec } from '../environments';
import { Block, EvidenceDocument } from '../evidence/document';
import { overridesOf } from '../evidence/environment-select';
import { clusterIdentifier, configuredClusterIdentifier, replicaClusterIdentifier, stackName } from '../naming';
import { DeployedState, NoDeployedState, isDeployed } from './deployed-state';

/** AWS documentation behind the "what remains" rows. */

const onOff = (on: boolean | undefined): string => (on ? 'on' : 'off');
export const RETAIN_SOURCES = {
  deletionPolicy:
    'AWS CloudFormation User Guide, DeletionPolicy attribute (Retain, Snapshot, ' +
    'Delete) ' +
    '(https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-attribute-deletionpolicy.html)',
  kms:
    'AWS KMS API Reference, ScheduleKeyDeletion PendingWindowInDays: 7 to 30 days, ' +
    'default 30 ' +
    '(https://docs.aws.amazon.com/kms/latest/APIReference/API_ScheduleKeyDeletion.html)',
  kmsCfn:
    'AWS CloudFormation, AWS::KMS::Key PendingWindowInDays: the waiting period after ' +
    'the key is removed from the stack ' +
    '(https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-kms-key.html)',
  secrets:
    'AWS Secrets Manager API Reference, DeleteSecret RecoveryWindowInDays: 7 to 30 ' +
    'days, default 30 ' +
    '(https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_DeleteSecret.html)',
  automatedBackups:
    'Amazon RDS API Reference, DeleteDBCluster DeleteAutomatedBackups: by default ' +
    'automated backups are removed when the cluster is deleted ' +
    '(https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_DeleteDBCluster.html)',
  backup:
    'AWS Backup Developer Guide, backup plan lifecycle: recovery points are deleted ' +
    'at the end of their retention ' +
    '(https://docs.aws.amazon.com/aws-backup/latest/devguide/creating-a-backup-plan.html)',
  logs:
    'Amazon CloudWatch Logs User Guide, log retention: events older than the ' +
    'retention are deleted, the log group stays ' +
    '(https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/Working-with-log-groups-and-streams.html)',
  s3:
    'AWS CloudFormation, AWS::S3::Bucket: a bucket must be empty (all versions) ' +
    'before CloudFormation can delete it ' +
    '(https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-s3-bucket.html)',
  terminationProtection:
    'AWS CloudFormation User Guide, protecting a stack from being deleted ' +
    '(update-termination-protection) ' +
    '(https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/using-cfn-protect-stacks.html)',
  cdkDestroy:
    'aws-cdk CLI, cdk destroy: without --exclusively the stacks that depend on the ' +
    'named stack are destroyed too ' +
    '(https://docs.aws.amazon.com/cdk/v2/guide/ref-cli-cmd-destroy.html)',
} as const;

/** KMS waiting periods the constructs set (PendingWindowInDays): database, log, replica, jump host keys 30 days; alarm topic key 7. */
const KEY_WAITING_DAYS = { data: 30, alarmTopic: 7 } as const;

export const ECR_PLACEHOLDER = '<ECR reference: fill in the approved change record before any step>';

export interface RetireStep {
  readonly title: string;
  readonly why: string;
  readonly commands: readonly string[];
}

export interface RemainRow {
  readonly what: string;
  readonly policy: string;
  readonly howLong: string;
  readonly source: string;
}

export interface RetirePlan {
  readonly environment: string;
  readonly title: string;
  readonly changeControlled: boolean;
  readonly changeRecord?: string;
  /** Environments of the same owner that copy this one (VAL source). */
  readonly dependents: readonly string[];
  readonly warnings: readonly string[];
  /** Stacks in destroy order. */
  readonly destroyOrder: readonly string[];
  readonly steps: readonly RetireStep[];
  readonly remains: readonly RemainRow[];
}

function policyName(p: RemovalPolicy): string {
  return p === RemovalPolicy.RETAIN
    ? 'RETAIN'
    : p === RemovalPolicy.SNAPSHOT
      ? 'SNAPSHOT'
      : p === RemovalPolicy.DESTROY
        ? 'DESTROY'
        : String(p);
}

export interface RetireInput {
  readonly fleet: Fleet;
  readonly spec: EnvironmentSpec;
  readonly specs: readonly EnvironmentSpec[];
  /** The deployed state, for the exact cluster identifiers (a VAL's carry a hash). */
  readonly deployed: DeployedState | NoDeployedState;
  /** `-c config=<dir>` for a fleet other than the example one, else empty. */
  readonly cdkContext: string;
  /** The fleet directory as the operator gave it (for the commands). */
  readonly configArg: string;
}

export function buildRetirePlan(input: RetireInput): RetirePlan {
  const { spec } = input;
  const p = spec.policy;
  const r = `--region ${spec.region}`;
  const warnings: string[] = [];
  const steps: RetireStep[] = [];
  const state = isDeployed(input.deployed) ? input.deployed : undefined;
  const replicaStack = spec.readReplica ? stackName(spec.owner, spec.name, 'replica') : undefined;
  const stacks = [spec.stackNames.app, ...(replicaStack ? [replicaStack] : []), spec.stackNames.data];
  const clusters = state
    ? state.clusters.map((c) => ({ stack: c.stack, id: c.clusterIdentifier }))
    : [
        ...spec.instances.map((i) => ({
          stack: spec.stackNames.data,
          id: spec.val
            ? `${clusterIdentifier(spec.owner, spec.name, i.role)}-<refresh hash>`
            : configuredClusterIdentifier(spec.owner, spec.name, i.role, spec.lifecycle.wipe),
        })),
        ...(replicaStack ? [{ stack: replicaStack, id: replicaClusterIdentifier(spec.owner, spec.name) }] : []),
      ];
  if (!state)
    warnings.push(
      `${(input.deployed as NoDeployedState).reason}: cluster identifiers are the ` +
        `configured ones; check them with aws rds describe-db-clusters`,
    );

  const dependents = input.specs.filter((s) => s.owner === spec.owner && s.val?.source === spec.kind).map((s) => s.id);
  const changeRecord = p.changeControlled ? ECR_PLACEHOLDER : undefined;
  const record = changeRecord ? ` under ${changeRecord}` : '';

  // 1. Change control.
  if (p.changeControlled)
    steps.push({
      title: 'Approve the change',
      why:
        `${p.title} is change-controlled: its removal is an Environment Change Record, ` +
        `approved and referenced before any protection is lifted.`,
      commands: [`# change record: ${ECR_PLACEHOLDER}`],
    });
  // 2. Dependents.
  if (dependents.length) {
    warnings.push(
      `${dependents.join(', ')} ${dependents.length > 1 ? 'copy' : 'copies'} the ` +
        `databases of ${spec.id} by cluster name (val.source: ${spec.kind}): retire ` +
        `${dependents.length > 1 ? 'them' : 'it'} first, or change its source, or its ` +
        `next refresh fails`,
    );
    steps.push({
      title: 'Retire the environments that depend on this one first',
      why: `${dependents.join(', ')} clone(s) ${spec.id}'s databases; its data stack depends on ${spec.stackNames.data}.`,
      commands: dependents.map((d) => `npx clinspark retire --customer ${spec.owner} --environment ${d.split('/')[1]}`),
    });
  }
  if (p.lifecycle.retiredAtGoLive && !input.specs.some((s) => s.owner === spec.owner && s.kind === 'prod'))
    warnings.push(`${spec.owner} has no PROD in the configuration yet; ${p.title} is normally retired after go-live`);

  // 3. Protections.
  const lift: string[] = [];
  if (p.stack.terminationProtection)
    for (const s of stacks)
      lift.push(`aws cloudformation update-termination-protection ${r} --no-enable-termination-protection --stack-name ${s}`);
  if (p.loadBalancerDeletionProtection)
    lift.push(
      `aws elbv2 modify-load-balancer-attributes ${r} --attributes ` +
        `Key=deletion_protection.enabled,Value=false --load-balancer-arn "$(aws ` +
        `cloudformation describe-stack-resources ${r} --stack-name ` +
        `${spec.stackNames.app} --query ` +
        `"StackResources[?ResourceType=='AWS::ElasticLoadBalancingV2::LoadBalancer'].PhysicalResourceId" ` +
        `--output text)"`,
    );
  if (replicaStack && p.stack.terminationProtection)
    lift.push(
      `aws ec2 modify-instance-attribute ${r} --no-disable-api-termination ` +
        `--instance-id "$(aws cloudformation describe-stack-resources ${r} --stack-name ` +
        `${replicaStack} --query ` +
        `"StackResources[?ResourceType=='AWS::EC2::Instance'].PhysicalResourceId" ` +
        `--output text)"`,
    );
  // A retained cluster is never deleted by CloudFormation, so its deletion protection does not block the stack.
  if (p.stateful.deletionProtection && p.stateful.database !== RemovalPolicy.RETAIN)
    for (const c of clusters)
      lift.push(`aws rds modify-db-cluster ${r} --db-cluster-identifier ${c.id} --no-deletion-protection --apply-immediately`);
  if (lift.length)
    steps.push({
      title: 'Lift the protections',
      why:
        `From the catalog (${p.title}): stack termination protection ${onOff(p.stack.terminationProtection)}, ` +
        `load balancer deletion protection ${onOff(p.loadBalancerDeletionProtection)}, ` +
        `database deletion protection ${onOff(p.stateful.deletionProtection)}` +
        (p.stateful.deletionProtection && p.stateful.database === RemovalPolicy.RETAIN
          ? ' (kept: the clusters are retained, CloudFormation does not delete them)'
          : '') +
        `${record}.`,
      commands: lift,
    });

  // 4. Buckets CloudFormation must delete are emptied first (versioned, no auto-delete).
  if (p.stateful.keysAndSecrets === RemovalPolicy.DESTROY)
    steps.push({
      title: 'Empty the access-log bucket (every version)',
      why:
        `The bucket is deleted with ${spec.stackNames.data} (DESTROY) but is versioned ` +
        `and not auto-emptied; CloudFormation cannot delete a bucket that holds objects. ` +
        `Repeat until no version is left (1000 per call).`,
      commands: [
        `BUCKET="$(aws cloudformation describe-stack-resources ${r} --stack-name ` +
          `${spec.stackNames.data} --query ` +
          `"StackResources[?ResourceType=='AWS::S3::Bucket'].PhysicalResourceId" --output ` +
          `text)"`,
        `aws s3api list-object-versions ${r} --bucket "$BUCKET" --max-items 1000 --query ` +
          `'{Objects: [Versions, DeleteMarkers][][].{Key: Key, VersionId: VersionId}}' ` +
          `--output json > versions.json`,
        `aws s3api delete-objects ${r} --bucket "$BUCKET" --delete file://versions.json`,
      ],
    });

  // 5. Destroy.
  steps.push({
    title: 'Destroy the stacks, one at a time, in this order',
    why:
      `App${replicaStack ? ' and replica' : ''} before data (they read the data ` +
      `stack's outputs). --exclusively: without it cdk destroy also destroys every ` +
      `stack that depends on the one ` +
      `named${dependents.length ? ` (here ${dependents.join(', ')})` : ''}.`,
    commands: stacks.map((s) => `npx cdk destroy --exclusively${input.cdkContext ? ` ${input.cdkContext}` : ''} ${s}`),
  });

  // 6. Configuration.
  const { path: envPath } = overridesOf(input.fleet, spec);
  steps.push({
    title: 'Remove the environment from the configuration, the stateful lock and the baseline',
    why:
      `Otherwise the next deploy recreates it. Delete ${envPath} from ` +
      `${spec.sourceFile}; the lock and the baseline then record the removal (the ECR ` +
      `of the change shows "environment removed").`,
    commands: [
      `# edit ${spec.sourceFile}: remove ${envPath}`,
      `npm run stateful-lock:update -- ${input.configArg}`,
      'npx cdk synth && npx clinspark baseline --assembly cdk.out --out <the fleet baseline, baseline/config for the example fleet>',
    ],
  });

  // What remains.
  const remains: RemainRow[] = [];
  const db = p.stateful.database;
  const ids = clusters.map((c) => c.id).join(', ');
  remains.push({
    what: `database clusters (${ids})`,
    policy: policyName(db),
    howLong:
      db === RemovalPolicy.RETAIN
        ? `stay in the account, running and ` +
          `billed${p.stateful.deletionProtection ? ', deletion protection on' : ''}, with ` +
          `their automated backups (${p.backup.retentionDays} days) until deleted by hand: ` +
          `take a final snapshot, then aws rds modify-db-cluster --no-deletion-protection ` +
          `and aws rds delete-db-cluster --final-db-snapshot-identifier <id>${record}`
        : db === RemovalPolicy.SNAPSHOT
          ? `a final cluster snapshot of each is taken by CloudFormation when the stack ` +
            `deletes it and kept until deleted by hand (manual snapshots do not expire); ` +
            `automated backups (${p.backup.retentionDays} days) go with the cluster`
          : `deleted with the stack, without a final snapshot; automated backups (${p.backup.retentionDays} days) go with the cluster`,
    source: `${RETAIN_SOURCES.deletionPolicy}; ${RETAIN_SOURCES.automatedBackups}`,
  });
  if (p.lifecycle.preUpgradeSnapshot)
    remains.push({
      what: 'pre-upgrade snapshots (<cluster>-pre-*)',
      policy: 'manual snapshots',
      howLong: 'kept until deleted by hand (the rollback reference of past ECRs)',
      source: RETAIN_SOURCES.deletionPolicy,
    });
  if (p.backup.plan)
    remains.push({
      what: 'AWS Backup vault and its recovery points',
      policy: 'RETAIN (always)',
      howLong:
        `recovery points expire ${p.backup.plan.dailyRetentionDays} days ` +
        `(daily)${p.backup.plan.monthlyRetentionDays ? ` and ${p.backup.plan.monthlyRetentionDays} days (monthly)` : ''} ` +
        `after they were taken, so the last one ` +
        `${p.backup.plan.monthlyRetentionDays ?? p.backup.plan.dailyRetentionDays} days ` +
        `after the last backup; the vault denies manual deletion of recovery points; ` +
        `delete the empty vault, then schedule its key's deletion`,
      source: RETAIN_SOURCES.backup,
    });
  const keep = p.stateful.keysAndSecrets;
  remains.push({
    what: 'KMS keys (databases, logs, backup vault, alarm topic)',
    policy: policyName(keep),
    howLong:
      keep === RemovalPolicy.DESTROY
        ? `deletion scheduled by CloudFormation with the stack: deleted after the key's ` +
          `waiting period (${KEY_WAITING_DAYS.data} days for database and log keys, ` +
          `${KEY_WAITING_DAYS.alarmTopic} for the alarm topic key), cancellable until then`
        : `stay enabled (and billed) until deletion is scheduled by hand (waiting period 7 ` +
          `to 30 days); keep every key as long as a snapshot or recovery point encrypted ` +
          `with it is kept: without the key they cannot be restored`,
    source: `${RETAIN_SOURCES.kms}; ${RETAIN_SOURCES.kmsCfn}`,
  });
  remains.push({
    what: `secrets (database master and application credentials${spec.readReplica ? ', the replica read-only account' : ''})`,
    policy: policyName(keep),
    howLong:
      keep === RemovalPolicy.DESTROY
        ? 'deleted with the stack'
        : 'kept until deleted by hand (aws secretsmanager delete-secret, recovery window 7 to 30 days, default 30)',
    source: RETAIN_SOURCES.secrets,
  });
  remains.push({
    what: `buckets (load balancer access logs${spec.val ? ', PII scrub evidence' : ''})`,
    policy: policyName(keep),
    howLong:
      keep === RemovalPolicy.DESTROY
        ? 'deleted with the stack once emptied (step above)'
        : `kept: access logs expire ${p.logRetention} days after they were written ` +
          `(noncurrent versions after 30 ` +
          `days)${spec.val ? '; the scrub evidence has no expiry and is kept until deleted by hand' : ''}`,
    source: `${RETAIN_SOURCES.deletionPolicy}; ${RETAIN_SOURCES.s3}`,
  });
  remains.push({
    what: 'log groups (database audit, error and slow-query logs, application, flow, WAF and function logs)',
    policy: policyName(p.stateful.logs),
    howLong:
      p.stateful.logs === RemovalPolicy.DESTROY
        ? 'deleted with the stack'
        : `kept; events expire ${p.logRetention} days after they were written (slow-query ` +
          `logs: 30 days at most), the (empty) groups stay until deleted by hand`,
    source: RETAIN_SOURCES.logs,
  });
  return {
    environment: spec.id,
    title: p.title,
    changeControlled: p.changeControlled,
    changeRecord,
    dependents,
    warnings,
    destroyOrder: stacks,
    steps,
    remains,
  };
}

export function retireDocument(plan: RetirePlan): EvidenceDocument {
  const b: Block[] = [];
  b.push({ kind: 'heading', level: 1, text: `Retire ${plan.environment} (${plan.title})` });
  b.push({
    kind: 'paragraph',
    text: 'Steps to run in order. This command changes nothing and calls no AWS API: every command below is for the operator to run.',
  });
  if (plan.changeRecord) b.push({ kind: 'paragraph', text: `Change record: ${plan.changeRecord}.` });
  if (plan.warnings.length) {
    b.push({ kind: 'heading', level: 2, text: 'Warnings' });
    b.push({ kind: 'list', items: plan.warnings.map((w) => `WARNING: ${w}`) });
  }
  plan.steps.forEach((s, i) => {
    b.push({ kind: 'heading', level: 2, text: `${i + 1}. ${s.title}` });
    b.push({ kind: 'paragraph', text: s.why });
    b.push({ kind: 'code', text: s.commands.join('\n') });
  });
  b.push({ kind: 'heading', level: 2, text: 'What remains by policy, and for how long' });
  b.push({
    kind: 'table',
    columns: ['Resource', 'Removal policy', 'How long', 'Source'],
    rows: plan.remains.map((x) => [x.what, x.policy, x.howLong, x.source]),
  });
  return { title: `Retire ${plan.environment}`, id: `retire-${plan.environment.replace('/', '-')}`, blocks: b };
}
