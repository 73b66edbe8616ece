/**
 * The example fleet as stacks: names, accounts/regions, availability zones from configuration
 * (no look-ups), the three clinspark:* tags on every stack and resource, termination protection
 * from the catalog, and the one-way data <- app dependency.
 */
import { Stack } from 'aws-cdk-lib';
import { CATALOG } from '../../lib/catalog';
import { TAG_CHANGE_CONTROLLED, TAG_CUSTOMER, TAG_ENVIRONMENT } from '../../lib/environments';
import { buildTestFleet } from '../support/fleet';

const fleet = buildTestFleet();

describe('one owner built alone (cdk synth -c customer=<slug>, synth:sharded)', () => {
  test.each(['northwind', 'acme'])('%s: the same templates as in the whole fleet, the vendor on-call subscriptions included', (slug) => {
    const alone = buildTestFleet({ customers: [slug], platform: false, validate: false });
    const names = [...alone.stacks.keys()];
    expect(names.length).toBeGreaterThan(0);
    expect(names.every((n) => n.startsWith(`clinspark-${slug}-`))).toBe(true);
    expect(names.filter((n) => JSON.stringify(alone.template(n).toJSON()).includes('clinspark-oncall@vendor.example'))).not.toEqual([]);
    for (const name of names) expect(alone.template(name).toJSON()).toEqual(fleet.template(name).toJSON());
  });
});

describe('example fleet stacks', () => {
  test('one data and one app stack per environment, named clinspark-<owner>-<environment>-<layer>', () => {
    expect([...fleet.stacks.keys()].sort()).toEqual(
      [
        'clinspark-acme-sandbox',
        'clinspark-acme-migration',
        'clinspark-acme-preprod',
        'clinspark-northwind-prod',
        'clinspark-northwind-val',
        'clinspark-platform-demo-r2025-4',
        'clinspark-platform-demo-r2026-1',
        'clinspark-platform-community',
      ]
        .flatMap((s) => [`${s}-data`, `${s}-app`])
        .concat(['clinspark-northwind-prod-replica'])
        .filter((n) => fleet.stacks.has(n) || !n.endsWith('-replica'))
        .sort(),
    );
  });

  test.each([...buildTestFleet().environments.map((e) => [e.spec.id, e] as const)])(
    '%s: account, region, tags and termination protection',
    (_, env) => {
      for (const stack of [env.data, env.app]) {
        expect(stack.account).toBe(env.spec.account);
        expect(stack.region).toBe(env.spec.region);
        expect(stack.terminationProtection).toBe(CATALOG[env.spec.kind].stack.terminationProtection);
        const tags = stack.tags.tagValues();
        expect(tags[TAG_CUSTOMER]).toBe(env.spec.owner);
        expect(tags[TAG_ENVIRONMENT]).toBe(env.spec.kind);
        expect(tags[TAG_CHANGE_CONTROLLED]).toBe(String(CATALOG[env.spec.kind].changeControlled));
      }
    },
  );

  test('platform stacks are tagged clinspark:customer=platform; customer stacks with their slug', () => {
    const owners = new Set(fleet.environments.map((e) => e.data.tags.tagValues()[TAG_CUSTOMER]));
    expect([...owners].sort()).toEqual(['acme', 'northwind', 'platform']);
  });

  test('every taggable resource carries the three tags (tags are inherited from the stack)', () => {
    for (const name of ['clinspark-northwind-prod-data', 'clinspark-northwind-prod-app']) {
      const resources = Object.values(fleet.template(name).toJSON().Resources as Record<string, { Properties?: { Tags?: unknown } }>);
      const tagged = resources.filter((r) => Array.isArray(r.Properties?.Tags));
      expect(tagged.length).toBeGreaterThan(10);
      for (const r of tagged) {
        const tags = Object.fromEntries((r.Properties?.Tags as Array<{ Key: string; Value: string }>).map((t) => [t.Key, t.Value]));
        expect(tags).toMatchObject({ [TAG_CUSTOMER]: 'northwind', [TAG_ENVIRONMENT]: 'prod', [TAG_CHANGE_CONTROLLED]: 'true' });
      }
    }
  });

  test('availability zones come from configuration: PROD spans three zones, other kinds two', () => {
    const zonesOf = (name: string) =>
      [
        ...new Set(
          Object.values(fleet.template(name).findResources('AWS::EC2::Subnet')).map((s) => s.Properties.AvailabilityZone as string),
        ),
      ].sort();
    expect(zonesOf('clinspark-northwind-prod-data')).toEqual(['eu-west-1a', 'eu-west-1b', 'eu-west-1c']);
    expect(zonesOf('clinspark-northwind-val-data')).toEqual(['eu-west-1a', 'eu-west-1b']);
    expect(zonesOf('clinspark-acme-sandbox-data')).toEqual(['us-east-1a', 'us-east-1b']);
  });

  test('synthesis needs no look-up: the cloud assembly has no missing context', () => {
    const assembly = fleet.app.synth();
    expect(assembly.manifest.missing ?? []).toEqual([]);
  });

  test('NAT gateways: one per zone for PROD, one for the other kinds', () => {
    expect(fleet.template('clinspark-northwind-prod-data').findResources('AWS::EC2::NatGateway')).toEqual(expect.any(Object));
    expect(Object.keys(fleet.template('clinspark-northwind-prod-data').findResources('AWS::EC2::NatGateway'))).toHaveLength(3);
    expect(Object.keys(fleet.template('clinspark-acme-preprod-data').findResources('AWS::EC2::NatGateway'))).toHaveLength(1);
  });

  test('app stacks depend on their data stack, never the other way round', () => {
    for (const env of fleet.environments) {
      expect(env.app.dependencies.map((d: Stack) => d.stackName)).toContain(env.data.stackName);
      expect(env.data.dependencies.map((d: Stack) => d.stackName)).not.toContain(env.app.stackName);
    }
  });

  describe('network of an environment', () => {
    const t = () => fleet.template('clinspark-northwind-prod-data');

    test('three subnet tiers per zone: public (no automatic public IPs), application with NAT, isolated database', () => {
      const subnets = Object.entries(t().findResources('AWS::EC2::Subnet'));
      const tier = (name: string) => subnets.filter(([id]) => id.startsWith(`NetworkVpc${name}Subnet`));
      expect(tier('Public')).toHaveLength(3);
      expect(tier('Application')).toHaveLength(3);
      expect(tier('Database')).toHaveLength(3);
      for (const [, s] of tier('Public')) expect(s.Properties.MapPublicIpOnLaunch).toBe(false);
      const routes = Object.entries(t().findResources('AWS::EC2::Route'));
      expect(routes.filter(([id]) => id.startsWith('NetworkVpcDatabaseSubnet'))).toEqual([]);
      expect(routes.filter(([id]) => id.startsWith('NetworkVpcApplicationSubnet')).every(([, r]) => r.Properties.NatGatewayId)).toBe(true);
    });

    test('flow logs of all traffic go to a KMS-encrypted log group', () => {
      const flowLogs = Object.values(t().findResources('AWS::EC2::FlowLog'));
      expect(flowLogs).toHaveLength(1);
      expect(flowLogs[0].Properties).toMatchObject({ TrafficType: 'ALL', LogDestinationType: 'cloud-watch-logs', ResourceType: 'VPC' });
      const group = t().toJSON().Resources[flowLogs[0].Properties.LogGroupName.Ref];
      expect(group.Properties.KmsKeyId).toBeDefined();
    });

    test('the default security group is closed and S3 is reached through a gateway endpoint', () => {
      t().resourceCountIs('Custom::VpcRestrictDefaultSG', 1);
      const endpoints = Object.values(t().findResources('AWS::EC2::VPCEndpoint'));
      // S3 through the gateway endpoint; every other AWS API through an interface endpoint (test/network/egress.suite.ts).
      expect(
        endpoints.filter((e) => e.Properties.VpcEndpointType === 'Gateway').map((e) => JSON.stringify(e.Properties.ServiceName)),
      ).toEqual([expect.stringContaining('.s3')]);
      expect(endpoints.filter((e) => e.Properties.VpcEndpointType === 'Interface')).toHaveLength(9);
    });
  });
});
