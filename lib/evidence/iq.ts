/**
 * Installation Qualification reports: the specification of one environment (its stacks in a cloud
 * assembly, its resolved configuration) verified against the approved protocol
 * (lib/evidence/iq-protocol.yaml), optionally against the deployed descriptions, written as
 * iq.md, iq.html, iq.pdf and iq.json.
 */
import * as fs from 'fs';
import * as path from 'path';
import { parse } from 'yaml';
import { EnvironmentSpec } from '../environments';

import { STATEFUL_TYPES } from '../stateful-lock';
import { architectureGraph } from './architecture';
import { AssemblyEnvironment, CfnResource, constructPath } from './assembly';
import { sha256File, showValue, stableJson } from './canonical';
import { DeployedState } from './deployed';
import { renderGraph } from './diagram';
import { Block, EvidenceDocument, writeText } from './document';
import { SIGNATURE_HOW, SIGNATURE_ROLES } from './ecr-document';
import {
  BuildFingerprint,
  FileHash,
  SpecificationFingerprint,
  buildFingerprint,
  documentTime,
  specificationFingerprint,
} from './fingerprint';
import { CHECKS, CheckContext } from './iq-checks';
import { renderPdf } from './pdf';
import { recordSha256 } from './ecr';

export const PROTOCOL_FILE = path.join(__dirname, 'iq-protocol.yaml');

export interface ProtocolCheck {
  readonly id: string;
  readonly title: string;
  readonly clause: string;
  readonly method: string;
  readonly acceptance: string;
  readonly kinds?: readonly string[];
}

export interface Protocol {
  readonly protocol: string;
  readonly title: string;
  readonly version: string;
  readonly history: readonly { readonly version: string; readonly change: string }[];
  readonly checks: readonly ProtocolCheck[];
}

export function loadProtocol(file = PROTOCOL_FILE): Protocol {
  return parse(fs.readFileSync(file, 'utf8')) as Protocol;
}

const STATEFUL = new Set<string>(STATEFUL_TYPES);

const refName = (v: unknown): string | undefined => {
  const id = (v as { Ref?: string })?.Ref ?? (v as { 'Fn::GetAtt'?: [string, string] })?.['Fn::GetAtt']?.[0];
  return id ? `${id}` : typeof v === 'string' ? v : undefined;
};

/** The key properties of a resource for the inventory, by type. */
export function keyProperties(r: CfnResource): string {
  const p = r.Properties ?? {};
  const parts: string[] = [];
  const add = (label: string, v: unknown) => {
    if (v !== undefined && v !== null && v !== '')
      parts.push(
        `${label}: ` +
          `${typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' ? String(v) : (refName(v) ?? showValue(v, 80))}`,
      );
  };
  switch (r.Type) {
    case 'AWS::RDS::DBCluster':
      add('identifier', p.DBClusterIdentifier);
      add('engine', `${String(p.Engine)} ${String(p.EngineVersion)}`);
      add(
        'capacity',
        p.ServerlessV2ScalingConfiguration
          ? ((s: { MinCapacity: number; MaxCapacity: number }) => `${s.MinCapacity}-${s.MaxCapacity} ACU`)(
              p.ServerlessV2ScalingConfiguration as { MinCapacity: number; MaxCapacity: number },
            )
          : undefined,
      );
      add('KMS key', p.KmsKeyId);
      add('parameter group', p.DBClusterParameterGroupName);
      add('backup retention (d)', p.BackupRetentionPeriod);
      add('deletion protection', p.DeletionProtection);
      add('restored from', p.SnapshotIdentifier);
      break;
    case 'AWS::RDS::DBInstance':
      add('class', p.DBInstanceClass);
      add('zone', p.AvailabilityZone);
      add('parameter group', p.DBParameterGroupName);
      add('monitoring (s)', p.MonitoringInterval);
      break;
    case 'AWS::RDS::DBClusterParameterGroup':
    case 'AWS::RDS::DBParameterGroup':
      add('family', p.Family);
      add('require_secure_transport', (p.Parameters as Record<string, unknown> | undefined)?.require_secure_transport);
      add('tls_version', (p.Parameters as Record<string, unknown> | undefined)?.tls_version);
      break;
    case 'AWS::KMS::Key':
      add('description', p.Description);
      add('rotation', p.EnableKeyRotation);
      break;
    case 'AWS::Logs::LogGroup':
      add('name', p.LogGroupName);
      add('retention (d)', p.RetentionInDays);
      add('KMS key', p.KmsKeyId);
      break;
    case 'AWS::SecretsManager::Secret':
      add('name', p.Name);
      add('KMS key', p.KmsKeyId);
      break;
    case 'AWS::S3::Bucket':
      add(
        'encryption',
        (
          p.BucketEncryption as
            { ServerSideEncryptionConfiguration?: { ServerSideEncryptionByDefault?: { SSEAlgorithm?: string } }[] } | undefined
        )?.ServerSideEncryptionConfiguration?.[0]?.ServerSideEncryptionByDefault?.SSEAlgorithm,
      );
      add('versioning', (p.VersioningConfiguration as { Status?: string } | undefined)?.Status);
      add('object lock', p.ObjectLockEnabled);
      break;
    case 'AWS::ECS::TaskDefinition': {
      const c = (
        p.ContainerDefinitions as
          | { Environment?: { Name: string; Value: string }[]; Image?: unknown; ReadonlyRootFilesystem?: boolean; User?: string }[]
          | undefined
      )?.[0];
      add('release', c?.Environment?.find((e) => e.Name === 'CLINSPARK_RELEASE')?.Value);
      const image = JSON.stringify(c?.Image ?? '');
      add('image', /@(sha256:[0-9a-f]{64})/.exec(image)?.[1] ?? (image.length > 2 ? 'by tag' : undefined));
      add('cpu/MiB', p.Cpu ? `${showValue(p.Cpu)}/${showValue(p.Memory)}` : undefined);
      add('read-only root', c?.ReadonlyRootFilesystem);
      add('user', c?.User);
      break;
    }
    case 'AWS::ECS::Service':
      add('desired', p.DesiredCount);
      add('launch type', p.LaunchType);
      break;
    case 'AWS::ElasticLoadBalancingV2::LoadBalancer':
      add('scheme', p.Scheme);
      add(
        'deletion protection',
        (p.LoadBalancerAttributes as { Key: string; Value: string }[] | undefined)?.find((a) => a.Key === 'deletion_protection.enabled')
          ?.Value,
      );
      break;
    case 'AWS::ElasticLoadBalancingV2::Listener':
      add('port', p.Port);
      add('protocol', p.Protocol);
      add('TLS policy', p.SslPolicy);
      break;
    case 'AWS::EC2::Instance':
      add('AMI', p.ImageId);
      add('type', p.InstanceType);
      add('zone', p.AvailabilityZone);
      break;
    case 'AWS::EC2::VPC':
      add('CIDR', p.CidrBlock);
      break;
    case 'AWS::EC2::Subnet':
      add('zone', p.AvailabilityZone);
      add('CIDR', p.CidrBlock);
      break;
    case 'AWS::Backup::BackupPlan':
      add(
        'rules',
        (
          (p.BackupPlan as { BackupPlanRule?: { RuleName: string; Lifecycle?: { DeleteAfterDays?: number } }[] } | undefined)
            ?.BackupPlanRule ?? []
        )
          .map((x) => `${x.RuleName} ${x.Lifecycle?.DeleteAfterDays ?? '?'} d`)
          .join(', '),
      );
      break;
    case 'AWS::Backup::BackupVault':
      add('KMS key', p.EncryptionKeyArn);
      break;
    default:
      if (typeof p.Description === 'string')
        add('description', p.Description.length > 80 ? `${p.Description.slice(0, 77)}...` : p.Description);
  }
  if (r.DeletionPolicy) parts.push(`deletion policy: ${r.DeletionPolicy}`);
  return parts.join('; ');
}

export interface IqRow {
  readonly checkId: string;
  readonly title: string;
  readonly clause: string;
  readonly method: string;
  readonly acceptance: string;
  readonly expected: string;
  readonly observed: string;
  readonly result: 'PASS' | 'FAIL';
  readonly evidence: string;
  readonly source: string;
}

export interface IqRecord {
  readonly documentId: string;
  readonly version: string;
  readonly customer: string;
  readonly environment: string;
  readonly kind: string;
  readonly account: string;
  readonly region: string;
  readonly generator: string;
  readonly generatedAt: string;
  readonly generatedAtSource: string;
  readonly protocol: { readonly id: string; readonly version: string; readonly sha256: string };
  readonly build: BuildFingerprint;
  readonly configurationFile: FileHash;
  readonly specification: SpecificationFingerprint;
  readonly deployed?: {
    readonly dir: string;
    readonly files: readonly { readonly file: string; readonly sha256: string; readonly kind: string }[];
  };
  readonly inventory: readonly {
    readonly stack: string;
    readonly constructPath: string;
    readonly logicalId: string;
    readonly type: string;
    readonly stateful: boolean;
    readonly keyProperties: string;
    readonly physicalId?: string;
  }[];
  readonly verification: readonly IqRow[];
  readonly deviations: readonly {
    readonly id: string;
    readonly checkId: string;
    readonly description: string;
    readonly disposition: string;
  }[];
  readonly architectureDot: string;
}

export interface IqInput {
  readonly env: AssemblyEnvironment;
  readonly spec: EnvironmentSpec;
  readonly assemblyDir: string;
  readonly configDir: string;
  readonly deployed?: DeployedState;
  readonly generatedAt?: string;
}

function readNag(assemblyDir: string): CheckContext['nagReport'] {
  const f = path.join(assemblyDir, 'compliance', 'nag-report.json');
  return fs.existsSync(f) ? (JSON.parse(fs.readFileSync(f, 'utf8')) as CheckContext['nagReport']) : undefined;
}

export async function buildIq(input: IqInput): Promise<{ record: IqRecord; document: EvidenceDocument }> {
  const { env, spec } = input;
  const protocol = loadProtocol();
  const spec256 = specificationFingerprint(env, input.assemblyDir);
  const build = buildFingerprint(input.configDir);
  const time = documentTime(input.generatedAt);
  const configFile = path.join(input.configDir, spec.sourceFile);
  const ctx: CheckContext = { env, spec, assemblyDir: input.assemblyDir, deployed: input.deployed, nagReport: readNag(input.assemblyDir) };
  const verification: IqRow[] = protocol.checks
    .filter((c) => !c.kinds || c.kinds.includes(spec.kind))
    .map((c) => {
      const impl = CHECKS[c.id];
      if (!impl) throw new Error(`protocol check ${c.id} has no implementation in lib/evidence/iq-checks.ts`);
      const r = impl(ctx);
      return {
        checkId: c.id,
        title: c.title,
        clause: c.clause,
        method: c.method,
        acceptance: c.acceptance,
        expected: r.expected,
        observed: r.observed,
        result: r.pass ? 'PASS' : 'FAIL',
        evidence: r.evidence,
        source: r.source,
      };
    });
  const inventory = env.stacks.flatMap((s) =>
    Object.entries(s.template.Resources ?? {})
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([id, r]) => ({
        stack: s.stackName,
        constructPath: constructPath(r, id, s.paths),
        logicalId: id,
        type: r.Type,
        stateful: STATEFUL.has(r.Type),
        keyProperties: keyProperties(r),
        physicalId: input.deployed
          ? (input.deployed.physicalIds.get(`${s.stackName}/${id}`) ?? '(not in the deployed descriptions)')
          : undefined,
      })),
  );
  const documentId = `IQ-${spec.owner}-${spec.name}-${spec256.specificationSha256.slice(0, 12)}`;
  const deviations = verification
    .filter((v) => v.result === 'FAIL')
    .map((v, i) => ({
      id: `${documentId}-DEV-${String(i + 1).padStart(2, '0')}`,
      checkId: v.checkId,
      description: `${v.title}: expected ${v.expected}; observed ${v.observed}`,
      disposition: '',
    }));
  const graph = architectureGraph(env, spec);
  const { svg, layout } = await renderGraph(graph);
  const record: IqRecord = {
    documentId,
    version: '1.0',
    customer: spec.owner,
    environment: spec.name,
    kind: spec.kind,
    account: spec.account,
    region: spec.region,
    generator: `clinspark ${build.libraryVersion}`,
    generatedAt: time.iso,
    generatedAtSource: time.source,
    protocol: { id: protocol.protocol, version: protocol.version, sha256: sha256File(PROTOCOL_FILE) },
    build,
    configurationFile: { file: spec.sourceFile, sha256: fs.existsSync(configFile) ? sha256File(configFile) : 'missing' },
    specification: spec256,
    deployed: input.deployed ? { dir: path.relative(process.cwd(), input.deployed.dir) || '.', files: input.deployed.files } : undefined,
    inventory,
    verification,
    deviations,
    architectureDot: layout.dot,
  };
  return { record, document: iqDocument(record, svg, layout) };
}

function iqDocument(rec: IqRecord, svg: string, layout: Awaited<ReturnType<typeof renderGraph>>['layout']): EvidenceDocument {
  const sha = recordSha256(rec);
  const b: Block[] = [];
  const h = (level: 1 | 2 | 3, text: string) => b.push({ kind: 'heading', level, text });
  const p = (text: string) => b.push({ kind: 'paragraph', text });
  const table = (columns: string[], rows: string[][], widths?: number[]) => b.push({ kind: 'table', columns, rows, widths });
  h(1, `Installation Qualification ${rec.documentId}`);
  h(2, '1. Document control');
  table(
    ['Field', 'Value'],
    [
      ['Document id', rec.documentId],
      ['Version', rec.version],
      ['Customer', rec.customer],
      ['Environment', rec.environment],
      ['Kind', rec.kind],
      ['Account', rec.account],
      ['Region', rec.region],
      ['Generator', rec.generator],
      ['Generated (UTC)', `${rec.generatedAt} (${rec.generatedAtSource})`],
      ['Protocol', `${rec.protocol.id} version ${rec.protocol.version} (SHA-256 ${rec.protocol.sha256})`],
    ],
    [1, 4],
  );
  h(2, '2. Scope');
  p(
    `This IQ verifies that the ${rec.kind} environment ` +
      `${rec.customer}/${rec.environment} in account ${rec.account}, ${rec.region}, is ` +
      `specified${rec.deployed ? ' and installed' : ''} as approved: its ` +
      `infrastructure components, their configuration and the security and ` +
      `data-protection controls listed in section 5, traced to the design and the ` +
      `environment catalog.`,
  );
  b.push({
    kind: 'list',
    items: [
      'In scope: the CloudFormation stacks of the environment (network, keys, ' +
        'databases, secrets, logs, backups, application services, load balancer, WAF, ' +
        'DNS; read replica and jump host where configured), as synthesised from the ' +
        'fleet configuration, and, with deployed descriptions, the installed resources.',
      'Out of scope: operational and performance qualification of the ClinSpark ' +
        "application (OQ/PQ), the application's own configuration and data, and controls " +
        'inherited from AWS (physical security, hypervisor, managed-service internals; ' +
        'see the AWS SOC reports).',
      rec.deployed
        ? `Deployed descriptions: ${rec.deployed.files.map((f) => `${f.file} (${f.kind})`).join(', ')}.`
        : 'Offline: observed values come from the cloud assembly (the specification); run ' +
          'again with --deployed after deployment to verify the installed state.',
    ],
  });
  h(2, '3. Specification fingerprint');
  table(
    ['Item', 'Value'],
    [
      ['Git commit', `${rec.build.gitCommit}${rec.build.gitWorkTreeModified ? ' (work tree had uncommitted changes)' : ''}`],
      ['Library', rec.build.libraryVersion],
      ['aws-cdk-lib', rec.build.awsCdkLibVersion],
      ['CDK CLI (aws-cdk)', rec.build.cdkCliVersion],
      ['Node.js', rec.build.nodeVersion],
      ['Cloud assembly schema', rec.specification.assemblySchemaVersion ?? 'unknown'],
      [`Configuration file ${rec.configurationFile.file}`, rec.configurationFile.sha256],
      ['Specification SHA-256 (all files below)', rec.specification.specificationSha256],
      ['Compliance report compliance/nag-report.json', rec.specification.complianceReport?.sha256 ?? 'not in the assembly'],
      ...rec.specification.files.map((f) => [f.file, f.sha256]),
    ],
    [2, 3],
  );
  h(2, '4. Installed components');
  p(
    `${rec.inventory.length} resources in ` +
      `${new Set(rec.inventory.map((i) => i.stack)).size} stack(s); ` +
      `${rec.inventory.filter((i) => i.stateful).length} stateful (the stateful lock's ` +
      `types).${rec.deployed ? ' Physical ids from the deployed stack resources.' : ''}`,
  );
  for (const stack of [...new Set(rec.inventory.map((i) => i.stack))]) {
    h(3, stack);
    const rows = rec.inventory.filter((i) => i.stack === stack);
    if (rec.deployed)
      table(
        ['Construct path', 'Logical id', 'Type', 'Stateful', 'Key properties', 'Physical id'],
        rows.map((i) => [
          i.constructPath.replace(`${stack}/`, ''),
          i.logicalId,
          i.type,
          i.stateful ? 'yes' : 'no',
          i.keyProperties,
          i.physicalId ?? '',
        ]),
        [3, 2.5, 2.2, 0.7, 4, 2.5],
      );
    else
      table(
        ['Construct path', 'Logical id', 'Type', 'Stateful', 'Key properties'],
        rows.map((i) => [i.constructPath.replace(`${stack}/`, ''), i.logicalId, i.type, i.stateful ? 'yes' : 'no', i.keyProperties]),
        [3, 2.5, 2.2, 0.7, 5],
      );
  }
  h(2, '5. Verification');
  p(
    `Checks of protocol ${rec.protocol.id} version ${rec.protocol.version}. ` +
      `${rec.verification.filter((v) => v.result === 'PASS').length} of ` +
      `${rec.verification.length} PASS.`,
  );
  table(
    ['Check', 'Specification clause', 'Method', 'Acceptance criterion', 'Expected', 'Observed', 'Result', 'Evidence'],
    rec.verification.map((v) => [
      `${v.checkId} ${v.title}`,
      v.clause,
      `${v.method} (observed from ${v.source})`,
      v.acceptance,
      v.expected,
      v.observed,
      v.result,
      v.evidence,
    ]),
    [1.4, 1.6, 1.6, 1.8, 1.6, 1.8, 0.6, 1.8],
  );
  h(2, '6. Deviations');
  if (rec.deviations.length === 0) p('None: every check passed.');
  else
    table(
      ['Deviation', 'Check', 'Description', 'Disposition (filled in)'],
      rec.deviations.map((d) => [d.id, d.checkId, d.description, '']),
      [1.5, 0.7, 5, 2],
    );
  h(2, '7. Architecture');
  b.push({
    kind: 'figure',
    caption:
      `${rec.customer}/${rec.environment}: network tiers, load balancer and WAF, ` +
      `application services, databases, replica and jump host where configured, and ` +
      `the KMS keys, drawn from the specification`,
    svg,
    layout,
  });
  h(2, '8. Evidence index, signatures and revision history');
  table(
    ['Evidence', 'SHA-256'],
    [
      [rec.configurationFile.file, rec.configurationFile.sha256],
      ['lib/evidence/iq-protocol.yaml', rec.protocol.sha256],
      ...rec.specification.files.map((f) => [f.file, f.sha256]),
      ...(rec.specification.complianceReport ? [[rec.specification.complianceReport.file, rec.specification.complianceReport.sha256]] : []),
      ...(rec.deployed?.files ?? []).map((f) => [`deployed/${f.file}`, f.sha256]),
    ],
    [2, 3],
  );
  b.push({
    kind: 'signatures',
    recordSha256: sha,
    how: SIGNATURE_HOW.replace('"record" in the JSON file', '"record" in iq.json'),
    roles: SIGNATURE_ROLES('Installation Qualification'),
  });
  table(
    ['Version', 'Date (UTC)', 'Change'],
    [
      [
        rec.version,
        rec.generatedAt.slice(0, 10),
        `First issue, from specification ${rec.specification.specificationSha256.slice(0, 12)}` +
          (rec.deviations.length ? ` with ${rec.deviations.length} deviation(s)` : ''),
      ],
    ],
    [1, 1, 5],
  );
  return {
    title: `Installation Qualification ${rec.documentId}`,
    id: `${rec.documentId} v${rec.version} (record SHA-256 ${sha})`,
    blocks: b,
  };
}

export async function writeIq(outDir: string, record: IqRecord, document: EvidenceDocument): Promise<string[]> {
  const files = writeText(outDir, 'iq', document);
  const json = path.join(outDir, 'iq.json');
  fs.writeFileSync(
    json,
    stableJson({
      record,
      recordSha256: recordSha256(record),
      recordSha256Of: 'canonical JSON of "record": keys sorted, no whitespace (jq -cjS .record iq.json | sha256sum)',
    }),
  );
  const pdf = path.join(outDir, 'iq.pdf');
  fs.writeFileSync(pdf, await renderPdf(document, record.generatedAt));
  return [...files, pdf, json];
}
