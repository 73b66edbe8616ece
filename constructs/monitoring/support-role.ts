import { Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { acknowledge } from '../core/acknowledge';
import { ClinSparkRole } from '../core/clinspark-role';

export interface SupportRoleProps {
  /** Fixed name, so that the vendor's support principal knows what to assume. */
  readonly roleName: string;
  /** The vendor's support principal (an IAM role ARN, usually of the vendor's account). */
  readonly supportPrincipalArn: string;
  /** The environment's dashboard. */
  readonly dashboardName: string;
  /** Log groups support may read and query (Logs Insights): application and database audit/error logs. */
  readonly logGroups: readonly logs.ILogGroup[];
  /** Short description for the role description, e.g. "acme/prod". */
  readonly description: string;
}

/**
 * Every action that reads data or secret material, denied explicitly: an explicit deny wins over
 * any allow, so no later grant, managed policy or key policy can give this role decryption
 * (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html).
 * Action names: https://docs.aws.amazon.com/service-authorization/latest/reference/list_awskeymanagementservice.html,
 * .../list_awssecretsmanager.html, .../list_amazonrdsiamauthentication.html (rds-db:connect),
 * .../list_amazonelasticcontainerservice.html (ecs:ExecuteCommand), .../list_awssystemsmanager.html.
 */
export const SUPPORT_DENIED_ACTIONS = [
  'kms:Decrypt',
  'kms:ReEncryptFrom',
  'kms:ReEncryptTo',
  'kms:GenerateDataKey',
  'kms:GenerateDataKeyWithoutPlaintext',
  'kms:GenerateDataKeyPair',
  'kms:CreateGrant',
  'secretsmanager:GetSecretValue',
  'secretsmanager:BatchGetSecretValue',
  'rds-db:connect',
  'rds:DownloadDBLogFilePortion',
  'rds:DownloadCompleteDBLogFile',
  'ecs:ExecuteCommand',
  'ssm:StartSession',
  'ssm:GetParameter',
  'ssm:GetParameters',
  'ssm:GetParametersByPath',
  's3:GetObject',
  's3:GetObjectVersion',
] as const;

/**
 * The read-only support role of one environment, assumable by the vendor's support principal:
 * it reads the environment's dashboard, all alarms and metrics of the account, the given log
 * groups (events and Logs Insights queries) and the ECS and RDS descriptions, and nothing that
 * decrypts data (explicit deny above). Reading an encrypted log group needs no KMS permission of
 * the reader: CloudWatch Logs decrypts with the key policy's grant to the service
 * (https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/encrypt-log-data-kms.html).
 */
export class SupportRole extends Construct {
  readonly role: ClinSparkRole;

  constructor(scope: Construct, id: string, props: SupportRoleProps) {
    super(scope, id);
    const stack = Stack.of(this);
    this.role = new ClinSparkRole(this, 'Role', {
      roleName: props.roleName,
      assumedBy: new iam.ArnPrincipal(props.supportPrincipalArn),
      description: props.description.slice(0, 1000),
    });
    const arn = (service: string, resource: string, region = stack.region) =>
      `arn:${stack.partition}:${service}:${region}:${stack.account}:${resource}`;
    // Resource and action names: https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazoncloudwatch.html
    // (dashboard ARNs have no region), list_amazoncloudwatchlogs.html, list_amazonelasticcontainerservice.html, list_amazonrds.html.
    this.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'ReadDashboard',
        actions: ['cloudwatch:GetDashboard'],
        resources: [arn('cloudwatch', `dashboard/${props.dashboardName}`, '')],
      }),
    );
    this.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'ReadAlarmsAndMetrics',
        actions: [
          'cloudwatch:ListDashboards',
          'cloudwatch:DescribeAlarms',
          'cloudwatch:DescribeAlarmHistory',
          'cloudwatch:DescribeAlarmsForMetric',
          'cloudwatch:GetMetricData',
          'cloudwatch:GetMetricStatistics',
          'cloudwatch:ListMetrics',
          'logs:DescribeLogGroups',
          'logs:DescribeQueries',
          'logs:GetQueryResults',
          'logs:StopQuery',
          'ecs:DescribeClusters',
          'ecs:DescribeServices',
          'ecs:DescribeTasks',
          'ecs:DescribeTaskDefinition',
          'ecs:ListClusters',
          'ecs:ListServices',
          'ecs:ListTasks',
          'rds:DescribeDBClusters',
          'rds:DescribeDBInstances',
          'rds:DescribeEvents',
          'rds:DescribeDBClusterSnapshots',
          'rds:DescribePendingMaintenanceActions',
        ],
        resources: ['*'],
      }),
    );
    if (props.logGroups.length > 0) {
      this.role.addToPrincipalPolicy(
        new iam.PolicyStatement({
          sid: 'ReadEnvironmentLogs',
          actions: ['logs:StartQuery', 'logs:FilterLogEvents', 'logs:GetLogEvents', 'logs:DescribeLogStreams', 'logs:GetLogGroupFields'],
          // A log group's Arn attribute ends in ":*", which covers its log streams.
          resources: props.logGroups.map((g) => g.logGroupArn),
        }),
      );
    }
    this.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'NeverDecryptOrReadSecrets',
        effect: iam.Effect.DENY,
        actions: [...SUPPORT_DENIED_ACTIONS],
        resources: ['*'],
      }),
    );
    acknowledge(this.role.permissions, [
      {
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason:
          'Support reads alarms, metrics and the ECS and RDS descriptions of its ' +
          'environment; these List/Describe/GetMetricData actions have no resource-level ' +
          'permissions (Service Authorization Reference). Decryption and secret reads are ' +
          'denied explicitly.',
      },
    ]);
  }
}
