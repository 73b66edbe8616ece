import { Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';

/** kms actions on a secret's key, only when Secrets Manager makes the call. */
function grantKeyThroughSecretsManager(
  secret: secretsmanager.ISecret,
  key: kms.IKey,
  grantee: iam.IGrantable,
  actions: string[],
): iam.Grant {
  return iam.Grant.addToPrincipal({
    grantee,
    actions,
    resourceArns: [key.keyArn],
    conditions: { StringEquals: { 'kms:ViaService': `secretsmanager.${Stack.of(secret).region}.amazonaws.com` } },
  });
}

/**
 * Lets a principal read one KMS-encrypted secret: GetSecretValue/DescribeSecret on the secret and
 * kms:Decrypt on its key, only through Secrets Manager. Unlike `secret.grantRead`, nothing is
 * written into the key policy (aws-cdk-lib 2.276 adds the grantee there as well), so the key
 * never depends on the grantee: no circular dependency inside a stack and no reference from a
 * data stack back to an app stack.
 */
export function grantSecretRead(secret: secretsmanager.ISecret, key: kms.IKey, grantee: iam.IGrantable): iam.Grant {
  return iam.Grant.addToPrincipal({
    grantee,
    actions: ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret'],
    resourceArns: [secret.secretArn],
  }).combine(grantKeyThroughSecretsManager(secret, key, grantee, ['kms:Decrypt']));
}

/** Like grantSecretRead, plus writing new versions (the handler rotates the value itself). */
export function grantSecretReadWrite(secret: secretsmanager.ISecret, key: kms.IKey, grantee: iam.IGrantable): iam.Grant {
  return grantSecretRead(secret, key, grantee)
    .combine(
      iam.Grant.addToPrincipal({
        grantee,
        actions: ['secretsmanager:PutSecretValue', 'secretsmanager:UpdateSecretVersionStage'],
        resourceArns: [secret.secretArn],
      }),
    )
    .combine(grantKeyThroughSecretsManager(secret, key, grantee, ['kms:GenerateDataKey', 'kms:Encrypt']));
}
