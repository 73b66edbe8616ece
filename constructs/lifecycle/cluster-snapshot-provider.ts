import * as path from 'path';
import { ArnFormat, Duration, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import { acknowledge } from '../core/acknowledge';
import { ClinSparkFunction } from '../core/clinspark-function';
import { ClinSparkProvider, ClinSparkProviderProps } from '../core/clinspark-provider';

/**
 * The provider framework's placement and logging (ClinSparkProviderProps: VPC, subnets with a
 * route to the RDS API, log key, retention and removal policy, description such as "acme/prod"),
 * and how long a deployment waits for one snapshot to become available
 * (`totalTimeout`, default 55 minutes: CloudFormation waits at most one hour for a custom resource).
 */
export type ClusterSnapshotProviderProps = Omit<ClinSparkProviderProps, 'onEvent' | 'isComplete' | 'queryInterval'>;

/** What a snapshot resource may do to one cluster: snapshot it under a name or a name pattern. */
export interface SnapshotGrant {
  /** The cluster that is snapshotted (a fixed name). */
  readonly clusterIdentifier: string;
  /** The snapshot identifier, or a pattern ending in `*` (e.g. `<cluster>-pre-*`). */
  readonly snapshotIdentifier: string;
  /** Why a pattern is needed (the reviewer's reason for the IAM5 finding); required for a pattern. */
  readonly patternReason?: string;
  /**
   * The cluster's storage key: the key itself (same stack), or the tags that identify it (another
   * environment's key, e.g. Pre-PROD's at go-live).
   */
  readonly key: kms.IKey | { readonly tags: Readonly<Record<string, string>> };
}

/**
 * The custom-resource provider of the lifecycle snapshots (constructs/lifecycle/handler/cluster-snapshot.ts):
 * an onEvent function that starts CreateDBClusterSnapshot and an isComplete function that waits
 * until the snapshot is available (Provider framework waiter, every 30 s, up to `totalTimeout`),
 * so a snapshot may take longer than one Lambda run. One per data stack; every snapshot resource
 * of the stack uses it, and `grant` gives its functions the rights on one cluster only.
 */
export class ClusterSnapshotProvider extends Construct {
  readonly onEvent: ClinSparkFunction;
  readonly isComplete: ClinSparkFunction;
  readonly provider: ClinSparkProvider;
  readonly serviceToken: string;

  constructor(scope: Construct, id: string, props: ClusterSnapshotProviderProps) {
    super(scope, id);
    const entry = path.join(__dirname, 'handler', 'cluster-snapshot.ts');
    const common = {
      entry,
      vpc: props.vpc,
      vpcSubnets: props.vpcSubnets,
      logKey: props.logKey,
      logRetention: props.logRetention,
      logRemovalPolicy: props.logRemovalPolicy,
    };
    this.onEvent = new ClinSparkFunction(this, 'StartFunction', {
      ...common,
      handler: 'handler',
      description: `ClinSpark ${props.description}: lifecycle cluster snapshots (start)`,
      timeout: Duration.minutes(2),
    });
    this.isComplete = new ClinSparkFunction(this, 'WaitFunction', {
      ...common,
      handler: 'isComplete',
      description: `ClinSpark ${props.description}: lifecycle cluster snapshots (wait until available)`,
      timeout: Duration.minutes(1),
    });
    this.provider = new ClinSparkProvider(this, 'Provider', {
      onEvent: this.onEvent,
      isComplete: this.isComplete,
      queryInterval: Duration.seconds(30),
      totalTimeout: props.totalTimeout ?? Duration.minutes(55),
      vpc: props.vpc,
      vpcSubnets: props.vpcSubnets,
      logKey: props.logKey,
      logRetention: props.logRetention,
      logRemovalPolicy: props.logRemovalPolicy,
      description: `${props.description} lifecycle cluster snapshots`,
    });
    this.serviceToken = this.provider.serviceToken;
  }

  private arn(resource: 'cluster' | 'cluster-snapshot', name: string): string {
    return Stack.of(this).formatArn({ service: 'rds', resource, resourceName: name, arnFormat: ArnFormat.COLON_RESOURCE_NAME });
  }

  /**
   * Lets the functions snapshot one cluster (IAM Service Authorization Reference, "Actions,
   * resources, and condition keys for Amazon RDS", list_amazonrds.html): rds:CreateDBClusterSnapshot
   * needs both the cluster and the snapshot resource; tags given to it need rds:AddTagsToResource
   * on the snapshot; rds:DescribeDBClusters on the cluster (does it exist yet?) and
   * rds:DescribeDBClusterSnapshots on the snapshot (idempotent retry, wait until available).
   *
   * KMS: "When Aurora uses a customer managed key in cryptographic operations, it acts on behalf
   * of the user who is creating or changing the Aurora resource", who needs kms:CreateGrant and
   * kms:DescribeKey on it (Aurora User Guide, "AWS KMS key management", "Authorizing use of a
   * customer managed key"). A snapshot is such a resource, so the start function gets both, only
   * through RDS (kms:ViaService `rds.<region>.amazonaws.com`) and only for grants to AWS resources
   * (kms:GrantIsForAWSResource), on the cluster's own key. No kms:Decrypt: the function reads no
   * data. The keys of PROD deny kms:CreateGrant to roles without the environment's
   * `clinspark:customer` and `clinspark:environment` tags (constructs/core/key-policy.ts); this
   * function's role carries the stack's tags, which are those.
   */
  grant(g: SnapshotGrant): void {
    const cluster = this.arn('cluster', g.clusterIdentifier);
    const snapshot = this.arn('cluster-snapshot', g.snapshotIdentifier);
    const start = this.onEvent.role;
    start.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['rds:CreateDBClusterSnapshot', 'rds:DescribeDBClusters'],
        resources: [cluster],
      }),
    );
    start.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['rds:CreateDBClusterSnapshot', 'rds:AddTagsToResource', 'rds:DescribeDBClusterSnapshots'],
        resources: [snapshot],
      }),
    );
    this.isComplete.role.addToPrincipalPolicy(
      new iam.PolicyStatement({ actions: ['rds:DescribeDBClusterSnapshots'], resources: [snapshot] }),
    );
    const region = Stack.of(this).region;
    const viaRds = { 'kms:ViaService': `rds.${region}.amazonaws.com` };
    if ('tags' in g.key) {
      start.addToPrincipalPolicy(
        new iam.PolicyStatement({
          actions: ['kms:CreateGrant', 'kms:DescribeKey'],
          resources: [Stack.of(this).formatArn({ service: 'kms', resource: 'key', resourceName: '*' })],
          conditions: {
            StringEquals: { ...viaRds, ...Object.fromEntries(Object.entries(g.key.tags).map(([k, v]) => [`aws:ResourceTag/${k}`, v])) },
            Bool: { 'kms:GrantIsForAWSResource': 'true' },
          },
        }),
      );
      acknowledge(start.permissions, [
        {
          id: `AwsSolutions-IAM5[Resource::${this.nagArn('kms', 'key/*')}]`,
          reason:
            `The snapshotted cluster ${g.clusterIdentifier} belongs to another stack, whose ` +
            `key this stack cannot name: the grant is limited to the keys tagged ` +
            `${Object.entries(g.key.tags)
              .map(([k, v]) => `${k}=${v}`)
              .join(', ')}, ` +
            `used through RDS only (kms:ViaService) for grants to AWS resources ` +
            `(kms:GrantIsForAWSResource); no decryption.`,
        },
      ]);
    } else {
      start.addToPrincipalPolicy(
        new iam.PolicyStatement({ actions: ['kms:DescribeKey'], resources: [g.key.keyArn], conditions: { StringEquals: viaRds } }),
      );
      start.addToPrincipalPolicy(
        new iam.PolicyStatement({
          actions: ['kms:CreateGrant'],
          resources: [g.key.keyArn],
          conditions: { StringEquals: viaRds, Bool: { 'kms:GrantIsForAWSResource': 'true' } },
        }),
      );
    }
    if (g.snapshotIdentifier.endsWith('*')) {
      const reason = g.patternReason;
      if (!reason) throw new Error(`${this.node.path}: a snapshot name pattern (${g.snapshotIdentifier}) needs a reason`);
      const finding = `AwsSolutions-IAM5[Resource::${this.nagArn('rds', `cluster-snapshot:${g.snapshotIdentifier}`)}]`;
      acknowledge(start.permissions, [{ id: finding, reason }]);
      acknowledge(this.isComplete.role.permissions, [{ id: finding, reason }]);
    }
  }

  /** An ARN of this stack as cdk-nag writes it in a finding id (a pseudo parameter as `<AWS::Partition>`). */
  private nagArn(service: string, resource: string): string {
    const stack = Stack.of(this);
    const resolved: unknown = stack.resolve(`arn:${stack.partition}:${service}:${stack.region}:${stack.account}:${resource}`);
    if (typeof resolved === 'string') return resolved;
    const join = (resolved as { 'Fn::Join'?: [string, unknown[]] })['Fn::Join'];
    if (!join) throw new Error(`${this.node.path}: cannot render ${JSON.stringify(resolved)} for an acknowledgement`);
    return join[1].map((part) => (typeof part === 'string' ? part : `<${(part as { Ref: string }).Ref}>`)).join(join[0]);
  }
}
