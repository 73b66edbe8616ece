import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as backup from 'aws-cdk-lib/aws-backup';
import * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as rds from 'aws-cdk-lib/aws-rds';
import { Construct } from 'constructs';
import { acknowledge } from '../core/acknowledge';
import { ClinSparkPropsError } from '../core/errors';

export interface ClinSparkBackupProps {
  /** Daily recovery points are kept this long. */
  readonly dailyRetention: Duration;
  /** @default - no monthly recovery points */
  readonly monthlyRetention?: Duration;
  /** Hour (UTC) of the daily backup; keep it away from the maintenance window. @default 3 */
  readonly dailyHourUtc?: number;
  /** Removal policy of the vault and its key. */
  readonly removalPolicy: RemovalPolicy;
  /** Short description for the plan, vault and key descriptions, e.g. "acme/prod". */
  readonly description: string;
}

/**
 * An AWS Backup plan with a vault of its own, encrypted with a customer-managed key: a second,
 * independent line of recovery next to Aurora's automated backups (which go when the cluster
 * goes). Databases join with `addDatabase`.
 */
export class ClinSparkBackup extends Construct {
  readonly vault: backup.BackupVault;
  readonly plan: backup.BackupPlan;
  readonly key: kms.Key;
  private readonly role: iam.Role;
  private readonly clusters: rds.IDatabaseCluster[] = [];

  constructor(scope: Construct, id: string, props: ClinSparkBackupProps) {
    super(scope, id);
    const hour = props.dailyHourUtc ?? 3;
    if (hour < 0 || hour > 23) throw new ClinSparkPropsError(this, `'dailyHourUtc' is ${hour}; use 0-23`);
    this.key = new kms.Key(this, 'Key', {
      description: `ClinSpark ${props.description}: backup vault`,
      enableKeyRotation: true,
      removalPolicy: props.removalPolicy,
    });
    this.vault = new backup.BackupVault(this, 'Vault', {
      encryptionKey: this.key,
      removalPolicy: props.removalPolicy,
      blockRecoveryPointDeletion: true,
    });
    const rules = [
      new backup.BackupPlanRule({
        ruleName: 'Daily',
        scheduleExpression: events.Schedule.cron({ hour: String(hour), minute: '0' }),
        startWindow: Duration.hours(1),
        completionWindow: Duration.hours(4),
        deleteAfter: props.dailyRetention,
      }),
    ];
    if (props.monthlyRetention) {
      rules.push(
        new backup.BackupPlanRule({
          ruleName: 'Monthly',
          scheduleExpression: events.Schedule.cron({ day: '1', hour: String(hour), minute: '30' }),
          startWindow: Duration.hours(1),
          completionWindow: Duration.hours(4),
          deleteAfter: props.monthlyRetention,
        }),
      );
    }
    this.plan = new backup.BackupPlan(this, 'Plan', { backupVault: this.vault, backupPlanRules: rules });
    this.role = new iam.Role(this, 'SelectionRole', {
      assumedBy: new iam.ServicePrincipal('backup.amazonaws.com'),
      description: `AWS Backup of ClinSpark ${props.description}`,
      // Backups only: selections are created with allowRestores false, so the restore policy
      // (AWSBackupServiceRolePolicyForRestores) is not attached; a restore is an operator's
      // deliberate act with a role of its own.
      managedPolicies: [iam.ManagedPolicy.fromAwsManagedPolicyName('service-role/AWSBackupServiceRolePolicyForBackup')],
    });
    acknowledge(this.role, [
      {
        id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForBackup]',
        reason:
          'The AWS Backup service role policy is maintained by AWS for the backup service ' +
          'itself and follows new resource types; the role can only be assumed by ' +
          'backup.amazonaws.com.',
      },
    ]);
  }

  /** Adds a database cluster to the plan. */
  addDatabase(id: string, cluster: rds.IDatabaseCluster): void {
    this.clusters.push(cluster);
    this.plan.addSelection(id, {
      resources: [backup.BackupResource.fromRdsDatabaseCluster(cluster)],
      role: this.role,
      allowRestores: false,
    });
  }
}
