import { Stack } from 'aws-cdk-lib';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as ecr from 'aws-cdk-lib/aws-ecr';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as route53 from 'aws-cdk-lib/aws-route53';
import { Construct } from 'constructs';
import { EnvironmentIngress, OidcSettings } from '../../constructs/ingress/environment-ingress';
import { ClinSparkInstance, InstanceDatabase } from '../../constructs/instance/clinspark-instance';
import { InstancePair, PairMemberProps } from '../../constructs/instance/instance-pair';
import { DATABASE_PORT } from '../../constructs/database/clinspark-database';
import { EnvironmentMonitoring } from '../../constructs/monitoring/environment-monitoring';
import { EnvironmentSpec, InstanceSpec } from '../environments';
import { readReplicaPlan } from '../read-replica-plan';
import { IMAGE_TAG_LABEL } from '../naming';
import { ClinSparkStack } from './clinspark-stack';
import { EnvironmentDataStack, InstanceData } from './data-stack';

/**
 * The stateless layer of one environment: ECS cluster, load balancer with WAF, the instances'
 * services and DNS records. It holds no data: deleting and recreating it loses nothing, and it
 * depends on the data stack, never the other way round.
 */
export class EnvironmentAppStack extends ClinSparkStack {
  readonly ingress: EnvironmentIngress;
  readonly cluster: ecs.Cluster;
  readonly instances: ClinSparkInstance[];
  /** The environment's dashboard `<owner>-<environment>` and the application, load balancer and WAF alarms. */
  readonly monitoring: EnvironmentMonitoring;

  constructor(scope: Construct, spec: EnvironmentSpec, data: EnvironmentDataStack) {
    super(scope, { spec, layer: 'app', stackName: spec.stackNames.app });
    this.addStackDependency(data);
    const network = data.network;

    this.cluster = new ecs.Cluster(this, 'Cluster', {
      vpc: network.vpc,
      containerInsightsV2: ecs.ContainerInsights.ENHANCED,
    });
    const zone = route53.HostedZone.fromHostedZoneAttributes(this, 'Zone', { hostedZoneId: spec.dns.zoneId, zoneName: spec.dns.zoneName });
    this.ingress = new EnvironmentIngress(this, 'Ingress', {
      vpc: network.vpc,
      subnets: network.publicSubnets,
      certificate: acm.Certificate.fromCertificateArn(this, 'Certificate', spec.dns.certificateArn),
      allowedCidrs: spec.ingressCidrs,
      requireSso: spec.sso !== undefined,
      internetAccessReason: spec.internetAccessReason,
      accessLogBucket: data.accessLogBucket,
      accessLogPrefix: 'alb',
      wafLogGroup: data.wafLogGroup,
      deletionProtection: spec.policy.loadBalancerDeletionProtection,
      zone,
    });
    const repository = ecr.Repository.fromRepositoryAttributes(this, 'Repository', {
      repositoryArn: Stack.of(this).formatArn({
        service: 'ecr',
        account: spec.image.repositoryAccount,
        region: spec.image.repositoryRegion,
        resource: 'repository',
        resourceName: spec.image.repositoryName,
      }),
      repositoryName: spec.image.repositoryName,
    });

    const shared = {
      cluster: this.cluster,
      subnets: network.applicationSubnets,
      repository,
      imageTag: spec.release.imageTag,
      imageDigest: spec.release.digest,
      readonlyRootFilesystem: spec.release.readOnlyRootFilesystem,
      user: spec.release.user,
      labels: { [IMAGE_TAG_LABEL]: spec.release.imageTag },
      ingress: this.ingress,
      egressCidrs: spec.egressCidrs,
      cpu: spec.app.cpu,
      memoryMiB: spec.app.memoryMiB,
      minTasks: spec.app.minTasks,
      maxTasks: spec.app.maxTasks,
    };
    const sso: OidcSettings | undefined = spec.sso;
    const member = (instance: InstanceSpec): PairMemberProps => {
      const stateful = data.instances.find((i) => i.role === instance.role) as InstanceData;
      const database: InstanceDatabase = {
        connections: stateful.database.connections,
        applicationSecret: stateful.database.requireApplicationSecret(),
        secretKey: stateful.database.key,
        port: DATABASE_PORT,
      };
      return {
        database,
        logGroup: stateful.appLogGroup,
        hostName: instance.hostName,
        // A literal that changes with every refresh: the task definitions change, so `cdk diff`
        // shows the refresh and ECS replaces the running tasks (which then read the secret's new host).
        scrubEvidence: stateful.scrub?.evidenceKey,
        sso,
        environment: {
          CLINSPARK_ENVIRONMENT: spec.kind,
          CLINSPARK_CUSTOMER: spec.owner,
          CLINSPARK_RELEASE: spec.release.imageTag,
        },
      };
    };

    if (spec.instances.length === 2) {
      const [main, test] = spec.instances;
      const pair = new InstancePair(this, 'Instances', { ...shared, main: member(main), test: member(test) });
      this.instances = [pair.main, pair.test];
    } else {
      this.instances = [new ClinSparkInstance(this, 'Main', { ...shared, ...member(spec.instances[0]), role: 'main', priority: 10 })];
    }

    const m = spec.monitoring;
    this.monitoring = new EnvironmentMonitoring(this, 'Monitoring', {
      alarmNamePrefix: m.alarmNamePrefix,
      topic: data.alarmTopic.topic,
      policy: m.alarms,
      dashboardName: m.dashboardName,
    });
    this.monitoring.monitorLoadBalancer('Load balancer', this.ingress.loadBalancer);
    this.monitoring.monitorWaf('Web ACL', this.ingress.webAcl, spec.region);
    for (const instance of this.instances) {
      const title = `${instance.node.id === 'Main' || instance.node.id === 'Test' ? instance.node.id : instance.node.id} application`;
      this.monitoring.monitorService({
        title,
        service: instance.service,
        loadBalancer: this.ingress.loadBalancer,
        targetGroup: instance.targetGroup,
      });
    }
    // The data stack's databases and functions (alarms live there), then the replica's lag as a graph
    // (its alarms live in the replica stack, which the app stack never references).
    this.monitoring.addSegmentsOf(data.monitoring);
    const replica = readReplicaPlan(spec);
    if (replica) this.monitoring.monitorReplica('Read replica (alarms in the replica stack)', replica.clusterIdentifier, false);
  }
}
