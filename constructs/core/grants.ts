import { Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';

/**
 * Lets a principal read one KMS-encrypted secret: GetSecretValue/DescribeSecret on the secret and
 * kms:Decrypt on its key, only through Secrets Manager. Unlike `secret.grantRead`, nothing is
 * written into the key policy (aws-cdk-lib 2.276 adds the grantee there as well), so the key
 * never depends on the grantee: no circular dependency inside a stack and no reference from a
 * data stack back to an app stack.
 */
export function grantSecretRead(secret: secretsmanager.ISecret, key: kms.IKey, grantee: iam.IGrantable): void {
  const region = Stack.of(secret).region;
  grantee.grantPrincipal.addToPrincipalPolicy(
    new iam.PolicyStatement({
      actions: ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret'],
      resources: [secret.secretArn],
    }),
  );
  grantee.grantPrincipal.addToPrincipalPolicy(
    new iam.PolicyStatement({
      actions: ['kms:Decrypt'],
      resources: [key.keyArn],
      conditions: { StringEquals: { 'kms:ViaService': `secretsmanager.${region}.amazonaws.com` } },
    }),
  );
}

/** Like grantSecretRead, plus writing new versions (the handler rotates the value itself). */
export function grantSecretReadWrite(secret: secretsmanager.ISecret, key: kms.IKey, grantee: iam.IGrantable): void {
  grantSecretRead(secret, key, grantee);
  const region = Stack.of(secret).region;
  grantee.grantPrincipal.addToPrincipalPolicy(
    new iam.PolicyStatement({
      actions: ['secretsmanager:PutSecretValue', 'secretsmanager:UpdateSecretVersionStage'],
      resources: [secret.secretArn],
    }),
  );
  grantee.grantPrincipal.addToPrincipalPolicy(
    new iam.PolicyStatement({
      actions: ['kms:GenerateDataKey', 'kms:Encrypt'],
      resources: [key.keyArn],
      conditions: { StringEquals: { 'kms:ViaService': `secretsmanager.${region}.amazonaws.com` } },
    }),
  );
}
