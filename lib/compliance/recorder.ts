/**
 * Records every rule evaluation of the cdk-nag packs (cdk-nag 3 only reports violations), so the
 * reviewer report can list, per stack, every rule evaluated with its outcome and every
 * acknowledgement with its reason.
 */
import { CfnResource, Stack, Validations } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';
import { IApplyRule, NagMessageLevel, NagRuleCompliance } from 'cdk-nag';

export type Outcome = 'compliant' | 'not-applicable' | 'non-compliant' | 'acknowledged' | 'rule-error';

export interface ResourceFinding {
  /** Rule id, with `[finding]` for rules that report several findings per resource. */
  readonly id: string;
  readonly path: string;
  readonly resourceType: string;
  readonly reason?: string;
  readonly error?: string;
}

export interface RuleRecord {
  readonly pack: string;
  readonly ruleId: string;
  readonly info: string;
  readonly explanation: string;
  /** The pack's own level for the rule (the gate raises every finding to an error). */
  readonly level: 'Error' | 'Warning' | 'Info';
  compliant: number;
  /** The resources found compliant (for the classic CSV report; paths are read when it is written). */
  readonly compliantResources: CfnResource[];
  notApplicable: number;
  readonly nonCompliant: ResourceFinding[];
  readonly acknowledged: ResourceFinding[];
  readonly errors: ResourceFinding[];
}

export interface Acknowledgement {
  readonly id: string;
  readonly reason: string;
  /** Construct path where it was declared. */
  readonly path: string;
}

/** Acknowledgements declared on a construct and its ancestors: id -> reason. */
export function acknowledgementsOf(node: IConstruct): Map<string, { reason: string; path: string }> {
  const out = new Map<string, { reason: string; path: string }>();
  let current: IConstruct | undefined = node;
  while (current) {
    for (const entry of current.node.metadata) {
      if (entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY && entry.data) {
        for (const [key, reason] of Object.entries(entry.data as Record<string, string>)) {
          const id = key.replace(/^annotation::/i, '');
          if (!out.has(id)) out.set(id, { reason, path: current.node.path });
        }
      }
    }
    current = current.node.scope;
  }
  return out;
}

export class ComplianceRecorder {
  /** stack name -> rule id -> record */
  readonly stacks = new Map<string, Map<string, RuleRecord>>();
  /** `<path>|<id>` of every acknowledgement that matched a finding. */
  readonly usedAcknowledgements = new Set<string>();
  readonly packs = new Set<string>();

  private record(stack: string, pack: string, params: IApplyRule, ruleId: string): RuleRecord {
    let rules = this.stacks.get(stack);
    if (!rules) {
      rules = new Map();
      this.stacks.set(stack, rules);
    }
    let rec = rules.get(ruleId);
    if (!rec) {
      const level = params.level === NagMessageLevel.WARN ? 'Warning' : params.level === NagMessageLevel.INFO ? 'Info' : 'Error';
      rec = {
        pack,
        ruleId,
        info: params.info,
        explanation: params.explanation,
        level,
        compliant: 0,
        compliantResources: [],
        notApplicable: 0,
        nonCompliant: [],
        acknowledged: [],
        errors: [],
      };
      rules.set(ruleId, rec);
    }
    return rec;
  }

  private classify(node: CfnResource, id: string): ResourceFinding & { acknowledged: boolean } {
    const acks = acknowledgementsOf(node);
    const ack = acks.get(id);
    if (ack) this.usedAcknowledgements.add(`${ack.path}|${id}`);
    return { id, path: node.node.path, resourceType: node.cfnResourceType, reason: ack?.reason, acknowledged: ack !== undefined };
  }

  /**
   * Wraps a pack's rule so that its outcome is recorded. Every finding is raised to ERROR level,
   * so that a warning-level finding also fails the synth unless it is acknowledged.
   */
  wrap(pack: string, params: IApplyRule): IApplyRule {
    this.packs.add(pack);
    const ruleName = params.rule.name;
    const original = (node: CfnResource) => params.rule(node);
    const ruleId = `${pack}-${params.ruleSuffixOverride ?? ruleName}`;
    const wrapped = (node: CfnResource) => {
      const rec = this.record(Stack.of(node).stackName, pack, params, ruleId);
      let result;
      try {
        result = original(node);
      } catch (e) {
        const f = this.classify(node, ruleId);
        if (f.acknowledged) rec.acknowledged.push(f);
        else rec.errors.push({ ...f, error: (e as Error).message });
        throw e;
      }
      if (result === NagRuleCompliance.COMPLIANT || (Array.isArray(result) && result.length === 0)) {
        rec.compliant++;
        rec.compliantResources.push(node);
      } else if (result === NagRuleCompliance.NOT_APPLICABLE) rec.notApplicable++;
      else {
        const ids = Array.isArray(result) ? result.map((finding) => `${ruleId}[${finding}]`) : [ruleId];
        for (const id of ids) {
          const f = this.classify(node, id);
          const { acknowledged, ...finding } = f;
          (acknowledged ? rec.acknowledged : rec.nonCompliant).push(finding);
        }
      }
      return result;
    };
    Object.defineProperty(wrapped, 'name', { value: ruleName });
    return { ...params, rule: wrapped, level: NagMessageLevel.ERROR };
  }

  /** Every acknowledgement declared in the tree that matched no finding (stale or mistyped). */
  unusedAcknowledgements(root: IConstruct): Acknowledgement[] {
    const out: Acknowledgement[] = [];
    // Only acknowledgements of the packs run here: CDK itself acknowledges some findings of its
    // built-in CloudFormation validator, which are not ours to judge.
    const prefixes = [...this.packs].map((p) => `${p}-`);
    for (const c of root.node.findAll()) {
      for (const entry of c.node.metadata) {
        if (entry.type !== Validations.ACKNOWLEDGED_RULES_METADATA_KEY || !entry.data) continue;
        for (const [key, reason] of Object.entries(entry.data as Record<string, string>)) {
          const id = key.replace(/^annotation::/i, '');
          if (!prefixes.some((p) => id.startsWith(p))) continue;
          if (!this.usedAcknowledgements.has(`${c.node.path}|${id}`)) out.push({ id, reason, path: c.node.path });
        }
      }
    }
    return out;
  }

  /** Findings that fail the synth. */
  failures(): Array<ResourceFinding & { stack: string }> {
    const out: Array<ResourceFinding & { stack: string }> = [];
    for (const [stack, rules] of this.stacks) {
      for (const rec of rules.values()) for (const f of [...rec.nonCompliant, ...rec.errors]) out.push({ ...f, stack });
    }
    return out;
  }
}
