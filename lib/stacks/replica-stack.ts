import { CfnOutput, Duration } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as route53 from 'aws-cdk-lib/aws-route53';
import { Construct } from 'constructs';
import { DATABASE_PORT } from '../../constructs/database/clinspark-database';
import { JumpHost } from '../../constructs/jump-host';
import { EnvironmentMonitoring, functionsIn } from '../../constructs/monitoring/environment-monitoring';
import { ReadReplica } from '../../constructs/read-replica';
import { EnvironmentSpec } from '../environments';
import { ReadReplicaPlan, readReplicaPlan } from '../read-replica-plan';
import { ClinSparkStack } from './clinspark-stack';
import { EnvironmentDataStack } from './data-stack';

/**
 * The customer's read replica of a PROD environment (`clinspark-<owner>-prod-replica`): the
 * replica cluster with its replication and read-only account, the SSH jump host in a public
 * subnet of the PROD VPC, and the DNS names of both. It depends on the PROD data stack (VPC,
 * PROD Main's database, log key) and nothing depends on it: the app stack never sees it, and
 * deleting it leaves PROD untouched (the replica cluster and its keys are kept per the catalog).
 *
 * Construct ids are frozen (stateful resources: the replica cluster, keys, secrets, log groups,
 * the jump host; test/stateful-lock.suite.ts).
 */
export class EnvironmentReplicaStack extends ClinSparkStack {
  readonly plan: ReadReplicaPlan;
  readonly replica: ReadReplica;
  readonly jumpHost: JumpHost;
  /** Replication lag and stop, jump host status, the replica's functions. */
  readonly monitoring: EnvironmentMonitoring;

  constructor(scope: Construct, spec: EnvironmentSpec, data: EnvironmentDataStack) {
    const plan = readReplicaPlan(spec);
    if (!plan)
      throw new Error(
        `${spec.id}: no readReplica in the configuration; the replica stack is only built for a PROD environment that has one`,
      );
    if (!spec.policy.binlogReplicationSource) {
      throw new Error(
        `${spec.id}: the catalog gives ${spec.kind} no binlog replication source (ROW binlog with GTID); a read replica needs it`,
      );
    }
    super(scope, { spec, layer: 'replica', stackName: plan.stackName });
    this.plan = plan;
    this.addStackDependency(data, 'the replica replicates from PROD Main and lives in the PROD VPC');
    const policy = spec.policy;
    const main = data.instances.find((i) => i.role === 'main');
    if (!main) throw new Error(`${spec.id}: the data stack has no Main instance to replicate from`);
    const network = data.network;
    const logKey = data.logKey.key;

    this.replica = new ReadReplica(this, 'ReadReplica', {
      vpc: network.vpc,
      databaseSubnets: network.databaseSubnets,
      functionSubnets: network.applicationSubnets,
      source: main.database,
      sourceClusterIdentifier: plan.sourceClusterIdentifier,
      clusterIdentifier: plan.clusterIdentifier,
      instanceClass: plan.instanceClass,
      // The replica runs PROD's engine: replication from a newer source version is not supported.
      engineVersion: spec.engine.cdk,
      credentials: {
        recipientArn: plan.recipientArn,
        issueDate: plan.issueDate,
        collectionDays: plan.collectionDays,
        passwordValidityDays: plan.passwordValidityDays,
      },
      schemas: plan.schemas,
      readOnly: { excludeTables: plan.excludeTables, excludeColumns: plan.excludeColumns },
      releaseVersion: spec.release.imageTag,
      readOnlyUsername: plan.readOnlyUsername,
      readOnlySecretName: plan.secretName,
      backupWindow: spec.backupWindow,
      maintenanceWindow: spec.maintenanceWindow,
      removalPolicy: policy.stateful.database,
      deletionProtection: policy.stateful.deletionProtection,
      keyRemovalPolicy: policy.stateful.keysAndSecrets,
      logKey,
      logRetention: policy.logRetention,
      logRemovalPolicy: policy.stateful.logs,
      monitoringInterval: Duration.seconds(policy.monitoring.enhancedMonitoringSeconds),
      // The replica's keys: its own stack's roles (tagged with this environment), the CDK roles and the break-glass role.
      keyUsers: policy.stateful.keyUsers
        ? { customer: spec.owner, environments: [spec.kind], breakGlassRoleArn: spec.breakGlassRoleArn }
        : undefined,
      description: `${spec.id} read replica`,
    });

    const sessionLogs = new logs.LogGroup(this, 'JumpHostSessionLogs', {
      encryptionKey: logKey,
      retention: policy.logRetention,
      removalPolicy: policy.stateful.logs,
    });
    this.jumpHost = new JumpHost(this, 'JumpHost', {
      vpc: network.vpc,
      vpcSubnets: network.publicSubnets,
      amiId: plan.jumpHostAmi,
      authorizedKeys: plan.sshPublicKeys,
      allowedCidrs: plan.allowedCidrs,
      // The DNS name, not the cluster endpoint: sshd compares the -L target literally, and the
      // guide (written offline) can only know this name.
      forwardTo: { host: plan.replicaHostName, port: DATABASE_PORT },
      terminationProtection: policy.stack.terminationProtection,
      sessionLogGroup: sessionLogs,
    });
    this.jumpHost.connections.allowTo(this.replica, ec2.Port.tcp(DATABASE_PORT), 'SSH tunnel to the read replica');

    const zone = route53.HostedZone.fromHostedZoneAttributes(this, 'Zone', { hostedZoneId: spec.dns.zoneId, zoneName: spec.dns.zoneName });
    new route53.ARecord(this, 'JumpHostRecord', {
      zone,
      recordName: plan.jumpHostName,
      target: route53.RecordTarget.fromIpAddresses(this.jumpHost.publicIp),
      ttl: Duration.minutes(5),
      comment: `SSH jump host of the ${spec.id} read replica (customer ranges only)`,
    });
    new route53.CnameRecord(this, 'ReplicaRecord', {
      zone,
      recordName: plan.replicaHostName,
      domainName: this.replica.endpoint,
      ttl: Duration.minutes(5),
      comment: `${spec.id} read replica endpoint (private address: reachable through the SSH tunnel only)`,
    });

    const m = spec.monitoring;
    this.monitoring = new EnvironmentMonitoring(this, 'Monitoring', {
      alarmNamePrefix: `${m.alarmNamePrefix}-replica`,
      topic: data.alarmTopic.topic,
      policy: m.alarms,
    });
    this.monitoring.monitorReplica('Read replica', plan.clusterIdentifier);
    this.monitoring.monitorHost('Jump host', this.jumpHost.instance.instanceId);
    this.monitoring.monitorFunctions(functionsIn(this));

    new CfnOutput(this, 'JumpHostAddress', {
      value: this.jumpHost.publicIp,
      description: `Elastic IP of the jump host (${plan.jumpHostName}), for the customer's outbound firewall`,
    });
    new CfnOutput(this, 'JumpHostName', { value: plan.jumpHostName, description: 'DNS name of the SSH jump host' });
    new CfnOutput(this, 'ReplicaEndpoint', {
      value: this.replica.endpoint,
      description: `Writer endpoint of the replica cluster (CNAME ${plan.replicaHostName})`,
    });
    new CfnOutput(this, 'ReplicaHostName', {
      value: plan.replicaHostName,
      description: 'What the customer forwards to through the tunnel',
    });
    new CfnOutput(this, 'ReadOnlySecretArn', {
      value: this.replica.readOnlySecret.secretArn,
      description: `Secret of ${plan.readOnlyUsername}, readable by ${plan.recipientArn} only`,
    });
    new CfnOutput(this, 'PasswordExpiresOn', {
      value: this.replica.passwordExpiresOn,
      description: `Day (UTC) the ${plan.readOnlyUsername} password expires; re-issue it before (a new credentials.issueDate)`,
    });
    new CfnOutput(this, 'CredentialsCollectableUntil', {
      value: this.replica.collectionClosesAt,
      description: `End of the collection window (exclusive, UTC), opened ${this.replica.collectionOpensAt}`,
    });
  }
}
