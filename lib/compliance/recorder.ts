/**
 * Records every rule evaluation of the cdk-nag packs (cdk-nag 3 only reports violations), so the
 * reviewer report can list, per stack, every rule evaluated with its outcome and every
 * acknowledgement with its reason.
 */
import { CfnResource, Stack, Validations } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';
import { IApplyRule, NagMessageLevel, NagRuleCompliance, NagRuleResult } from 'cdk-nag';

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

type Rule = (node: CfnResource) => NagRuleResult;
type RuleResult = NagRuleResult;

/**
 * The rule function of a pack's rule, as the value it is (cdk-nag's IApplyRule declares the
 * callback as a method; its rules are plain functions of the resource).
 */
// eslint-disable-next-line @typescript-eslint/unbound-method
const ruleOf = (params: IApplyRule): Rule => params.rule;

/** One rule of one pack, wrapped once (not once per resource): its id, its record per stack, the rule that records. */
interface WrappedRule {
  readonly ruleId: string;
  readonly rule: Rule;
}

export class ComplianceRecorder {
  /** stack name -> rule id -> record */
  readonly stacks = new Map<string, Map<string, RuleRecord>>();
  /** `<path>|<id>` of every acknowledgement that matched a finding. */
  readonly usedAcknowledgements = new Set<string>();
  readonly packs = new Set<string>();

  /** pack -> rule function -> rule suffix -> the wrapped rule. */
  private readonly wrapped = new Map<string, Map<Rule, Map<string, WrappedRule>>>();
  /**
   * Results of the rules that apply to a resource (not-applicable results are cheap and not kept),
   * by rule function: the packs share many rule functions (HIPAA and NIST 800-53 call the same
   * `RDSStorageEncrypted` as AwsSolutions' RDS2), and a rule is a pure function of the resource,
   * so each applicable (rule, resource) pair is evaluated once for all packs.
   */
  private readonly results = new Map<Rule, WeakMap<CfnResource, { result?: RuleResult; error?: unknown }>>();
  /** The rule functions used by more than one pack or rule id (the only ones worth remembering). */
  private readonly ruleUses = new Map<Rule, Set<string>>();
  private readonly acks = new WeakMap<IConstruct, Map<string, { reason: string; path: string }>>();
  /** The records of the stack of the last resource evaluated (a pack evaluates every rule on one resource in a row). */
  private lastNode?: CfnResource;
  private lastRules?: Map<string, RuleRecord>;

  private rulesOf(node: CfnResource): Map<string, RuleRecord> {
    if (node === this.lastNode && this.lastRules) return this.lastRules;
    const stack = Stack.of(node).stackName;
    let rules = this.stacks.get(stack);
    if (!rules) {
      rules = new Map();
      this.stacks.set(stack, rules);
    }
    this.lastNode = node;
    this.lastRules = rules;
    return rules;
  }

  private record(node: CfnResource, pack: string, params: IApplyRule, ruleId: string): RuleRecord {
    const rules = this.rulesOf(node);
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

  private acknowledgementsOf(node: CfnResource): Map<string, { reason: string; path: string }> {
    let acks = this.acks.get(node);
    if (!acks) {
      acks = acknowledgementsOf(node);
      this.acks.set(node, acks);
    }
    return acks;
  }

  private classify(node: CfnResource, id: string): ResourceFinding & { acknowledged: boolean } {
    const ack = this.acknowledgementsOf(node).get(id);
    if (ack) this.usedAcknowledgements.add(`${ack.path}|${id}`);
    return { id, path: node.node.path, resourceType: node.cfnResourceType, reason: ack?.reason, acknowledged: ack !== undefined };
  }

  /** The rule's result on a resource, evaluated once for every pack that shares the rule function. */
  private evaluate(rule: Rule, node: CfnResource): RuleResult {
    if ((this.ruleUses.get(rule)?.size ?? 0) < 2) return rule(node);
    let byNode = this.results.get(rule);
    if (!byNode) {
      byNode = new WeakMap();
      this.results.set(rule, byNode);
    }
    const known = byNode.get(node);
    if (known) {
      if ('error' in known) throw known.error;
      return known.result as RuleResult;
    }
    let result: RuleResult;
    try {
      result = rule(node);
    } catch (error) {
      byNode.set(node, { error });
      throw error;
    }
    if (result !== NagRuleCompliance.NOT_APPLICABLE) byNode.set(node, { result });
    return result;
  }

  private wrappedRule(pack: string, params: IApplyRule): WrappedRule {
    let byRule = this.wrapped.get(pack);
    if (!byRule) {
      byRule = new Map();
      this.wrapped.set(pack, byRule);
    }
    const original = ruleOf(params);
    let bySuffix = byRule.get(original);
    if (!bySuffix) {
      bySuffix = new Map();
      byRule.set(original, bySuffix);
    }
    const ruleName = original.name;
    const suffix = params.ruleSuffixOverride ?? ruleName;
    const known = bySuffix.get(suffix);
    if (known) return known;
    const ruleId = `${pack}-${suffix}`;
    let uses = this.ruleUses.get(original);
    if (!uses) {
      uses = new Set();
      this.ruleUses.set(original, uses);
    }
    uses.add(ruleId);
    const wrapped = (node: CfnResource) => {
      const rec = this.record(node, pack, params, ruleId);
      let result;
      try {
        result = this.evaluate(original, node);
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
    const entry = { ruleId, rule: wrapped };
    bySuffix.set(suffix, entry);
    return entry;
  }

  /**
   * Wraps a pack's rule so that its outcome is recorded. Every finding is raised to ERROR level,
   * so that a warning-level finding also fails the synth unless it is acknowledged. The wrapper
   * is made once per pack and rule (a pack applies every rule to every resource).
   */
  wrap(pack: string, params: IApplyRule): IApplyRule {
    this.packs.add(pack);
    const { rule } = this.wrappedRule(pack, params);
    return {
      ruleSuffixOverride: params.ruleSuffixOverride,
      info: params.info,
      explanation: params.explanation,
      level: NagMessageLevel.ERROR,
      rule,
      node: params.node,
    };
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
