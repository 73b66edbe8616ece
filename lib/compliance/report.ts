/**
 * The reviewer report: per stack, every rule evaluated with its outcome, every acknowledgement
 * with its reason, and every failure; as JSON (for tools) and Markdown (for people), written to
 * `<outdir>/compliance/` on every synth.
 */
import * as fs from 'fs';
import * as path from 'path';
import { IConstruct } from 'constructs';
import { ComplianceRecorder, ResourceFinding } from './recorder';

export type RuleOutcome = 'compliant' | 'not-applicable' | 'acknowledged' | 'non-compliant';

export interface RuleSummary {
  readonly pack: string;
  readonly ruleId: string;
  /** The worst outcome over the stack's resources. */
  readonly outcome: RuleOutcome;
  readonly compliant: number;
  readonly notApplicable: number;
  readonly acknowledged: number;
  readonly nonCompliant: number;
  readonly info: string;
}

export interface StackReport {
  readonly stack: string;
  readonly rulesEvaluated: number;
  readonly outcomes: Record<RuleOutcome, number>;
  readonly rules: RuleSummary[];
  readonly acknowledgements: Array<{
    readonly id: string;
    readonly resource: string;
    readonly resourceType: string;
    readonly reason: string;
  }>;
  readonly failures: Array<ResourceFinding & { readonly info: string }>;
}

export interface ComplianceReport {
  readonly packs: string[];
  readonly passed: boolean;
  readonly totals: { readonly stacks: number; readonly acknowledgements: number; readonly failures: number };
  readonly stacks: StackReport[];
  /** Acknowledgements that matched no finding: stale or mistyped, to be removed. */
  readonly unusedAcknowledgements: Array<{ readonly id: string; readonly path: string; readonly reason: string }>;
}

export function buildComplianceReport(recorder: ComplianceRecorder, root: IConstruct): ComplianceReport {
  const stacks: StackReport[] = [];
  for (const [stack, rules] of [...recorder.stacks.entries()].sort(([a], [b]) => a.localeCompare(b))) {
    const summaries: RuleSummary[] = [];
    const outcomes: Record<RuleOutcome, number> = { compliant: 0, 'not-applicable': 0, acknowledged: 0, 'non-compliant': 0 };
    const acknowledgements: StackReport['acknowledgements'] = [];
    const failures: StackReport['failures'] = [];
    for (const rec of [...rules.values()].sort((a, b) => a.ruleId.localeCompare(b.ruleId))) {
      const nonCompliant = rec.nonCompliant.length + rec.errors.length;
      const outcome: RuleOutcome =
        nonCompliant > 0
          ? 'non-compliant'
          : rec.acknowledged.length > 0
            ? 'acknowledged'
            : rec.compliant > 0
              ? 'compliant'
              : 'not-applicable';
      outcomes[outcome]++;
      summaries.push({
        pack: rec.pack,
        ruleId: rec.ruleId,
        outcome,
        compliant: rec.compliant,
        notApplicable: rec.notApplicable,
        acknowledged: rec.acknowledged.length,
        nonCompliant,
        info: rec.info,
      });
      for (const a of rec.acknowledged)
        acknowledgements.push({ id: a.id, resource: a.path, resourceType: a.resourceType, reason: a.reason ?? '' });
      for (const f of [...rec.nonCompliant, ...rec.errors]) failures.push({ ...f, info: rec.info });
    }
    acknowledgements.sort((a, b) => a.resource.localeCompare(b.resource) || a.id.localeCompare(b.id));
    stacks.push({ stack, rulesEvaluated: summaries.length, outcomes, rules: summaries, acknowledgements, failures });
  }
  const failures = stacks.reduce((n, s) => n + s.failures.length, 0);
  return {
    packs: [...recorder.packs].sort(),
    passed: failures === 0,
    totals: { stacks: stacks.length, acknowledgements: stacks.reduce((n, s) => n + s.acknowledgements.length, 0), failures },
    stacks,
    unusedAcknowledgements: recorder.unusedAcknowledgements(root),
  };
}

const esc = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');

export function renderComplianceMarkdown(report: ComplianceReport): string {
  const lines: string[] = [];
  lines.push('# Compliance report (cdk-nag)', '');
  lines.push(
    `Packs: ${report.packs.join(', ')}. Result: **${report.passed ? 'PASSED' : 'FAILED'}** ` +
      `(${report.totals.stacks} stacks, ${report.totals.acknowledgements} acknowledged ` +
      `findings, ${report.totals.failures} unacknowledged findings).`,
    '',
  );
  lines.push(
    'A rule is *compliant* when every resource it applies to passes, *acknowledged* ' +
      'when a finding was accepted with the reason shown below, ' +
      '*not applicable* when no resource of the stack is of a type it checks, and ' +
      '*non-compliant* when a finding is not acknowledged (the synth fails).',
    '',
  );
  lines.push('| stack | rules evaluated | compliant | acknowledged | not applicable | non-compliant |', '|---|---:|---:|---:|---:|---:|');
  for (const s of report.stacks) {
    lines.push(
      `| ${s.stack} | ${s.rulesEvaluated} | ${s.outcomes.compliant} | ` +
        `${s.outcomes.acknowledged} | ${s.outcomes['not-applicable']} | ` +
        `${s.outcomes['non-compliant']} |`,
    );
  }
  lines.push('');
  if (report.unusedAcknowledgements.length > 0) {
    lines.push('## Acknowledgements that matched no finding', '', 'Remove or correct them:', '');
    for (const u of report.unusedAcknowledgements) lines.push(`- \`${u.id}\` on \`${u.path}\`: ${esc(u.reason)}`);
    lines.push('');
  }
  for (const s of report.stacks) {
    lines.push(`## ${s.stack}`, '');
    if (s.failures.length > 0) {
      lines.push('### Unacknowledged findings (synth fails)', '', '| finding | resource | problem |', '|---|---|---|');
      for (const f of s.failures) lines.push(`| \`${f.id}\` | \`${f.path}\` | ${esc(f.error ? `rule error: ${f.error}` : f.info)} |`);
      lines.push('');
    }
    lines.push(`### Acknowledged findings (${s.acknowledgements.length})`, '');
    if (s.acknowledgements.length > 0) {
      lines.push('| finding | resource | reason |', '|---|---|---|');
      for (const a of s.acknowledgements) lines.push(`| \`${a.id}\` | \`${a.resource.replace(`${s.stack}/`, '')}\` | ${esc(a.reason)} |`);
    } else {
      lines.push('None.');
    }
    lines.push('');
    lines.push('### Rules evaluated', '', '| rule | outcome | compliant | acknowledged | non-compliant |', '|---|---|---:|---:|---:|');
    for (const r of s.rules.filter((r) => r.outcome !== 'not-applicable')) {
      lines.push(`| ${r.ruleId} | ${r.outcome} | ${r.compliant} | ${r.acknowledged} | ${r.nonCompliant} |`);
    }
    const na = s.rules.filter((r) => r.outcome === 'not-applicable').map((r) => r.ruleId);
    lines.push('', `Not applicable (no resource of a type they check): ${na.length === 0 ? 'none' : na.join(', ')}.`, '');
  }
  return lines.join('\n');
}

/** The header of cdk-nag's classic per-stack CSV report (cdk-nag 2's NagReportLogger). */
export const NAG_CSV_HEADER = 'Rule ID,Resource ID,Compliance,Exception Reason,Rule Level,Rule Info';

const csvField = (s: string) => `"${s.replace(/"/g, '""').replace(/\r?\n/g, ' ')}"`;

/**
 * cdk-nag's classic CSV reports, one per pack and stack (`<Pack>-<stack>-NagReport.csv`), for
 * tools that read them: one line per rule and resource evaluated, with the classic compliance
 * values `Compliant`, `Non-Compliant`, `Suppressed` (acknowledged; the reason in Exception
 * Reason) and `UNKNOWN` (the rule failed to evaluate). Not-applicable evaluations have no line,
 * as in cdk-nag. File name -> content.
 */
export function renderNagCsvReports(recorder: ComplianceRecorder): Map<string, string> {
  const files = new Map<string, string[]>();
  const line = (file: string, cells: string[]) => {
    let lines = files.get(file);
    if (!lines) {
      lines = [NAG_CSV_HEADER];
      files.set(file, lines);
    }
    lines.push(cells.map(csvField).join(','));
  };
  for (const [stack, rules] of [...recorder.stacks.entries()].sort(([a], [b]) => a.localeCompare(b))) {
    for (const rec of [...rules.values()].sort((a, b) => a.ruleId.localeCompare(b.ruleId))) {
      const file = `${rec.pack}-${stack}-NagReport.csv`;
      if (!files.has(file)) files.set(file, [NAG_CSV_HEADER]);
      for (const node of rec.compliantResources) line(file, [rec.ruleId, node.node.path, 'Compliant', 'N/A', rec.level, rec.info]);
      for (const f of rec.nonCompliant) line(file, [f.id, f.path, 'Non-Compliant', 'N/A', rec.level, rec.info]);
      for (const f of rec.acknowledged) line(file, [f.id, f.path, 'Suppressed', f.reason ?? '', rec.level, rec.info]);
      for (const f of rec.errors) line(file, [f.id, f.path, 'UNKNOWN', f.error ?? '', rec.level, rec.info]);
    }
  }
  return new Map([...files.entries()].map(([file, lines]) => [file, `${lines.join('\n')}\n`]));
}

/**
 * Writes `compliance/nag-report.json` and `compliance/nag-report.md` under `outdir`, and with a
 * recorder also the classic CSV reports (`compliance/<Pack>-<stack>-NagReport.csv`).
 */
export function writeComplianceReport(
  report: ComplianceReport,
  outdir: string,
  recorder?: ComplianceRecorder,
): { json: string; markdown: string; csv: string[] } {
  const dir = path.join(outdir, 'compliance');
  fs.mkdirSync(dir, { recursive: true });
  const json = path.join(dir, 'nag-report.json');
  const markdown = path.join(dir, 'nag-report.md');
  fs.writeFileSync(json, `${JSON.stringify(report, null, 2)}\n`);
  fs.writeFileSync(markdown, renderComplianceMarkdown(report));
  const csv: string[] = [];
  if (recorder) {
    for (const [file, content] of renderNagCsvReports(recorder)) {
      const target = path.join(dir, file);
      fs.writeFileSync(target, content);
      csv.push(target);
    }
  }
  return { json, markdown, csv };
}
