import { App, Lazy, Stack, Stage, Validations } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';

/** Minimum length of an acknowledgement reason: a reason must say why *this* resource is fine. */
export const MIN_REASON_LENGTH = 40;

export interface Finding {
  /**
   * The finding id as cdk-nag reports it: a rule id (`AwsSolutions-RDS11`) or a rule id with a
   * finding (`AwsSolutions-IAM5[Resource::*]`). Prefixes and wildcards are not accepted.
   */
  readonly id: string;
  /** Why this specific resource is acceptable, for the security reviewer. */
  readonly reason: string;
}

/** Template metadata key listing the acknowledgements declared in a stack. */
export const ACKNOWLEDGEMENTS_METADATA_KEY = 'clinspark:acknowledgements';

interface DeclaredAcknowledgement {
  readonly path: string;
  readonly id: string;
  readonly reason: string;
}

const declaredByStack = new WeakMap<Stack, DeclaredAcknowledgement[]>();

/**
 * Records an acknowledgement in its stack's template metadata (`Metadata.clinspark:acknowledgements`,
 * sorted by construct path and id), so that adding, removing or rewording one shows in `cdk diff`
 * and in the template a reviewer reads, as cdk-nag 2's `rules_to_suppress` metadata did.
 */
function recordInTemplate(scope: IConstruct, finding: Finding): void {
  const stack = Stack.of(scope);
  let declared = declaredByStack.get(stack);
  if (!declared) {
    const list: DeclaredAcknowledgement[] = [];
    declared = list;
    declaredByStack.set(stack, list);
    const metadata = (stack.templateOptions.metadata ??= {});
    metadata[ACKNOWLEDGEMENTS_METADATA_KEY] = Lazy.any(
      { produce: () => [...list].sort((a, b) => a.path.localeCompare(b.path) || a.id.localeCompare(b.id)).map((a) => ({ ...a })) },
      { omitEmptyArray: true },
    );
  }
  const prefix = `${stack.node.path}/`;
  const path = scope.node.path.startsWith(prefix) ? scope.node.path.slice(prefix.length) : scope.node.path;
  declared.push({ path, id: finding.id, reason: finding.reason.trim() });
}

/**
 * Acknowledges cdk-nag findings on the construct that owns the resource (never on a stack or an
 * app: acknowledgements are at the narrowest scope). Every acknowledgement lands in the reviewer
 * report with its reason, and in its stack's template metadata (visible in `cdk diff`).
 */
export function acknowledge(scope: IConstruct, findings: readonly Finding[]): void {
  if (App.isApp(scope) || Stage.isStage(scope) || Stack.isStack(scope)) {
    throw new Error(
      `${scope.node.path}: acknowledge findings on the construct that owns the ` +
        `resource, not on a ${Stack.isStack(scope) ? 'stack' : 'app'}`,
    );
  }
  for (const f of findings) {
    if (f.reason.trim().length < MIN_REASON_LENGTH) {
      throw new Error(
        `${scope.node.path}: the reason for ${f.id} is too short to be specific ("${f.reason}"); say why this resource is acceptable`,
      );
    }
    if (/\*$/.test(f.id) && !/\[.*\]$/.test(f.id)) {
      throw new Error(`${scope.node.path}: '${f.id}' looks like a wildcard; acknowledge each rule and finding by its full id`);
    }
    Validations.of(scope).acknowledge({ id: f.id, reason: f.reason.trim() });
    recordInTemplate(scope, f);
  }
}

/** The same reason for several packs' versions of one rule (e.g. HIPAA and NIST twins). */
export function sameReason(ids: readonly string[], reason: string): Finding[] {
  return ids.map((id) => ({ id, reason }));
}
