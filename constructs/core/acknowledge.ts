import { App, Stack, Stage, Validations } from 'aws-cdk-lib';
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

/**
 * Acknowledges cdk-nag findings on the construct that owns the resource (never on a stack or an
 * app: acknowledgements are at the narrowest scope). Every acknowledgement lands in the reviewer
 * report with its reason.
 */
export function acknowledge(scope: IConstruct, findings: readonly Finding[]): void {
  if (App.isApp(scope) || Stage.isStage(scope) || Stack.isStack(scope)) {
    throw new Error(`${scope.node.path}: acknowledge findings on the construct that owns the resource, not on a ${Stack.isStack(scope) ? 'stack' : 'app'}`);
  }
  for (const f of findings) {
    if (f.reason.trim().length < MIN_REASON_LENGTH) {
      throw new Error(`${scope.node.path}: the reason for ${f.id} is too short to be specific ("${f.reason}"); say why this resource is acceptable`);
    }
    if (/\*$/.test(f.id) && !/\[.*\]$/.test(f.id)) {
      throw new Error(`${scope.node.path}: '${f.id}' looks like a wildcard; acknowledge each rule and finding by its full id`);
    }
    Validations.of(scope).acknowledge({ id: f.id, reason: f.reason.trim() });
  }
}

/** The same reason for several packs' versions of one rule (e.g. HIPAA and NIST twins). */
export function sameReason(ids: readonly string[], reason: string): Finding[] {
  return ids.map((id) => ({ id, reason }));
}
