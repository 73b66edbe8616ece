import { CfnOutput, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';

/** Where alarm notifications go: an e-mail address or an HTTPS endpoint (paging and chat integrations). */
export type AlarmSubscription = { readonly email: string } | { readonly https: string };

export interface AlarmTopicProps {
  /**
   * Every alarm that publishes to the topic is named `<alarmNamePrefix>...`: the key and topic
   * policies admit CloudWatch for alarms of this account, region and prefix only.
   */
  readonly alarmNamePrefix: string;
  /** Who is notified of the environment's alarms. */
  readonly subscriptions: readonly AlarmSubscription[];
  /** Shown in the KMS and SNS consoles. */
  readonly description: string;
  /** The key: nothing stored depends on it (SNS keeps no messages), so destroying it loses nothing. */
  readonly removalPolicy: RemovalPolicy;
}

/**
 * The alarm topic of one environment: an SNS topic encrypted with a customer-managed key of its
 * own (rotation on) and the environment's subscriptions.
 *
 * CloudWatch publishes to an encrypted topic only if the key policy lets
 * `cloudwatch.amazonaws.com` call kms:Decrypt and kms:GenerateDataKey* on it; without that the
 * alarm's action fails silently ("Enable compatibility between event sources from AWS services and
 * encrypted topics", https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html#compatibility-with-aws-services),
 * and CDK does not add it. Both that statement and the topic policy's sns:Publish statement are
 * scoped with aws:SourceAccount and aws:SourceArn to this account's alarms named with the prefix
 * (the confused-deputy conditions of https://docs.aws.amazon.com/sns/latest/dg/sns-access-policy-use-cases.html).
 */
export class AlarmTopic extends Construct {
  readonly key: kms.Key;
  readonly topic: sns.Topic;
  /** `arn:<partition>:cloudwatch:<region>:<account>:alarm:<prefix>*`: the alarms admitted. */
  readonly alarmArnPattern: string;

  constructor(scope: Construct, id: string, props: AlarmTopicProps) {
    super(scope, id);
    const stack = Stack.of(this);
    // Alarm ARN format: arn:aws:cloudwatch:Region:account-id:alarm:alarm-name
    // (https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazoncloudwatch.html#amazoncloudwatch-resources-for-iam-policies).
    this.alarmArnPattern = `arn:${stack.partition}:cloudwatch:${stack.region}:${stack.account}:alarm:${props.alarmNamePrefix}*`;
    const fromOwnAlarms = {
      StringEquals: { 'aws:SourceAccount': stack.account },
      ArnLike: { 'aws:SourceArn': this.alarmArnPattern },
    };

    this.key = new kms.Key(this, 'Key', {
      description: `${props.description}: alarm notifications (SNS)`,
      enableKeyRotation: true,
      removalPolicy: props.removalPolicy,
      pendingWindow: Duration.days(7),
    });
    this.key.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AllowCloudWatchAlarmsOfThisEnvironment',
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'],
        conditions: fromOwnAlarms,
      }),
    );

    this.topic = new sns.Topic(this, 'Topic', {
      displayName: props.description.slice(0, 100),
      masterKey: this.key,
      enforceSSL: true,
    });
    // A topic policy replaces the default one (which let the account's principals publish), so
    // CloudWatch is admitted explicitly.
    this.topic.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AllowCloudWatchAlarmsOfThisEnvironment',
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['sns:Publish'],
        resources: [this.topic.topicArn],
        conditions: fromOwnAlarms,
      }),
    );
    props.subscriptions.forEach((s) => {
      this.topic.addSubscription(
        'email' in s
          ? new subscriptions.EmailSubscription(s.email)
          : new subscriptions.UrlSubscription(s.https, { protocol: sns.SubscriptionProtocol.HTTPS }),
      );
    });
    new CfnOutput(this, 'AlarmTopicArn', {
      value: this.topic.topicArn,
      description:
        'Alarm notifications of this environment (subscribe chat integrations, e.g. Amazon Q Developer in chat applications, to it)',
    });
  }
}
