import { Arn, ArnComponents, ArnFormat, Token } from 'aws-cdk-lib';

/** An IAM user or role, read from its ARN. */
export interface IamPrincipalArn {
  /** `aws`, `aws-cn`, `aws-us-gov`, ... */
  readonly partition: string;
  /** The 12-digit account. */
  readonly account: string;
  readonly kind: 'user' | 'role';
  /** Path and name, e.g. `bi/collector`. */
  readonly name: string;
}

const PARTITION = /^aws[a-z-]*$/;
const ACCOUNT = /^\d{12}$/;
/** IAM path and name characters (IAM User Guide, "IAM identifiers"). */
const PATH_AND_NAME = /^[\w+=,.@/-]+$/;

/**
 * An IAM user or role ARN (`arn:<partition>:iam::<account>:user/<path/name>`), split by
 * aws-cdk-lib's `Arn.split`; undefined for a token, another kind of ARN or no ARN at all.
 */
export function parseIamPrincipalArn(arn: string): IamPrincipalArn | undefined {
  if (Token.isUnresolved(arn)) return undefined;
  let c: ArnComponents;
  try {
    c = Arn.split(arn, ArnFormat.SLASH_RESOURCE_NAME);
  } catch {
    return undefined;
  }
  const { partition = '', account = '', resource, resourceName = '' } = c;
  if (!PARTITION.test(partition) || c.service !== 'iam' || c.region !== '' || !ACCOUNT.test(account)) return undefined;
  if ((resource !== 'user' && resource !== 'role') || !PATH_AND_NAME.test(resourceName)) return undefined;
  return { partition, account, kind: resource, name: resourceName };
}
