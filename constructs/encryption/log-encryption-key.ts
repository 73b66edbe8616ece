import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';

export interface LogEncryptionKeyProps {
  /** Shown in the KMS console. */
  readonly description: string;
  /**
   * What happens to the key when it leaves the stack. Keep it (RETAIN) wherever the logs it
   * encrypts are retained: deleted key material makes them unreadable.
   */
  readonly removalPolicy: RemovalPolicy;
}

/**
 * A customer-managed KMS key (rotation on) that CloudWatch Logs may use for the log groups of
 * this account and region only (the key policy pins the encryption context to them).
 */
export class LogEncryptionKey extends Construct {
  readonly key: kms.Key;

  constructor(scope: Construct, id: string, props: LogEncryptionKeyProps) {
    super(scope, id);
    const stack = Stack.of(this);
    this.key = new kms.Key(this, 'Key', {
      description: props.description,
      enableKeyRotation: true,
      removalPolicy: props.removalPolicy,
      pendingWindow: Duration.days(30),
    });
    this.key.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AllowCloudWatchLogsOfThisAccount',
        principals: [new iam.ServicePrincipal(`logs.${stack.region}.amazonaws.com`)],
        actions: ['kms:Encrypt*', 'kms:Decrypt*', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:Describe*'],
        resources: ['*'],
        conditions: {
          ArnLike: { 'kms:EncryptionContext:aws:logs:arn': `arn:${stack.partition}:logs:${stack.region}:${stack.account}:log-group:*` },
        },
      }),
    );
  }
}
