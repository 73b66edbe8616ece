/**
 * The shape of an environment's alarm policy. The values live in the environment catalog
 * (lib/catalog.ts, per environment kind); the monitoring constructs only receive them.
 *
 * Every threshold is given per severity: `warning` (look at it in working hours) and/or
 * `critical` (act now). An absent severity creates no alarm. Unless said otherwise an alarm fires
 * when the metric is *above* the threshold for `datapointsToAlarm` of `evaluationPeriods`
 * periods of `periodMinutes`.
 */
export type Severity = 'warning' | 'critical';
export const SEVERITIES: readonly Severity[] = ['warning', 'critical'];

export interface SeverityThresholds {
  readonly warning?: number;
  readonly critical?: number;
}

export interface DatabaseAlarmThresholds {
  /** CPUUtilization, percent. */
  readonly cpuPercent: SeverityThresholds;
  /** DatabaseConnections as a percentage of the instance's default max_connections. */
  readonly connectionsPercentOfMax: SeverityThresholds;
  /** FreeableMemory in MiB; fires when *below*. */
  readonly freeableMemoryMiB: SeverityThresholds;
  /** Serverless v2 only: ServerlessDatabaseCapacity as a percentage of the cluster's maximum ACUs. */
  readonly capacityPercentOfMax: SeverityThresholds;
  /** Deadlocks per second (average). */
  readonly deadlocksPerSecond: SeverityThresholds;
  /** VolumeBytesUsed of the cluster volume, GiB (storage growth). */
  readonly volumeGiB: SeverityThresholds;
}

export interface ServiceAlarmThresholds {
  /** DesiredTaskCount minus RunningTaskCount: zero when a service is scaled to zero on purpose. */
  readonly missingTasks: SeverityThresholds;
  /** CPUUtilization of the service, percent. */
  readonly cpuPercent: SeverityThresholds;
  /** MemoryUtilization of the service, percent. */
  readonly memoryPercent: SeverityThresholds;
  /** UnHealthyHostCount of the service's target group. */
  readonly unhealthyHosts: SeverityThresholds;
}

export interface LoadBalancerAlarmThresholds {
  /** HTTPCode_Target_5XX_Count per period. */
  readonly target5xx: SeverityThresholds;
  /** HTTPCode_ELB_5XX_Count per period. */
  readonly elb5xx: SeverityThresholds;
  /** TargetResponseTime p99, seconds. */
  readonly p99ResponseSeconds: SeverityThresholds;
}

export interface WafAlarmThresholds {
  /** BlockedRequests per period (a spike: an attack, or a rule blocking real users). */
  readonly blockedRequests: SeverityThresholds;
}

export interface FunctionAlarmThresholds {
  /** Errors per period of each set-up, scrub and replication function. */
  readonly errors: SeverityThresholds;
  /** Throttles per period of each of those functions. */
  readonly throttles: SeverityThresholds;
}

export interface ReplicaAlarmThresholds {
  /** AuroraBinlogReplicaLag (maximum), seconds. */
  readonly lagSeconds: SeverityThresholds;
  /** The severity of "replication stopped" (AuroraBinlogReplicaLag reports -1 or nothing). */
  readonly replicationStopped?: Severity;
}

export interface HostAlarmThresholds {
  /** The severity of "status check failed" (StatusCheckFailed > 0). */
  readonly statusCheckFailed?: Severity;
}

export interface AlarmPolicy {
  /** Period of every alarm metric, minutes. */
  readonly periodMinutes: number;
  /** Periods an alarm looks back over (N of "M out of N"). */
  readonly evaluationPeriods: number;
  /** Breaching periods among them that raise the alarm (M of "M out of N"). */
  readonly datapointsToAlarm: number;
  /** Database alarms. */
  readonly database: DatabaseAlarmThresholds;
  /** Application service alarms. */
  readonly service: ServiceAlarmThresholds;
  /** Load balancer alarms. */
  readonly loadBalancer: LoadBalancerAlarmThresholds;
  /** Web ACL alarms. */
  readonly waf: WafAlarmThresholds;
  /** Set-up, scrub and replication function alarms. */
  readonly functions: FunctionAlarmThresholds;
  /** Read replica alarms. */
  readonly replica: ReplicaAlarmThresholds;
  /** Jump host alarms. */
  readonly jumpHost: HostAlarmThresholds;
}

/** Disambiguator of an alarm of this severity (part of the alarm name: `...-Warning`, `...-Critical`). */
export function severityName(severity: Severity): string {
  return severity === 'warning' ? 'Warning' : 'Critical';
}

/** `{ Warning: f(warning), Critical: f(critical) }` for the severities that have a threshold. */
export function perSeverity<T>(thresholds: SeverityThresholds, make: (value: number, severity: Severity) => T): Record<string, T> {
  const out: Record<string, T> = {};
  for (const severity of SEVERITIES) {
    const value = thresholds[severity];
    if (value !== undefined) out[severityName(severity)] = make(value, severity);
  }
  return out;
}
