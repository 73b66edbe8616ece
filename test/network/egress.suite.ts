/**
 * No function, provider framework or secret rotation of any environment has an HTTPS path to the
 * internet: every VPC has interface endpoints for the AWS APIs they call, and their security
 * groups send HTTPS to those endpoints and to S3's gateway endpoint (prefix list) only.
 */
import { mockClient } from 'aws-sdk-client-mock';
import { DescribeManagedPrefixListsCommand, EC2Client } from '@aws-sdk/client-ec2';
import { INTERFACE_ENDPOINT_SERVICES } from '../../constructs/network/clinspark-network';
import { buildTestFleet } from '../support/fleet';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const prefixListHandler = require('../../constructs/network/s3-prefix-list-handler/index.js') as {
  handler(event: unknown, client?: EC2Client): Promise<unknown>;
};

type Resource = { Type: string; Properties: Record<string, any>; Metadata?: Record<string, unknown> };

const fleet = buildTestFleet();
const dataStacks = [...fleet.stacks.keys()].filter((n) => n.endsWith('-data') || n.endsWith('-replica'));

function resources(stack: string): Record<string, Resource> {
  return fleet.template(stack).toJSON().Resources as Record<string, Resource>;
}

/** Every egress rule of a security group: inline and as separate resources. */
function egressOf(all: Record<string, Resource>, groupId: string): Array<Record<string, any>> {
  const inline = (all[groupId].Properties.SecurityGroupEgress ?? []) as Array<Record<string, any>>;
  const separate = Object.values(all)
    .filter((r) => r.Type === 'AWS::EC2::SecurityGroupEgress' && JSON.stringify(r.Properties.GroupId).includes(`"${groupId}"`))
    .map((r) => r.Properties);
  return [...inline, ...separate];
}

describe('AWS API egress of every environment', () => {
  test.each(dataStacks.filter((n) => n.endsWith('-data')))(
    '%s: interface endpoints with private DNS for every AWS API its functions call, reachable from inside the VPC only',
    (stack) => {
      const all = resources(stack);
      const endpoints = Object.values(all).filter(
        (r) => r.Type === 'AWS::EC2::VPCEndpoint' && r.Properties.VpcEndpointType === 'Interface',
      );
      const services = endpoints.map((e) => String(e.Properties.ServiceName).split('.').slice(3).join('.')).sort();
      expect(services).toEqual(['ecr.api', 'ecr.dkr', 'kms', 'lambda', 'logs', 'rds', 'secretsmanager', 'states', 'sts']);
      expect(services).toHaveLength(INTERFACE_ENDPOINT_SERVICES.length);
      for (const e of endpoints) expect(e.Properties.PrivateDnsEnabled).toBe(true);
      const groupIds = new Set(
        endpoints.flatMap((e) => e.Properties.SecurityGroupIds.map((g: { 'Fn::GetAtt': string[] }) => g['Fn::GetAtt'][0])),
      );
      expect(groupIds.size).toBe(1);
      const group = all[[...groupIds][0]];
      expect(group.Properties.SecurityGroupIngress).toEqual([
        { CidrIp: '10.40.0.0/16', IpProtocol: 'tcp', FromPort: 443, ToPort: 443, Description: 'HTTPS to AWS APIs from inside the VPC' },
      ]);
      expect(
        Object.values(all).some(
          (r) => r.Type === 'Custom::ClinSparkManagedPrefixList' && /^com\.amazonaws\.[a-z0-9-]+\.s3$/.test(r.Properties.PrefixListName),
        ),
      ).toBe(true);
    },
  );

  test.each(dataStacks)('%s: no Lambda, provider framework or rotation security group has egress to 0.0.0.0/0 or ::/0', (stack) => {
    const all = resources(stack);
    const groups = Object.entries(all).filter(
      ([, r]) => r.Type === 'AWS::EC2::SecurityGroup' && /\(Lambda\)|framework|rotation/i.test(String(r.Properties.GroupDescription)),
    );
    expect(groups.length).toBeGreaterThan(2);
    for (const [id] of groups) {
      const egress = egressOf(all, id);
      expect(egress.length).toBeGreaterThan(0);
      for (const rule of egress) {
        expect(rule.CidrIp).not.toBe('0.0.0.0/0');
        expect(rule.CidrIpv6).not.toBe('::/0');
        if (rule.FromPort === 443) expect(rule.DestinationSecurityGroupId ?? rule.DestinationPrefixListId).toBeDefined();
      }
      const https = egress.filter((r) => r.FromPort === 443);
      expect(https.some((r) => r.DestinationPrefixListId)).toBe(true);
    }
  });

  test('the hosted rotation functions get security groups of ours (not the default allow-all one)', () => {
    const all = resources('clinspark-northwind-prod-data');
    const schedules = Object.values(all).filter(
      (r) => r.Type === 'AWS::SecretsManager::RotationSchedule' && r.Properties.HostedRotationLambda,
    );
    expect(schedules.length).toBe(4);
    for (const s of schedules) {
      const id = s.Properties.HostedRotationLambda.VpcSecurityGroupIds['Fn::GetAtt'][0] as string;
      expect(all[id].Properties.GroupDescription).toMatch(/rotation \(Secrets Manager hosted rotation\)$/);
      for (const rule of egressOf(all, id)) expect(rule.CidrIp).toBeUndefined();
    }
  });
});

describe('the managed prefix list look-up', () => {
  const ec2 = mockClient(EC2Client);
  beforeEach(() => ec2.reset());

  test('returns the id of the AWS-managed list of that name', async () => {
    ec2
      .on(DescribeManagedPrefixListsCommand, { Filters: [{ Name: 'prefix-list-name', Values: ['com.amazonaws.eu-west-1.s3'] }] })
      .resolves({
        PrefixLists: [{ PrefixListName: 'com.amazonaws.eu-west-1.s3', PrefixListId: 'pl-6da54004', OwnerId: 'AWS' }],
      });
    await expect(
      prefixListHandler.handler(
        { RequestType: 'Create', ResourceProperties: { PrefixListName: 'com.amazonaws.eu-west-1.s3' } },
        new EC2Client({ region: 'eu-west-1' }),
      ),
    ).resolves.toEqual({
      PhysicalResourceId: 'pl-6da54004',
      Data: { PrefixListId: 'pl-6da54004' },
    });
  });

  test('refuses a customer-managed list of the same name, and a missing one', async () => {
    ec2
      .on(DescribeManagedPrefixListsCommand)
      .resolves({ PrefixLists: [{ PrefixListName: 'com.amazonaws.eu-west-1.s3', PrefixListId: 'pl-0123', OwnerId: '123456789012' }] });
    await expect(
      prefixListHandler.handler(
        { RequestType: 'Update', ResourceProperties: { PrefixListName: 'com.amazonaws.eu-west-1.s3' } },
        new EC2Client({ region: 'eu-west-1' }),
      ),
    ).rejects.toThrow(/no AWS-managed prefix list named com.amazonaws.eu-west-1.s3/);
  });

  test('a delete calls nothing; a malformed name is refused', async () => {
    await expect(prefixListHandler.handler({ RequestType: 'Delete', ResourceProperties: {} })).resolves.toEqual({});
    await expect(prefixListHandler.handler({ RequestType: 'Create', ResourceProperties: { PrefixListName: 'pl-123' } })).rejects.toThrow(
      /must be an AWS-managed prefix list name/,
    );
    expect(ec2.calls()).toHaveLength(0);
  });
});
