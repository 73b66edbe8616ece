/**
 * The implementations of the IQ protocol's checks (lib/evidence/iq-protocol.yaml), by check id.
 * Offline, "observed" comes from the cloud assembly; with `--deployed`, from the deployed
 * descriptions where the protocol names them, and any mismatch with the specification is a FAIL.
 */
import * as path from 'path';
import { RemovalPolicy } from 'aws-cdk-lib';
import { cidrsOverlap, coversEveryAddress, parseIPv4Block } from '../../constructs/core/cidr';
import { EnvironmentSpec, TAG_CHANGE_CONTROLLED, TAG_CUSTOMER, TAG_ENVIRONMENT } from '../environments';
import { AssemblyEnvironment, AssemblyStack, CfnResource } from './assembly';
import { showValue } from './canonical';
import { DeployedState } from './deployed';

export interface CheckContext {
  readonly env: AssemblyEnvironment;
  readonly spec: EnvironmentSpec;
  readonly assemblyDir: string;
  readonly deployed?: DeployedState;
  readonly nagReport?: {
    passed: boolean;
    stacks: { stack: string; outcomes: Record<string, number>; rules: { ruleId: string; outcome: string }[] }[];
  };
}

export interface CheckResult {
  readonly expected: string;
  readonly observed: string;
  readonly pass: boolean;
  readonly evidence: string;
  /** Where "observed" comes from. */
  readonly source: 'assembly' | 'deployed' | 'assembly and deployed';
}

type Found = { stack: AssemblyStack; id: string; r: CfnResource };

function resources(ctx: CheckContext, type: string): Found[] {
  return ctx.env.stacks.flatMap((stack) =>
    Object.entries(stack.template.Resources ?? {})
      .filter(([, r]) => r.Type === type)
      .map(([id, r]) => ({ stack, id, r })),
  );
}

const ref = (f: Found) => `${path.basename(f.stack.templateFile)}#${f.id}`;
const evidenceOf = (found: Found[], max = 6) =>
  found.length === 0
    ? 'none found'
    : `${found.slice(0, max).map(ref).join(', ')}${found.length > max ? ` and ${found.length - max} more` : ''}`;
const isRefTo = (value: unknown, type: string, stack: AssemblyStack): boolean => {
  const id = (value as { Ref?: string })?.Ref ?? (value as { 'Fn::GetAtt'?: [string, string] })?.['Fn::GetAtt']?.[0];
  return !!id && stack.template.Resources?.[id]?.Type === type;
};

function result(
  failures: string[],
  expected: string,
  okObserved: string,
  found: Found[],
  source: CheckResult['source'] = 'assembly',
): CheckResult {
  return {
    expected,
    observed: failures.length === 0 ? okObserved : failures.join('; '),
    pass: failures.length === 0,
    evidence: evidenceOf(found),
    source,
  };
}

function clusters(ctx: CheckContext): Found[] {
  return resources(ctx, 'AWS::RDS::DBCluster');
}

const clusterName = (f: Found) => showValue(f.r.Properties?.DBClusterIdentifier ?? f.id);

/** With --deployed: the deployed description of a cluster, or a failure message. */
function deployedCluster(ctx: CheckContext, f: Found): { cluster?: Record<string, unknown>; missing?: string } {
  if (!ctx.deployed) return {};
  const c = ctx.deployed.clusters.get(clusterName(f));
  return c ? { cluster: c } : { missing: `${clusterName(f)} not in the deployed descriptions (describe-db-clusters)` };
}

/**
 * The customer's read replica (constructs/read-replica: backupRetention default) is a copy of
 * PROD Main, whose backups are the catalog's.
 */
const REPLICA_BACKUP_DAYS = 7;

const removalToDeletionPolicy: Record<string, string> = {
  [RemovalPolicy.RETAIN]: 'Retain',
  [RemovalPolicy.SNAPSHOT]: 'Snapshot',
  [RemovalPolicy.DESTROY]: 'Delete',
};

export const CHECKS: Readonly<Record<string, (ctx: CheckContext) => CheckResult>> = {
  'IQ-01': (ctx) => {
    const found = clusters(ctx);
    const fails: string[] = [];
    for (const f of found) {
      // A clone or restore (the read replica, VAL) is encrypted like its encrypted source, under the KmsKeyId it names.
      const copied = f.r.Properties?.SourceDBClusterIdentifier !== undefined || f.r.Properties?.SnapshotIdentifier !== undefined;
      if (f.r.Properties?.StorageEncrypted !== true && !(copied && f.r.Properties?.StorageEncrypted === undefined))
        fails.push(`${clusterName(f)}: StorageEncrypted ${showValue(f.r.Properties?.StorageEncrypted)}`);
      if (!isRefTo(f.r.Properties?.KmsKeyId, 'AWS::KMS::Key', f.stack))
        fails.push(`${clusterName(f)}: KmsKeyId ${showValue(f.r.Properties?.KmsKeyId)} is not a key of the stack`);
      const d = deployedCluster(ctx, f);
      if (d.missing) fails.push(d.missing);
      if (d.cluster && (d.cluster.StorageEncrypted !== true || !d.cluster.KmsKeyId))
        fails.push(
          `${clusterName(f)} deployed: StorageEncrypted ` +
            `${showValue(d.cluster.StorageEncrypted)}, KmsKeyId ` +
            `${showValue(d.cluster.KmsKeyId)}`,
        );
    }
    if (found.length === 0) fails.push('no database cluster found');
    return result(
      fails,
      'every cluster: StorageEncrypted true, KmsKeyId = own customer-managed key',
      `${found.length} cluster(s) encrypted with their own key`,
      found,
      ctx.deployed ? 'assembly and deployed' : 'assembly',
    );
  },
  'IQ-02': (ctx) => {
    const found = resources(ctx, 'AWS::KMS::Key');
    const fails = found
      .filter((f) => f.r.Properties?.EnableKeyRotation !== true)
      .map((f) => `${f.id}: EnableKeyRotation ${showValue(f.r.Properties?.EnableKeyRotation)}`);
    return result(fails, 'EnableKeyRotation true on every key', `${found.length} key(s), rotation on`, found);
  },
  'IQ-03': (ctx) => {
    const logs = resources(ctx, 'AWS::Logs::LogGroup');
    const secrets = resources(ctx, 'AWS::SecretsManager::Secret');
    const buckets = resources(ctx, 'AWS::S3::Bucket');
    const fails = [
      ...logs.filter((f) => !f.r.Properties?.KmsKeyId).map((f) => `log group ${f.id} without KmsKeyId`),
      ...secrets.filter((f) => !f.r.Properties?.KmsKeyId).map((f) => `secret ${f.id} without KmsKeyId`),
      ...buckets.filter((f) => !f.r.Properties?.BucketEncryption).map((f) => `bucket ${f.id} without BucketEncryption`),
    ];
    return result(
      fails,
      'KMS key on every log group and secret; default encryption on every bucket',
      `${logs.length} log group(s), ${secrets.length} secret(s), ${buckets.length} bucket(s) encrypted`,
      [...logs, ...secrets, ...buckets],
    );
  },
  'IQ-04': (ctx) => {
    const found = resources(ctx, 'AWS::RDS::DBClusterParameterGroup');
    const fails = found
      .filter((f) => {
        const p = (f.r.Properties?.Parameters ?? {}) as Record<string, unknown>;
        return p.require_secure_transport !== 'ON' || p.tls_version !== 'TLSv1.2';
      })
      .map((f) => {
        const p = (f.r.Properties?.Parameters ?? {}) as Record<string, unknown>;
        return `${f.id}: require_secure_transport=${showValue(p.require_secure_transport)}, tls_version=${showValue(p.tls_version)}`;
      });
    if (found.length === 0) fails.push('no cluster parameter group found');
    return result(
      fails,
      'require_secure_transport=ON, tls_version=TLSv1.2',
      `${found.length} parameter group(s): require_secure_transport=ON, tls_version=TLSv1.2`,
      found,
    );
  },
  'IQ-05': (ctx) => {
    const lbs = resources(ctx, 'AWS::ElasticLoadBalancingV2::LoadBalancer');
    const assoc = resources(ctx, 'AWS::WAFv2::WebACLAssociation');
    const fails = lbs
      .filter((lb) => !assoc.some((a) => (a.r.Properties?.ResourceArn as { Ref?: string })?.Ref === lb.id && a.stack === lb.stack))
      .map((lb) => `${lb.id} has no WAF web ACL association`);
    if (lbs.length === 0) fails.push('no load balancer found');
    return result(fails, 'a WAFv2 web ACL association per load balancer', `${lbs.length} load balancer(s), each with a web ACL`, [
      ...lbs,
      ...assoc,
    ]);
  },
  'IQ-06': (ctx) => {
    const rules: { f: Found; cidr?: string; from?: number; to?: number; proto: string; sgId: string }[] = [];
    for (const f of resources(ctx, 'AWS::EC2::SecurityGroup')) {
      for (const r of (f.r.Properties?.SecurityGroupIngress ?? []) as Record<string, unknown>[])
        rules.push({
          f,
          cidr: (r.CidrIp ?? r.CidrIpv6) as string | undefined,
          from: r.FromPort as number | undefined,
          to: r.ToPort as number | undefined,
          proto: String(r.IpProtocol),
          sgId: f.id,
        });
    }
    for (const f of resources(ctx, 'AWS::EC2::SecurityGroupIngress')) {
      const p = f.r.Properties ?? {};
      rules.push({
        f,
        cidr: (p.CidrIp ?? p.CidrIpv6) as string | undefined,
        from: p.FromPort as number | undefined,
        to: p.ToPort as number | undefined,
        proto: String(p.IpProtocol),
        sgId: showValue(p.GroupId),
      });
    }
    // Every-address blocks however written (10.0.0.0/0 too), and blocks inside the environment's
    // own VPC (its AWS::EC2::VPC CidrBlock: the VPC's primary IPv4 block, CloudFormation User
    // Guide, "AWS::EC2::VPC"), by parsed address and prefix, not by text (constructs/core/cidr.ts,
    // the project's one CIDR module).
    const world = (c?: string) => c !== undefined && coversEveryAddress(c);
    const vpcBlocks = resources(ctx, 'AWS::EC2::VPC')
      .map((f) => parseIPv4Block(String(f.r.Properties?.CidrBlock)))
      .flatMap((b) => (b.ok ? [{ network: b.address, prefix: b.prefix, text: '' }] : []));
    const insideVpc = (c: string) => {
      const b = parseIPv4Block(c);
      return b.ok && vpcBlocks.some((v) => b.prefix >= v.prefix && cidrsOverlap({ network: b.address, prefix: b.prefix, text: c }, v));
    };
    const covers = (r: (typeof rules)[number], port: number) => r.proto === '-1' || ((r.from ?? 0) <= port && port <= (r.to ?? 65535));
    const fails: string[] = [];
    const allowed = new Set([...(ctx.spec.ingressCidrs ?? []), ...(ctx.spec.readReplica?.allowedCidrs ?? [])]);
    for (const r of rules.filter((x) => x.cidr)) {
      if (world(r.cidr)) {
        if ([22, 3306].some((p) => covers(r, p)) || r.proto === '-1')
          fails.push(`${r.f.id}: ${r.proto} ${r.from}-${r.to} open to ${r.cidr}`);
        else if (!(r.from === r.to && (r.from === 443 || r.from === 80)))
          fails.push(`${r.f.id}: ${r.from}-${r.to} open to ${r.cidr} (only 80/443 may be)`);
        else if (ctx.spec.ingressCidrs?.length) fails.push(`${r.f.id}: open to ${r.cidr} although client ranges are configured`);
      } else if (!allowed.has(r.cidr!) && !insideVpc(r.cidr!)) {
        fails.push(`${r.f.id}: ingress from ${r.cidr}, which is not a configured range`);
      }
    }
    const cidrRules = rules.filter((x) => x.cidr).length;
    return result(
      fails,
      `no 22/3306/all ports from 0.0.0.0/0 or ::/0; internet only on ` +
        `80/443${ctx.spec.ingressCidrs?.length ? `; clients only from ${[...ctx.spec.ingressCidrs].join(', ')}` : ''}`,
      `${rules.length} ingress rule(s) (${cidrRules} with CIDR) as specified`,
      rules.map((r) => r.f),
    );
  },
  'IQ-07': (ctx) => {
    const want = ctx.spec.policy.stateful.deletionProtection;
    const found = clusters(ctx);
    const fails: string[] = [];
    for (const f of found) {
      if (f.r.Properties?.DeletionProtection !== want)
        fails.push(`${clusterName(f)}: DeletionProtection ${showValue(f.r.Properties?.DeletionProtection)}`);
      const d = deployedCluster(ctx, f);
      if (d.missing) fails.push(d.missing);
      if (d.cluster && d.cluster.DeletionProtection !== want)
        fails.push(`${clusterName(f)} deployed: DeletionProtection ${showValue(d.cluster.DeletionProtection)}`);
    }
    return result(
      fails,
      `DeletionProtection ${want} (catalog, ${ctx.spec.policy.title})`,
      `${found.length} cluster(s): DeletionProtection ${want}`,
      found,
      ctx.deployed ? 'assembly and deployed' : 'assembly',
    );
  },
  'IQ-08': (ctx) => {
    const want = removalToDeletionPolicy[ctx.spec.policy.stateful.database];
    const found = clusters(ctx);
    const fails = found
      .filter((f) => (f.r.DeletionPolicy ?? 'Delete') !== want)
      .map((f) => `${clusterName(f)}: DeletionPolicy ${f.r.DeletionPolicy ?? '(unset = Delete)'}`);
    return result(fails, `DeletionPolicy ${want} (catalog)`, `${found.length} cluster(s): DeletionPolicy ${want}`, found);
  },
  'IQ-09': (ctx) => {
    const want = ctx.spec.policy.stack.terminationProtection;
    const fails: string[] = [];
    for (const s of ctx.env.stacks) {
      if (s.terminationProtection !== want) fails.push(`${s.stackName}: terminationProtection ${s.terminationProtection}`);
      if (ctx.deployed) {
        const d = ctx.deployed.stacks.get(s.stackName);
        if (!d) fails.push(`${s.stackName} not in the deployed descriptions (describe-stacks)`);
        else if ((d.EnableTerminationProtection ?? false) !== want)
          fails.push(`${s.stackName} deployed: EnableTerminationProtection ${showValue(d.EnableTerminationProtection)}`);
      }
    }
    return {
      expected: `termination protection ${want} (catalog)`,
      observed: fails.length ? fails.join('; ') : `${ctx.env.stacks.length} stack(s): ${want}`,
      pass: fails.length === 0,
      evidence: 'manifest.json',
      source: ctx.deployed ? 'assembly and deployed' : 'assembly',
    };
  },
  'IQ-10': (ctx) => {
    const catalog = ctx.spec.policy.backup.retentionDays;
    const found = clusters(ctx);
    const fails: string[] = [];
    for (const f of found) {
      const want = f.stack.layer === 'replica' ? REPLICA_BACKUP_DAYS : catalog;
      if (f.r.Properties?.BackupRetentionPeriod !== want)
        fails.push(`${clusterName(f)}: BackupRetentionPeriod ${showValue(f.r.Properties?.BackupRetentionPeriod)}`);
      const d = deployedCluster(ctx, f);
      if (d.missing) fails.push(d.missing);
      if (d.cluster && d.cluster.BackupRetentionPeriod !== want)
        fails.push(`${clusterName(f)} deployed: BackupRetentionPeriod ${showValue(d.cluster.BackupRetentionPeriod)}`);
    }
    const plans = resources(ctx, 'AWS::Backup::BackupPlan');
    if (ctx.spec.policy.backup.plan && plans.length === 0) fails.push('no AWS Backup plan although the catalog has one');
    if (!ctx.spec.policy.backup.plan && plans.length > 0) fails.push('an AWS Backup plan although the catalog has none');
    const replica = found.some((f) => f.stack.layer === 'replica') ? `; read replica ${REPLICA_BACKUP_DAYS} d` : '';
    return result(
      fails,
      `BackupRetentionPeriod ${catalog} d${replica}; AWS Backup plan ` +
        `${ctx.spec.policy.backup.plan ? `daily ${ctx.spec.policy.backup.plan.dailyRetentionDays} d` : 'none'}`,
      `${found.length} cluster(s): ${catalog} d${replica}; ${plans.length} backup plan(s)`,
      [...found, ...plans],
      ctx.deployed ? 'assembly and deployed' : 'assembly',
    );
  },
  'IQ-11': (ctx) => {
    const want = Number(ctx.spec.policy.logRetention);
    const found = resources(ctx, 'AWS::Logs::LogGroup');
    const fails: string[] = [];
    for (const f of found) {
      const days = f.r.Properties?.RetentionInDays as number | undefined;
      const slow = /slowquery|SlowQuery/.test(`${f.id} ${showValue(f.r.Properties?.LogGroupName ?? '')}`);
      if (slow ? !(days !== undefined && days <= 30) : days !== want)
        fails.push(`${f.id}: RetentionInDays ${showValue(days)}${slow ? ' (slow-query log: at most 30)' : ''}`);
    }
    return result(fails, `${want} d (catalog); slow-query logs at most 30 d`, `${found.length} log group(s) as specified`, found);
  },
  'IQ-12': (ctx) => {
    const want = ['audit', 'error', 'slowquery'];
    const found = clusters(ctx);
    const fails: string[] = [];
    for (const f of found) {
      const got = (f.r.Properties?.EnableCloudwatchLogsExports ?? []) as string[];
      if (!want.every((w) => got.includes(w))) fails.push(`${clusterName(f)}: ${got.join(', ') || 'none'}`);
      const d = deployedCluster(ctx, f);
      if (d.missing) fails.push(d.missing);
      const dep = d.cluster?.EnabledCloudwatchLogsExports as string[] | undefined;
      if (d.cluster && !want.every((w) => (dep ?? []).includes(w)))
        fails.push(`${clusterName(f)} deployed: ${(dep ?? []).join(', ') || 'none'}`);
    }
    return result(
      fails,
      'audit, error, slowquery exported',
      `${found.length} cluster(s) export audit, error, slowquery`,
      found,
      ctx.deployed ? 'assembly and deployed' : 'assembly',
    );
  },
  'IQ-13': (ctx) => {
    const want = {
      [TAG_CUSTOMER]: ctx.spec.owner,
      [TAG_ENVIRONMENT]: ctx.spec.kind,
      [TAG_CHANGE_CONTROLLED]: String(ctx.spec.policy.changeControlled),
    };
    const fails: string[] = [];
    for (const s of ctx.env.stacks) {
      for (const [k, v] of Object.entries(want)) if (s.tags[k] !== v) fails.push(`${s.stackName}: ${k}=${s.tags[k] ?? '(missing)'}`);
      const d = ctx.deployed?.stacks.get(s.stackName);
      if (ctx.deployed && !d) fails.push(`${s.stackName} not in the deployed descriptions (describe-stacks)`);
      if (d)
        for (const [k, v] of Object.entries(want)) {
          const got = (d.Tags ?? []).find((t) => t.Key === k)?.Value;
          if (got !== v) fails.push(`${s.stackName} deployed: ${k}=${got ?? '(missing)'}`);
        }
    }
    return {
      expected: Object.entries(want)
        .map(([k, v]) => `${k}=${v}`)
        .join(', '),
      observed: fails.length ? fails.join('; ') : `${ctx.env.stacks.length} stack(s) tagged as expected`,
      pass: fails.length === 0,
      evidence: 'manifest.json',
      source: ctx.deployed ? 'assembly and deployed' : 'assembly',
    };
  },
  'IQ-14': (ctx) => {
    if (!ctx.nagReport)
      return {
        expected: 'compliance/nag-report.json present and passed',
        observed: 'no compliance report in the assembly (synthesise with npx cdk synth)',
        pass: false,
        evidence: 'compliance/nag-report.json missing',
        source: 'assembly',
      };
    const fails: string[] = [];
    if (!ctx.nagReport.passed) fails.push('the report did not pass');
    for (const s of ctx.env.stacks) {
      const r = ctx.nagReport.stacks.find((x) => x.stack === s.stackName);
      if (!r) fails.push(`${s.stackName} not in the report`);
      else if ((r.outcomes['non-compliant'] ?? 0) > 0) fails.push(`${s.stackName}: ${r.outcomes['non-compliant']} non-compliant`);
    }
    return {
      expected: "passed; 0 non-compliant rules in the environment's stacks",
      observed: fails.length ? fails.join('; ') : `passed; 0 non-compliant in ${ctx.env.stacks.length} stack(s)`,
      pass: fails.length === 0,
      evidence: 'compliance/nag-report.json',
      source: 'assembly',
    };
  },
  'IQ-15': (ctx) => {
    const found = resources(ctx, 'AWS::ECS::TaskDefinition');
    const fails: string[] = [];
    for (const f of found) {
      for (const c of (f.r.Properties?.ContainerDefinitions ?? []) as {
        Environment?: { Name: string; Value: string }[];
        Image?: unknown;
      }[]) {
        const release = c.Environment?.find((e) => e.Name === 'CLINSPARK_RELEASE')?.Value;
        if (release === undefined) continue;
        if (release !== ctx.spec.release.imageTag) fails.push(`${f.id}: CLINSPARK_RELEASE ${release}`);
        if (ctx.spec.policy.changeControlled && !JSON.stringify(c.Image).includes(`@${ctx.spec.release.digest}`))
          fails.push(`${f.id}: image not pinned by ${ctx.spec.release.digest ?? 'a digest'}`);
      }
    }
    if (found.length === 0) fails.push('no task definition found');
    return result(
      fails,
      `release ${ctx.spec.release.imageTag}${ctx.spec.policy.changeControlled ? ` by digest ${ctx.spec.release.digest}` : ''}`,
      `${found.length} task definition(s) run ${ctx.spec.release.imageTag}${ctx.spec.policy.changeControlled ? ' by digest' : ''}`,
      found,
    );
  },
  'IQ-16': (ctx) => {
    const runs = resources(ctx, 'Custom::ClinSparkScrubbedCopy');
    const found = clusters(ctx);
    const fails: string[] = [];
    if (runs.length !== ctx.spec.instances.length)
      fails.push(`${runs.length} scrubbed-copy run(s) for ${ctx.spec.instances.length} instance(s)`);
    for (const f of found) {
      const snap = f.r.Properties?.SnapshotIdentifier;
      if (typeof snap !== 'string' || !snap.includes('-scrubbed-'))
        fails.push(`${clusterName(f)}: restores from ${showValue(snap)}, not a scrubbed snapshot`);
      const deps = ([] as string[]).concat((f.r.DependsOn as string[] | string | undefined) ?? []);
      if (!deps.some((d) => f.stack.template.Resources?.[d]?.Type === 'AWS::CloudFormation::WaitCondition'))
        fails.push(`${clusterName(f)}: created without waiting for its scrub run`);
    }
    const rule = ctx.nagReport?.stacks
      .filter((s) => ctx.env.stacks.some((x) => x.stackName === s.stack))
      .flatMap((s) => s.rules.filter((r) => r.ruleId === 'ClinSpark-ValScrubbed'));
    if (ctx.nagReport && !(rule ?? []).some((r) => r.outcome === 'compliant'))
      fails.push('ClinSpark-ValScrubbed not compliant in the compliance report');
    return result(
      fails,
      'one scrubbed-copy run per instance; clusters restored from the scrubbed snapshot after the run; ClinSpark-ValScrubbed compliant',
      `${runs.length} run(s); ${found.length} cluster(s) restored from scrubbed ` +
        `snapshots after their runs; ClinSpark-ValScrubbed compliant`,
      [...runs, ...found],
    );
  },
};
