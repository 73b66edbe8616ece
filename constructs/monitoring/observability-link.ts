import * as oam from 'aws-cdk-lib/aws-oam';
import { Construct } from 'constructs';

export interface ObservabilityLinkProps {
  /** The vendor monitoring account's sink, `arn:aws:oam:<region>:<account>:sink/<id>`. */
  readonly sinkArn: string;
  /** Label the monitoring account shows for this source account. */
  readonly label: string;
}

/**
 * CloudWatch cross-account observability: links this (source) account to the vendor's
 * monitoring account sink, sharing metrics and log groups
 * (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch-Unified-Cross-Account.html;
 * resource types `AWS::CloudWatch::Metric` and `AWS::Logs::LogGroup`, AWS::Oam::Link,
 * https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-oam-link.html).
 * The sink and its policy (which source accounts may link) live in the monitoring account, outside
 * this fleet. "Each source account can be linked to as many as five monitoring accounts"
 * (https://docs.aws.amazon.com/OAM/latest/APIReference/API_CreateLink.html): one link per account
 * and sink, so the fleet creates it in one environment of each owner (lib/environments.ts).
 */
export class ObservabilityLink extends Construct {
  readonly link: oam.CfnLink;

  constructor(scope: Construct, id: string, props: ObservabilityLinkProps) {
    super(scope, id);
    this.link = new oam.CfnLink(this, 'Link', {
      sinkIdentifier: props.sinkArn,
      resourceTypes: ['AWS::CloudWatch::Metric', 'AWS::Logs::LogGroup'],
      labelTemplate: props.label,
    });
  }
}
