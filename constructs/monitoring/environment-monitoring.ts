import { Duration, Fn } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as rds from 'aws-cdk-lib/aws-rds';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as wafv2 from 'aws-cdk-lib/aws-wafv2';
import {
  CustomMetricGroup,
  CustomThreshold,
  DefaultDashboards,
  IDynamicDashboardFactory,
  IDynamicDashboardSegment,
  MetricStatistic,
  MetricWithAlarmSupport,
  MonitoringFacade,
  SnsAlarmActionStrategy,
} from 'cdk-monitoring-constructs';
import { Construct } from 'constructs';
import { MaxConnectionsInput } from './max-connections';
import { AlarmPolicy, Severity, SeverityThresholds, perSeverity, severityName } from './thresholds';

/*
 * Metric names, namespaces and dimensions used here (the library's own monitors cite theirs):
 * - AWS/RDS, dimension DBClusterIdentifier ("filters the data for a specific Aurora DB cluster",
 *   https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/dimensions.html); metrics from
 *   https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/Aurora.AuroraMonitoring.Metrics.html:
 *   FreeableMemory (bytes), Deadlocks (average per second, Aurora MySQL), VolumeBytesUsed (bytes,
 *   cluster-level), ACUUtilization (percent of the maximum ACUs), AuroraBinlogReplicaLag (seconds a
 *   binary log replica cluster lags behind its source; -1 when replication is not active,
 *   https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/CHAP_Troubleshooting.html#CHAP_Troubleshooting.MySQL.ReplicaLag).
 *   ServerlessDatabaseCapacity, ACUUtilization and FreeableMemory on Serverless v2:
 *   https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/aurora-serverless-v2.setting-capacity.html#aurora-serverless-v2.viewing.monitoring
 * - AWS/ApplicationELB, dimension LoadBalancer (app/<name>/<id>, the load balancer's full name):
 *   HTTPCode_Target_5XX_Count, HTTPCode_ELB_5XX_Count (Sum), TargetResponseTime (seconds, p99),
 *   https://docs.aws.amazon.com/elasticloadbalancing/latest/application/load-balancer-cloudwatch-metrics.html
 * - ECS/ContainerInsights, dimensions ClusterName, ServiceName: RunningTaskCount, DesiredTaskCount,
 *   https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/Container-Insights-metrics-ECS.html
 *   (the cluster has Container Insights on, lib/stacks/app-stack.ts).
 * - AWS/WAFV2, dimensions WebACL (the web ACL's name), Region, Rule ("ALL"): BlockedRequests,
 *   https://docs.aws.amazon.com/waf/latest/developerguide/waf-metrics.html (the library's WAF monitor).
 * - AWS/EC2, dimension InstanceId: StatusCheckFailed (0 passed, 1 failed, instance or system check),
 *   https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/viewing_metrics_with_cloudwatch.html#status-check-metrics
 * - AWS/Lambda Errors and Throttles: https://docs.aws.amazon.com/lambda/latest/dg/monitoring-metrics-types.html
 *   (the library's Lambda monitor, through lambda.Function.metricErrors/metricThrottles).
 */
const RDS = 'AWS/RDS';
const ALB = 'AWS/ApplicationELB';
const CONTAINER_INSIGHTS = 'ECS/ContainerInsights';
const EC2 = 'AWS/EC2';

export interface EnvironmentMonitoringProps {
  /** Prefix of every alarm name (the alarm topic admits alarms with this prefix only). */
  readonly alarmNamePrefix: string;
  /** The topic every alarm notifies (AlarmTopic). */
  readonly topic: sns.ITopic;
  /** Alarm periods and thresholds by severity, from the environment catalog. */
  readonly policy: AlarmPolicy;
  /** The environment's dashboard; without it this monitoring creates alarms only (its segments go on another's dashboard). */
  readonly dashboardName?: string;
}

export interface MonitoredDatabase {
  /** e.g. "Main database". */
  readonly title: string;
  /** The cluster watched. */
  readonly cluster: rds.IDatabaseCluster;
  /** Capacity of the cluster (its connection limit comes from it). */
  readonly capacity: MaxConnectionsInput;
  /** The connection limit of one instance: the default max_connections of its class or maximum ACUs (max-connections.ts). */
  readonly maxConnections: number;
}

export interface MonitoredService {
  /** e.g. "Main application". */
  readonly title: string;
  /** The Fargate service watched. */
  readonly service: ecs.FargateService;
  /** The environment's load balancer. */
  readonly loadBalancer: elbv2.IApplicationLoadBalancer;
  /** The service's target group. */
  readonly targetGroup: elbv2.IApplicationTargetGroup;
}

/** A dashboard of exactly one name (the library's factories append a suffix to theirs). */
class SingleDashboardFactory extends Construct implements IDynamicDashboardFactory {
  readonly dashboard: cloudwatch.Dashboard;
  constructor(scope: Construct, id: string, dashboardName: string) {
    super(scope, id);
    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      dashboardName,
      start: '-PT8H',
      periodOverride: cloudwatch.PeriodOverride.INHERIT,
    });
  }
  addDynamicSegment(segment: IDynamicDashboardSegment): void {
    this.dashboard.addWidgets(...segment.widgetsForDashboard(DefaultDashboards.DETAIL));
  }
  getDashboard(type: string): cloudwatch.Dashboard | undefined {
    return type === String(DefaultDashboards.DETAIL) ? this.dashboard : undefined;
  }
}

/** Alarms only, no dashboard. */
const NO_DASHBOARD: IDynamicDashboardFactory = { addDynamicSegment: () => undefined, getDashboard: () => undefined };

/**
 * The monitoring of (one stack of) an environment, through cdk-monitoring-constructs'
 * MonitoringFacade: its own monitors where it has one (Aurora CPU, connections and Serverless v2
 * capacity; Fargate CPU, memory and unhealthy targets; WAF blocked requests; Lambda errors and
 * throttles), its custom-metric monitor with the services' own metrics where it has none.
 *
 * Every alarm publishes to the environment's topic, at the severities the policy gives.
 * Missing data is "not breaching" for every threshold alarm: a Serverless v2 database that pauses
 * and a service scaled to zero publish nothing, and that is not an incident. The exceptions are
 * the read replica and the jump host (PROD only), where no data means no replication or no host.
 */
export class EnvironmentMonitoring extends Construct {
  readonly facade: MonitoringFacade;
  readonly dashboard?: cloudwatch.Dashboard;
  private readonly policy: AlarmPolicy;
  private readonly period: Duration;

  constructor(scope: Construct, id: string, props: EnvironmentMonitoringProps) {
    super(scope, id);
    this.policy = props.policy;
    this.period = Duration.minutes(props.policy.periodMinutes);
    const dashboards = props.dashboardName ? new SingleDashboardFactory(this, 'Dashboards', props.dashboardName) : undefined;
    this.dashboard = dashboards?.dashboard;
    this.facade = new MonitoringFacade(this, 'Facade', {
      alarmFactoryDefaults: {
        alarmNamePrefix: props.alarmNamePrefix,
        actionsEnabled: true,
        action: new SnsAlarmActionStrategy({ onAlarmTopic: props.topic }),
        datapointsToAlarm: props.policy.datapointsToAlarm,
        evaluationPeriods: props.policy.evaluationPeriods,
      },
      metricFactoryDefaults: { period: this.period },
      dashboardFactory: dashboards ?? NO_DASHBOARD,
    });
  }

  /** Every alarm created so far. */
  get alarms(): cloudwatch.AlarmBase[] {
    return this.facade.createdAlarms().map((a) => a.alarm);
  }

  /** Puts another monitoring's widgets (e.g. the data stack's) on this one's dashboard. */
  addSegmentsOf(other: EnvironmentMonitoring): void {
    for (const segment of other.facade.createdMonitorings()) this.facade.addSegment(segment);
  }

  private metric(
    namespace: string,
    name: string,
    statistic: MetricStatistic,
    label: string,
    dimensions: Record<string, string>,
  ): MetricWithAlarmSupport {
    return this.facade.createMetricFactory().createMetric(name, statistic, label, dimensions, undefined, namespace, this.period);
  }

  private custom(
    thresholds: SeverityThresholds,
    operator: cloudwatch.ComparisonOperator,
    description: string,
    scale = 1,
    missing = cloudwatch.TreatMissingData.NOT_BREACHING,
  ): Record<string, CustomThreshold> {
    return perSeverity(thresholds, (value) => ({
      threshold: value * scale,
      comparisonOperator: operator,
      treatMissingDataOverride: missing,
      additionalDescription: description,
    }));
  }

  private flag(severity: Severity | undefined, description: string, missing: cloudwatch.TreatMissingData): Record<string, CustomThreshold> {
    return severity
      ? {
          [severityName(severity)]: {
            threshold: 0,
            comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
            treatMissingDataOverride: missing,
            additionalDescription: description,
          },
        }
      : {};
  }

  /** An Aurora MySQL cluster: CPU, connections against max_connections, Serverless v2 capacity, freeable memory, deadlocks, volume. */
  monitorDatabase(db: MonitoredDatabase): void {
    const t = this.policy.database;
    const notBreaching = { treatMissingDataOverride: cloudwatch.TreatMissingData.NOT_BREACHING };
    const serverless = db.capacity.mode === 'serverless';
    this.facade.monitorAuroraCluster({
      cluster: db.cluster,
      humanReadableName: db.title,
      alarmFriendlyName: db.title.replace(/\s+/g, ''),
      addCpuUsageAlarm: perSeverity(t.cpuPercent, (v) => ({ maxUsagePercent: v, ...notBreaching })),
      addMaxConnectionCountAlarm: perSeverity(t.connectionsPercentOfMax, (v) => ({
        maxConnectionCount: Math.floor((db.maxConnections * v) / 100),
        ...notBreaching,
      })),
      addMaxServerlessDatabaseCapacityAlarm:
        db.capacity.mode === 'serverless'
          ? perSeverity(t.capacityPercentOfMax, (v) => ({
              maxUsageCount: ((db.capacity as { maxAcu: number }).maxAcu * v) / 100,
              ...notBreaching,
            }))
          : undefined,
    });
    const id = { DBClusterIdentifier: db.cluster.clusterIdentifier };
    const groups: CustomMetricGroup[] = [
      {
        title: 'Freeable memory (MiB)',
        metrics: [
          {
            metric: this.facade
              .createMetricFactory()
              .createMetricMath(
                'm / 1048576',
                { m: this.metric(RDS, 'FreeableMemory', MetricStatistic.MIN, 'Freeable memory', id) },
                'Freeable memory (MiB)',
              ),
            alarmFriendlyName: 'FreeableMemory',
            addAlarm: this.custom(
              t.freeableMemoryMiB,
              cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
              "Freeable memory of the cluster's instances is low (MiB).",
            ),
          },
        ],
      },
      {
        title: 'Deadlocks (per second)',
        metrics: [
          {
            metric: this.metric(RDS, 'Deadlocks', MetricStatistic.AVERAGE, 'Deadlocks/s', id),
            alarmFriendlyName: 'Deadlocks',
            addAlarm: this.custom(
              t.deadlocksPerSecond,
              cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
              'Deadlocks per second (average).',
            ),
          },
        ],
      },
      {
        title: 'Cluster volume (GiB)',
        metrics: [
          {
            metric: this.facade
              .createMetricFactory()
              .createMetricMath(
                'v / 1073741824',
                { v: this.metric(RDS, 'VolumeBytesUsed', MetricStatistic.MAX, 'Volume used', id) },
                'Volume used (GiB)',
              ),
            alarmFriendlyName: 'VolumeUsed',
            addAlarm: this.custom(
              t.volumeGiB,
              cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
              "The cluster volume has grown past the catalog's size (GiB).",
            ),
          },
        ],
      },
    ];
    if (serverless) {
      // Graph only: the alarm at the maximum is the library's ServerlessDatabaseCapacity alarm above.
      groups.push({
        title: 'ACU utilization (% of maximum)',
        metrics: [this.metric(RDS, 'ACUUtilization', MetricStatistic.MAX, 'ACU utilization', id)],
      });
    }
    this.facade.monitorCustom({
      alarmFriendlyName: `${db.title.replace(/\s+/g, '')}Health`,
      humanReadableName: `${db.title}: memory, deadlocks, volume`,
      metricGroups: groups,
    });
  }

  /** A Fargate service behind the load balancer: running versus desired tasks, CPU, memory, unhealthy targets. */
  monitorService(s: MonitoredService): void {
    const t = this.policy.service;
    const notBreaching = { treatMissingDataOverride: cloudwatch.TreatMissingData.NOT_BREACHING };
    const friendly = s.title.replace(/\s+/g, '');
    this.facade.monitorFargateApplicationLoadBalancer({
      fargateService: s.service,
      applicationLoadBalancer: s.loadBalancer,
      applicationTargetGroup: s.targetGroup,
      humanReadableName: s.title,
      alarmFriendlyName: friendly,
      addCpuUsageAlarm: perSeverity(t.cpuPercent, (v) => ({ maxUsagePercent: v, ...notBreaching })),
      addMemoryUsageAlarm: perSeverity(t.memoryPercent, (v) => ({ maxUsagePercent: v, ...notBreaching })),
      addUnhealthyTaskCountAlarm: perSeverity(t.unhealthyHosts, (v) => ({ maxUnhealthyTasks: v, ...notBreaching })),
    });
    const dims = { ClusterName: s.service.cluster.clusterName, ServiceName: s.service.serviceName };
    const missing = this.facade.createMetricFactory().createMetricMath(
      'desired - running',
      {
        desired: this.metric(CONTAINER_INSIGHTS, 'DesiredTaskCount', MetricStatistic.MAX, 'Desired', dims),
        running: this.metric(CONTAINER_INSIGHTS, 'RunningTaskCount', MetricStatistic.MIN, 'Running', dims),
      },
      'Desired minus running tasks',
    );
    this.facade.monitorCustom({
      alarmFriendlyName: `${friendly}Tasks`,
      humanReadableName: `${s.title}: tasks`,
      metricGroups: [
        {
          title: 'Tasks missing (desired - running)',
          metrics: [
            {
              metric: missing,
              alarmFriendlyName: 'MissingTasks',
              // Zero when the service is scaled to zero on purpose: only desired-but-not-running tasks count.
              addAlarm: this.custom(
                t.missingTasks,
                cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
                'Fewer tasks run than the service wants.',
              ),
            },
          ],
        },
      ],
    });
  }

  /** The load balancer: target and ELB 5xx, p99 response time. */
  monitorLoadBalancer(title: string, loadBalancer: elbv2.ApplicationLoadBalancer): void {
    const t = this.policy.loadBalancer;
    const lb = { LoadBalancer: loadBalancer.loadBalancerFullName };
    this.facade.monitorCustom({
      alarmFriendlyName: 'LoadBalancer',
      humanReadableName: title,
      metricGroups: [
        {
          title: '5xx responses',
          metrics: [
            {
              metric: this.metric(ALB, 'HTTPCode_Target_5XX_Count', MetricStatistic.SUM, 'Target 5xx', lb),
              alarmFriendlyName: 'Target5xx',
              addAlarm: this.custom(t.target5xx, cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD, 'The application answers with 5xx.'),
            },
            {
              metric: this.metric(ALB, 'HTTPCode_ELB_5XX_Count', MetricStatistic.SUM, 'Load balancer 5xx', lb),
              alarmFriendlyName: 'Elb5xx',
              addAlarm: this.custom(
                t.elb5xx,
                cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
                'The load balancer itself answers with 5xx (no healthy target, timeouts).',
              ),
            },
          ],
        },
        {
          title: 'Target response time p99 (s)',
          metrics: [
            {
              metric: this.metric(ALB, 'TargetResponseTime', MetricStatistic.P99, 'p99', lb),
              alarmFriendlyName: 'ResponseTimeP99',
              addAlarm: this.custom(
                t.p99ResponseSeconds,
                cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
                'p99 target response time (seconds).',
              ),
            },
          ],
        },
      ],
    });
  }

  /** The web ACL: blocked-request spike (the ACL has no fixed name: the first part of its Ref "name|id|scope"). */
  monitorWaf(title: string, acl: wafv2.CfnWebACL, region: string): void {
    // Ref of AWS::WAFv2::WebACL is "name|id|scope": https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-wafv2-webacl.html#aws-resource-wafv2-webacl-return-values
    // The library reads only `name` and `scope` of the ACL: it sees this one with the name taken from its Ref.
    const name = Fn.select(0, Fn.split('|', acl.ref));
    const named = new Proxy<wafv2.CfnWebACL>(acl, {
      get: (target, property, receiver): unknown => (property === 'name' ? name : Reflect.get(target, property, receiver)),
    });
    this.facade.monitorWebApplicationFirewallAclV2({
      acl: named,
      region,
      humanReadableName: title,
      alarmFriendlyName: 'WebAcl',
      addBlockedRequestsCountAlarm: perSeverity(this.policy.waf.blockedRequests, (v) => ({
        maxErrorCount: v,
        treatMissingDataOverride: cloudwatch.TreatMissingData.NOT_BREACHING,
      })),
    });
  }

  /** Set-up, scrub and replication functions: errors and throttles. */
  monitorFunctions(functions: ReadonlyArray<{ readonly title: string; readonly fn: lambda.IFunction }>): void {
    const t = this.policy.functions;
    const notBreaching = { treatMissingDataOverride: cloudwatch.TreatMissingData.NOT_BREACHING };
    for (const { title, fn } of functions) {
      this.facade.monitorLambdaFunction({
        lambdaFunction: fn,
        humanReadableName: title,
        alarmFriendlyName: title.replace(/[^A-Za-z0-9]/g, ''),
        addFaultCountAlarm: perSeverity(t.errors, (v) => ({ maxErrorCount: v, ...notBreaching })),
        addThrottlesCountAlarm: perSeverity(t.throttles, (v) => ({ maxErrorCount: v, ...notBreaching })),
      });
    }
  }

  /** The customer read replica: binlog replication lag, replication stopped. */
  monitorReplica(title: string, clusterIdentifier: string, withAlarms = true): void {
    const t = this.policy.replica;
    const id = { DBClusterIdentifier: clusterIdentifier };
    this.facade.monitorCustom({
      alarmFriendlyName: 'ReadReplica',
      humanReadableName: title,
      metricGroups: [
        {
          title: 'Binlog replication lag (s)',
          metrics: [
            {
              metric: this.metric(RDS, 'AuroraBinlogReplicaLag', MetricStatistic.MAX, 'Lag', id),
              alarmFriendlyName: 'ReplicaLag',
              addAlarm: withAlarms
                ? this.custom(
                    t.lagSeconds,
                    cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
                    'The read replica lags behind PROD Main (seconds).',
                  )
                : {},
            },
            {
              // -1 = replication not active; no data at all = no replica instance replicating. IF() of
              // metric math: https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/using-metric-math.html#metric-math-syntax
              metric: this.facade
                .createMetricFactory()
                .createMetricMath(
                  'IF(lag < 0, 1, 0)',
                  { lag: this.metric(RDS, 'AuroraBinlogReplicaLag', MetricStatistic.MIN, 'Lag (min)', id) },
                  'Replication stopped',
                ),
              alarmFriendlyName: 'ReplicationStopped',
              addAlarm: withAlarms
                ? this.flag(
                    t.replicationStopped,
                    'Binlog replication of the read replica is not running (AuroraBinlogReplicaLag -1 or absent).',
                    cloudwatch.TreatMissingData.BREACHING,
                  )
                : {},
            },
          ],
        },
      ],
    });
  }

  /** An EC2 instance (the jump host): status check failed. */
  monitorHost(title: string, instanceId: string): void {
    this.facade.monitorCustom({
      alarmFriendlyName: 'JumpHost',
      humanReadableName: title,
      metricGroups: [
        {
          title: 'Status check failed',
          metrics: [
            {
              metric: this.metric(EC2, 'StatusCheckFailed', MetricStatistic.MAX, 'Status check failed', { InstanceId: instanceId }),
              alarmFriendlyName: 'StatusCheckFailed',
              addAlarm: this.flag(
                this.policy.jumpHost.statusCheckFailed,
                'The jump host failed its instance or system status check.',
                cloudwatch.TreatMissingData.BREACHING,
              ),
            },
          ],
        },
      ],
    });
  }
}

/** Every Lambda function defined in `scope` (set-up, scrub, replication, provider frameworks), titled by its construct path. */
export function functionsIn(scope: Construct): Array<{ title: string; fn: lambda.IFunction }> {
  const base = scope.node.path.length > 0 ? scope.node.path.length + 1 : 0;
  return scope.node
    .findAll()
    .filter((c): c is lambda.Function => c instanceof lambda.Function)
    .map((fn) => ({
      title: fn.node.path
        .slice(base)
        .replace(/\/(Function|Resource)$/, '')
        .replace(/\//g, ' '),
      fn,
    }));
}
