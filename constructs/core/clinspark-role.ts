import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';

export type ClinSparkRoleProps = Omit<iam.RoleProps, 'inlinePolicies'>;

/**
 * An IAM role whose permissions all live in one customer-managed policy of its own: statements
 * added by CDK grants (`secret.grantRead(role)`, `key.grantDecrypt(role)`, ...) land there
 * instead of in an inline policy (HIPAA/NIST IAMNoInlinePolicy) and no AWS managed policy is
 * attached unless the caller says so (AwsSolutions-IAM4). A role that is never granted anything
 * has no policy at all.
 */
export class ClinSparkRole extends iam.Role {
  private readonly policyDescription?: string;
  private managedPermissions?: iam.ManagedPolicy;

  constructor(scope: Construct, id: string, props: ClinSparkRoleProps) {
    super(scope, id, props);
    this.policyDescription = props.description ? `Permissions of: ${props.description}`.slice(0, 1000) : undefined;
  }

  /** The customer-managed policy that holds every statement of this role (created on first use). */
  get permissions(): iam.ManagedPolicy {
    if (!this.managedPermissions) {
      this.managedPermissions = new iam.ManagedPolicy(this, 'Permissions', { description: this.policyDescription });
      this.addManagedPolicy(this.managedPermissions);
    }
    return this.managedPermissions;
  }

  addToPrincipalPolicy(statement: iam.PolicyStatement): iam.AddToPrincipalPolicyResult {
    this.permissions.addStatements(statement);
    return { statementAdded: true, policyDependable: this.permissions };
  }
}
