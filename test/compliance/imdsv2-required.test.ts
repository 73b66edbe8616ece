import { App, CfnResource, Stack, Validations } from 'aws-cdk-lib';
import * as autoscaling from 'aws-cdk-lib/aws-autoscaling';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { NagRuleCompliance } from 'cdk-nag';
import { imdsv2Required } from '../../lib/compliance/rules/imdsv2-required';
import { testStack as sharedTestStack } from '../support/test-stack';

function testStack(): Stack {
  return sharedTestStack('Imdsv2Test', { region: 'eu-central-1' });
}

const AMI = 'ami-0123456789abcdef0';

describe('ClinSpark-Imdsv2Required', () => {
  test.each<[string, (stack: Stack) => CfnResource, NagRuleCompliance]>([
    // compliant
    [
      'an instance with HttpTokens required',
      (s) => new ec2.CfnInstance(s, 'I', { imageId: AMI, metadataOptions: { httpTokens: 'required' } }),
      NagRuleCompliance.COMPLIANT,
    ],
    [
      'an instance with the metadata endpoint disabled',
      (s) => new ec2.CfnInstance(s, 'I', { imageId: AMI, metadataOptions: { httpEndpoint: 'disabled' } }),
      NagRuleCompliance.COMPLIANT,
    ],
    [
      'an instance whose launch template (by id) requires tokens',
      (s) => {
        const lt = new ec2.CfnLaunchTemplate(s, 'LT', { launchTemplateData: { metadataOptions: { httpTokens: 'required' } } });
        return new ec2.CfnInstance(s, 'I', {
          imageId: AMI,
          launchTemplate: { launchTemplateId: lt.ref, version: lt.attrLatestVersionNumber },
        });
      },
      NagRuleCompliance.COMPLIANT,
    ],
    [
      'an L2 instance with requireImdsv2 (launch template by name)',
      (s) => {
        const vpc = new ec2.Vpc(s, 'Vpc', {
          maxAzs: 1,
          natGateways: 0,
          subnetConfiguration: [{ name: 'p', subnetType: ec2.SubnetType.PUBLIC }],
        });
        const instance = new ec2.Instance(s, 'I', {
          vpc,
          instanceType: new ec2.InstanceType('t4g.nano'),
          machineImage: ec2.MachineImage.genericLinux({ 'eu-central-1': AMI }),
          requireImdsv2: true,
        });
        // A literal AMI id is this rule's test input, not a portability problem.
        Validations.of(instance).acknowledge({ id: 'CloudFormation-Validate::W9010', reason: 'test input: a literal AMI id' });
        App.of(s)!.synth(); // the aspect that adds the launch template runs at synth
        return instance.instance;
      },
      NagRuleCompliance.COMPLIANT,
    ],
    [
      'a launch template with HttpTokens required',
      (s) => new ec2.CfnLaunchTemplate(s, 'LT', { launchTemplateData: { metadataOptions: { httpTokens: 'required' } } }),
      NagRuleCompliance.COMPLIANT,
    ],
    [
      'a launch configuration with HttpTokens required',
      (s) =>
        new autoscaling.CfnLaunchConfiguration(s, 'LC', {
          imageId: AMI,
          instanceType: 't4g.nano',
          metadataOptions: { httpTokens: 'required' },
        }),
      NagRuleCompliance.COMPLIANT,
    ],
    // non-compliant
    ['an instance without metadata options', (s) => new ec2.CfnInstance(s, 'I', { imageId: AMI }), NagRuleCompliance.NON_COMPLIANT],
    [
      'an instance with HttpTokens optional',
      (s) => new ec2.CfnInstance(s, 'I', { imageId: AMI, metadataOptions: { httpTokens: 'optional' } }),
      NagRuleCompliance.NON_COMPLIANT,
    ],
    [
      'an instance whose HttpTokens is overridden to optional by an escape hatch',
      (s) => {
        const i = new ec2.CfnInstance(s, 'I', { imageId: AMI, metadataOptions: { httpTokens: 'required' } });
        i.addPropertyOverride('MetadataOptions.HttpTokens', 'optional');
        return i;
      },
      NagRuleCompliance.NON_COMPLIANT,
    ],
    [
      'an instance that says optional although its launch template requires tokens (the instance wins)',
      (s) => {
        const lt = new ec2.CfnLaunchTemplate(s, 'LT', { launchTemplateData: { metadataOptions: { httpTokens: 'required' } } });
        return new ec2.CfnInstance(s, 'I', {
          imageId: AMI,
          metadataOptions: { httpTokens: 'optional' },
          launchTemplate: { launchTemplateId: lt.ref, version: '1' },
        });
      },
      NagRuleCompliance.NON_COMPLIANT,
    ],
    [
      'an instance whose launch template does not require tokens',
      (s) => {
        const lt = new ec2.CfnLaunchTemplate(s, 'LT', { launchTemplateData: { instanceType: 't4g.nano' } });
        return new ec2.CfnInstance(s, 'I', { imageId: AMI, launchTemplate: { launchTemplateId: lt.attrLaunchTemplateId, version: '1' } });
      },
      NagRuleCompliance.NON_COMPLIANT,
    ],
    [
      'an instance whose launch template is outside the stack (cannot be checked)',
      (s) => new ec2.CfnInstance(s, 'I', { imageId: AMI, launchTemplate: { launchTemplateName: 'somewhere-else', version: '1' } }),
      NagRuleCompliance.NON_COMPLIANT,
    ],
    [
      'a launch template without metadata options',
      (s) => new ec2.CfnLaunchTemplate(s, 'LT', { launchTemplateData: { instanceType: 't4g.nano' } }),
      NagRuleCompliance.NON_COMPLIANT,
    ],
    [
      'a launch configuration with HttpTokens optional',
      (s) =>
        new autoscaling.CfnLaunchConfiguration(s, 'LC', {
          imageId: AMI,
          instanceType: 't4g.nano',
          metadataOptions: { httpTokens: 'optional' },
        }),
      NagRuleCompliance.NON_COMPLIANT,
    ],
    // not applicable
    ['a bucket', (s) => new s3.CfnBucket(s, 'B'), NagRuleCompliance.NOT_APPLICABLE],
  ])('%s', (_name, make, expected) => {
    // GIVEN
    const node = make(testStack());
    // WHEN / THEN
    expect(imdsv2Required(node)).toBe(expected);
  });
});
