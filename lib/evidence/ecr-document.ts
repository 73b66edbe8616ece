/** The ECR as a document (Markdown/HTML from lib/evidence/document.ts) and its JSON. */
import { Block, EvidenceDocument } from './document';
import { EcrRecord, ResourceChangeKind, recordSha256 } from './ecr';

export const SIGNATURE_ROLES = (what: string) => [
  {
    role: 'Prepared by',
    meaning: `I prepared this ${what} and confirm that it is complete and accurate for the content identified by the SHA-256 below.`,
  },
  { role: 'Reviewed by', meaning: `I reviewed the technical content and impact of this ${what}, identified by the SHA-256 below.` },
  { role: 'Approved by', meaning: `I approve this ${what}, identified by the SHA-256 below, for implementation.` },
];

export const SIGNATURE_HOW =
  'Each signature below applies to this record as identified by its SHA-256: the ' +
  'SHA-256 of the canonical JSON of "record" in the JSON file of this document ' +
  '(keys sorted, no whitespace; `jq -cjS .record <file>.json | sha256sum` prints ' +
  'it). ' +
  'A signature is manifested with the printed name of the signer, the date and ' +
  'time (UTC) and the meaning of the signature (21 CFR 11.50) and is linked to ' +
  'this exact content by the SHA-256 (21 CFR 11.70): any change to the record ' +
  'changes the SHA-256 and needs new signatures.';

const ORDER: readonly ResourceChangeKind[] = ['replaced', 'possibly replaced', 'removed', 'orphaned', 'modified', 'added', 'imported'];

export function ecrDocument(record: EcrRecord): EvidenceDocument {
  const sha = recordSha256(record);
  const b: Block[] = [];
  const h = (level: 1 | 2 | 3, text: string) => b.push({ kind: 'heading', level, text });
  const p = (text: string) => b.push({ kind: 'paragraph', text });
  const table = (columns: string[], rows: string[][], widths?: number[]) => b.push({ kind: 'table', columns, rows, widths });
  h(1, `Environment Change Record ${record.ecrId}`);
  h(2, '1. Change reference');
  table(
    ['Field', 'Value'],
    [
      ['ECR id', record.ecrId],
      ['Customer', record.customer],
      ['Environment', record.environment],
      ['Kind', record.kind],
      ['Change-controlled', record.changeControlled ? 'yes' : 'no'],
      ['Account / region', `${record.account} / ${record.region}`],
      ['Scope', record.scope],
      ['Baseline assembly (approved)', record.baseline.assembly],
      ['Candidate assembly', record.candidate.assembly],
      ['Candidate git commit', record.candidate.gitCommit ?? 'unknown'],
      [
        'Change sets used',
        record.changeSets.length
          ? record.changeSets.map((c) => `${c.stack}: ${c.file} (SHA-256 ${c.sha256})`).join('; ')
          : 'none: impact from the template diff and the resource specification only',
      ],
    ],
    [1, 3],
  );
  if (record.scope === 'new environment')
    p(
      'This environment does not exist in the baseline: every resource is new. A new ' +
        'change-controlled environment is qualified by its Installation Qualification ' +
        '(npx clinspark iq), not by this record; its IAM and security-group rules are ' +
        'listed but not gated here.',
    );
  if (record.scope === 'environment removed')
    p(
      'This environment is absent from the candidate assembly: deploying the candidate ' +
        'fleet removes it (every resource below is destroyed or orphaned).',
    );

  if (record.emergencyHotfix)
    p(
      `EMERGENCY HOTFIX OVERRIDE: ${record.emergencyHotfix.release} runs in this ` +
        `environment before a VAL of the customer recorded its validation, under ` +
        `${record.emergencyHotfix.reference}: ${record.emergencyHotfix.reason}`,
    );

  h(2, '2. Blocking findings');
  if (record.blocking.length === 0)
    p(
      'None. No stateful resource is replaced, possibly replaced, destroyed or ' +
        'orphaned, and no IAM or security-group permission is broadened in a ' +
        'change-controlled environment.',
    );
  else {
    p(
      `${record.blocking.length} blocking finding(s). The change must not be deployed ` +
        `unless the approved baseline is updated in the same change (and so reviewed), ` +
        `with a data migration plan for every stateful resource replaced or removed.`,
    );
    table(
      ['Rule', 'Finding'],
      record.blocking.map((f) => [f.rule, f.message]),
      [1, 5],
    );
  }

  h(2, '3. Fingerprints');
  table(
    ['', 'Baseline', 'Candidate'],
    [
      [
        'Specification SHA-256 (templates and asset manifests)',
        record.baseline.fingerprint?.specificationSha256 ?? 'none (not in the baseline)',
        record.candidate.fingerprint?.specificationSha256 ?? 'none (not in the candidate)',
      ],
      [
        'Compliance report SHA-256',
        record.baseline.fingerprint?.complianceReport?.sha256 ?? 'not in the assembly',
        record.candidate.fingerprint?.complianceReport?.sha256 ?? 'not in the assembly',
      ],
    ],
    [2, 3, 3],
  );
  const files = [
    ...new Set([...(record.baseline.fingerprint?.files ?? []), ...(record.candidate.fingerprint?.files ?? [])].map((f) => f.file)),
  ].sort();
  table(
    ['File', 'Baseline SHA-256', 'Candidate SHA-256'],
    files.map((f) => [
      f,
      record.baseline.fingerprint?.files.find((x) => x.file === f)?.sha256 ?? '(absent)',
      record.candidate.fingerprint?.files.find((x) => x.file === f)?.sha256 ?? '(absent)',
    ]),
    [2, 3, 3],
  );

  h(2, '4. Stacks');
  table(
    ['Stack', 'Status', 'Resources changed'],
    record.stacks.map((s) => [s.stack, s.status, String(s.differences)]),
  );

  h(2, '5. Resources');
  p(
    'Every resource added, modified, removed, orphaned, replaced or possibly ' +
      'replaced, by the impact CloudFormation gives the change (a change set, where ' +
      'given, wins over the template diff).',
  );
  for (const kind of ORDER) {
    const rows = record.resources.filter((r) => r.change === kind);
    if (rows.length === 0) continue;
    h(3, `${kind[0].toUpperCase()}${kind.slice(1)} (${rows.length})`);
    table(
      ['Stack', 'Construct path', 'Logical id', 'Type', 'Stateful', 'Impact from'],
      rows.map((r) => [r.stack, r.constructPath, r.logicalId, r.type, r.stateful ? 'yes' : 'no', r.impactSource]),
      [2, 4, 2, 2, 0.7, 1],
    );
  }
  if (record.resources.length === 0) p('No resource changes.');
  const props = record.resources.flatMap((r) =>
    r.properties.map((x) => [`${r.stack}/${r.logicalId}`, x.property, x.before, x.after, x.impact]),
  );
  if (props.length > 0) {
    h(3, 'Property changes and their impact');
    table(['Resource', 'Property', 'Before', 'After', 'Impact'], props, [2, 1.2, 3, 3, 1.5]);
  }

  h(2, '6. IAM changes');
  if (record.iam.length === 0) p('No IAM statement or managed policy is added or removed.');
  else
    table(
      ['Stack', 'Change', 'Kind', 'Effect', 'Principal', 'Action', 'Resource', 'Condition', 'Broadening'],
      record.iam.map((i) => [
        i.stack,
        i.change,
        i.kind,
        i.effect,
        i.principal,
        i.action,
        i.resource,
        i.condition,
        i.broadening ? 'BROADENING' : 'no',
      ]),
      [1.6, 0.7, 0.8, 0.6, 2, 2, 2, 1.5, 0.9],
    );

  h(2, '7. Security-group changes');
  if (record.securityGroups.length === 0) p('No security-group rule is added or removed.');
  else
    table(
      ['Stack', 'Change', 'Direction', 'Group', 'Protocol / ports', 'Peer', 'Broadening'],
      record.securityGroups.map((s) => [s.stack, s.change, s.direction, s.group, s.protocol, s.peer, s.broadening ? 'BROADENING' : 'no']),
      [2, 0.8, 0.8, 2, 1.2, 2, 1],
    );

  h(2, '8. Changes of unknown impact');
  const unknown = record.resources.filter((r) => r.unknownImpact);
  if (unknown.length === 0) p('None: the resource specification rates every changed property.');
  else {
    p(
      'The template diff cannot rate these changes; they are not "no change". Assess ' +
        'each (the handler of a custom resource, the AWS documentation of a property) ' +
        'and record the assessment here before approval.',
    );
    table(
      ['Stack', 'Construct path', 'Logical id', 'Type', 'Why unknown', 'Assessment'],
      unknown.map((r) => [r.stack, r.constructPath, r.logicalId, r.type, r.unknownImpact ?? '', '']),
      [2, 3, 2, 2, 3, 2],
    );
  }

  h(2, '9. Other template changes');
  if (record.otherTemplateChanges.length === 0) p('None.');
  else
    table(
      ['Stack', 'Section', 'Name', 'Change'],
      record.otherTemplateChanges.map((o) => [o.stack, o.section, o.name, o.change]),
    );

  h(2, '10. Rollback reference');
  p(
    "Pre-change snapshots of the environment's database clusters. Where the release " +
      'or the Aurora engine of a database changes, the data stack takes the snapshot ' +
      'itself before the database or the services change (taken by: pre-upgrade ' +
      'snapshot; docs/lifecycle-upgrades.md): its identifier is given here and the ' +
      'stack output named reports it after the deployment (the command reads it). For ' +
      'every other database, take the snapshot before deploying with the command shown ' +
      "(taken by: manual). Record each snapshot's ARN and creation time here. Rollback " +
      'of a database is a restore from that snapshot to a new cluster; rollback of the ' +
      'rest is the redeployment of the baseline assembly (an engine upgrade is not ' +
      'undone by a stack rollback).',
  );
  if (record.rollback.length === 0) p('No database cluster in the baseline of this environment.');
  else
    table(
      ['Stack', 'Cluster', 'Taken by', 'Pre-change snapshot identifier', 'Stack output', 'Command', 'Snapshot ARN and time (filled in)'],
      record.rollback.map((r) => [
        r.stack,
        r.cluster,
        r.takenBy === 'pre-upgrade snapshot' ? `pre-upgrade snapshot (${r.change ?? ''})` : 'manual',
        r.snapshotIdentifier,
        r.stackOutput ?? '',
        r.command,
        '',
      ]),
      [1.5, 1.5, 1.5, 2, 1.2, 3.5, 1.8],
    );

  h(2, '11. Signatures');
  b.push({ kind: 'signatures', recordSha256: sha, how: SIGNATURE_HOW, roles: SIGNATURE_ROLES('Environment Change Record') });
  return { title: `Environment Change Record ${record.ecrId}`, id: `${record.ecrId} (record SHA-256 ${sha})`, blocks: b };
}
