/**
 * The application tier of the example fleet: HTTPS-only load balancer with WAF, Fargate
 * services with secrets injected from Secrets Manager, DNS names, and the isolation of Main and
 * Test (neither reaches the other's database or secret).
 */
import { Match, Template } from 'aws-cdk-lib/assertions';
import { App, Stack } from 'aws-cdk-lib';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as route53 from 'aws-cdk-lib/aws-route53';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as path from 'path';
import { EnvironmentIngress, EnvironmentIngressProps, MANAGED_RULE_GROUPS } from '../../constructs/ingress/environment-ingress';
import { evaluateCompliance } from '../../lib/compliance/packs';
import { buildComplianceReport } from '../../lib/compliance/report';
import { IMAGE_TAG_LABEL } from '../../lib/naming';
import { buildTestFleet } from '../support/fleet';

const fleet = buildTestFleet();
const app = (env: string) => fleet.template(`clinspark-${env}-app`);

function resolveImport(value: unknown): string {
  return JSON.stringify(value);
}

describe('application tier', () => {
  test('HTTPS listener with a TLS 1.3 policy and the configured certificate; HTTP only redirects', () => {
    const t = app('northwind-prod');
    t.hasResourceProperties('AWS::ElasticLoadBalancingV2::Listener', {
      Protocol: 'HTTPS',
      Port: 443,
      SslPolicy: 'ELBSecurityPolicy-TLS13-1-2-Res-2021-06',
      Certificates: [{ CertificateArn: 'arn:aws:acm:eu-west-1:345678901234:certificate/0b9a8c7d-6e5f-4a3b-9c2d-1e0f9a8b7c6d' }],
    });
    t.hasResourceProperties('AWS::ElasticLoadBalancingV2::Listener', {
      Protocol: 'HTTP',
      Port: 80,
      DefaultActions: [
        Match.objectLike({
          Type: 'redirect',
          RedirectConfig: Match.objectLike({ Protocol: 'HTTPS', Port: '443', StatusCode: 'HTTP_301' }),
        }),
      ],
    });
    t.resourceCountIs('AWS::ElasticLoadBalancingV2::Listener', 2);
  });

  test('load balancer drops invalid headers, logs access, and is deletion-protected per catalog', () => {
    const attrs = (env: string) =>
      Object.fromEntries(
        (
          Object.values(app(env).findResources('AWS::ElasticLoadBalancingV2::LoadBalancer'))[0].Properties.LoadBalancerAttributes as Array<{
            Key: string;
            Value: string;
          }>
        ).map((a) => [a.Key, a.Value]),
      );
    expect(attrs('northwind-prod')).toMatchObject({
      'routing.http.drop_invalid_header_fields.enabled': 'true',
      'access_logs.s3.enabled': 'true',
      'deletion_protection.enabled': 'true',
    });
    expect(attrs('acme-sandbox')['deletion_protection.enabled']).toBe('false');
  });

  test('a WAF web ACL with the AWS managed rule groups and a rate limit protects every load balancer, and logs', () => {
    for (const env of ['acme-sandbox', 'northwind-prod', 'platform-community']) {
      const t = app(env);
      const acl = Object.values(t.findResources('AWS::WAFv2::WebACL'))[0];
      const groups = (acl.Properties.Rules as Array<{ Statement: { ManagedRuleGroupStatement?: { Name: string } } }>)
        .map((r) => r.Statement.ManagedRuleGroupStatement?.Name)
        .filter(Boolean);
      expect(groups).toEqual([...MANAGED_RULE_GROUPS]);
      t.resourceCountIs('AWS::WAFv2::WebACLAssociation', 1);
      t.resourceCountIs('AWS::WAFv2::LoggingConfiguration', 1);
    }
  });

  test('the migration environment (real PII) is reachable only from the configured client ranges', () => {
    const sg = Object.values(app('acme-migration').findResources('AWS::EC2::SecurityGroup')).find((g) =>
      /load balancer/.test(g.Properties.GroupDescription),
    );
    const cidrs = (sg?.Properties.SecurityGroupIngress as Array<{ CidrIp: string }>).map((r) => r.CidrIp);
    expect([...new Set(cidrs)].sort()).toEqual(['198.51.100.0/24', '203.0.113.64/26']);
  });

  test('Fargate services: release image tag, circuit breaker with rollback, credentials only as ECS secrets', () => {
    const t = app('northwind-val');
    t.hasResourceProperties('AWS::ECS::Service', {
      DeploymentConfiguration: Match.objectLike({ DeploymentCircuitBreaker: { Enable: true, Rollback: true }, MinimumHealthyPercent: 100 }),
      NetworkConfiguration: { AwsvpcConfiguration: Match.objectLike({ AssignPublicIp: 'DISABLED' }) },
    });
    for (const td of Object.values(t.findResources('AWS::ECS::TaskDefinition'))) {
      const container = td.Properties.ContainerDefinitions[0];
      // VAL is change-controlled: pinned by digest (tests below), the tag kept for humans.
      expect(JSON.stringify(container.Image)).toContain('@sha256:9b3eb82db3cffb9515dc0ae69a4e3b142b6d1cca776d98ff6a0073bb4e886df2');
      expect(container.DockerLabels).toEqual({ [IMAGE_TAG_LABEL]: '2026.1.0-b2410' });
      const envNames = (container.Environment as Array<{ Name: string }>).map((e) => e.Name);
      expect(envNames.some((n) => /PASSWORD|USER|SECRET/.test(n))).toBe(false);
      expect((container.Secrets as Array<{ Name: string }>).map((s) => s.Name).sort()).toEqual([
        'DB_HOST',
        'DB_NAME',
        'DB_PASSWORD',
        'DB_PORT',
        'DB_USERNAME',
      ]);
      expect(container.HealthCheck.Command[1]).toMatch(/curl -fsS http:\/\/localhost:8080\/health/);
      expect(container.LogConfiguration.LogDriver).toBe('awslogs');
    }
    t.hasResourceProperties('AWS::ECS::Cluster', { ClusterSettings: [{ Name: 'containerInsights', Value: 'enhanced' }] });
  });

  test.each(['acme-sandbox', 'acme-preprod', 'northwind-prod', 'northwind-val', 'platform-community'])(
    '%s: the tasks reach AWS APIs through the VPC endpoints only, and the internet only on the configured allow-list',
    (env) => {
      const t = app(env);
      const resources = t.toJSON().Resources as Record<string, { Type: string; Properties: Record<string, any> }>;
      const taskGroups = Object.entries(resources).filter(
        ([, r]) => r.Type === 'AWS::EC2::SecurityGroup' && /tasks: from the load balancer/.test(r.Properties.GroupDescription),
      );
      expect(taskGroups.length).toBeGreaterThan(0);
      for (const [id, group] of taskGroups) {
        const egress = [
          ...((group.Properties.SecurityGroupEgress ?? []) as Array<Record<string, any>>),
          ...Object.values(resources)
            .filter((r) => r.Type === 'AWS::EC2::SecurityGroupEgress' && JSON.stringify(r.Properties.GroupId).includes(`"${id}"`))
            .map((r) => r.Properties),
        ];
        const cidrs = egress.filter((e) => e.CidrIp !== undefined || e.CidrIpv6 !== undefined);
        expect(cidrs.map((e) => [e.CidrIp, e.FromPort, e.ToPort])).toEqual(env === 'northwind-prod' ? [['192.0.2.32/28', 443, 443]] : []);
        const https = egress.filter((e) => e.FromPort === 443 && e.CidrIp === undefined);
        expect(https.some((e) => e.DestinationPrefixListId)).toBe(true);
        expect(JSON.stringify(https)).toContain('NetworkEndpointSecurityGroup');
      }
    },
  );

  test('autoscaling bounds from the catalog: ephemeral kinds may scale to zero, PROD keeps two tasks', () => {
    const bounds = (env: string) =>
      Object.values(app(env).findResources('AWS::ApplicationAutoScaling::ScalableTarget')).map((s) => [
        s.Properties.MinCapacity,
        s.Properties.MaxCapacity,
      ]);
    expect(bounds('acme-sandbox')).toEqual([
      [0, 2],
      [0, 2],
    ]);
    expect(bounds('northwind-prod')).toEqual([
      [2, 6],
      [2, 6],
    ]);
  });

  test('DNS: <instance>-<environment>.<zone> for pairs, <environment>.<zone> for single instances, as aliases', () => {
    const names = (env: string) =>
      Object.values(app(env).findResources('AWS::Route53::RecordSet'))
        .map((r) => r.Properties.Name)
        .sort();
    expect(names('northwind-prod')).toEqual(['main-prod.northwind.clinspark.cloud.', 'test-prod.northwind.clinspark.cloud.']);
    expect(names('acme-preprod')).toEqual(['preprod.acme.clinspark.cloud.']);
    expect(names('platform-demo-r2026-1')).toEqual(['demo-r2026-1.clinspark.cloud.']);
    app('northwind-prod').hasResourceProperties('AWS::Route53::RecordSet', {
      Type: 'A',
      HostedZoneId: 'Z04NORTHWIND00000001',
      AliasTarget: Match.anyValue(),
    });
  });

  test('SSO: PROD routes through the OIDC authenticate action with the client secret resolved at deploy time', () => {
    const t = app('northwind-prod');
    const rules = Object.values(t.findResources('AWS::ElasticLoadBalancingV2::ListenerRule'));
    expect(rules).toHaveLength(2);
    for (const r of rules) {
      const [auth, forward] = r.Properties.Actions;
      expect(auth.Type).toBe('authenticate-oidc');
      expect(auth.AuthenticateOidcConfig.Issuer).toBe('https://login.northwind.example/oauth2/default');
      expect(JSON.stringify(auth.AuthenticateOidcConfig.ClientSecret)).toMatch(
        /\{\{resolve:secretsmanager:arn:aws:secretsmanager:eu-west-1:345678901234:secret:clinspark\/prod\/oidc-client-AbCdEf:SecretString:::\}\}/,
      );
      expect(forward.Type).toBe('forward');
    }
    for (const r of Object.values(app('acme-sandbox').findResources('AWS::ElasticLoadBalancingV2::ListenerRule'))) {
      expect(r.Properties.Actions.map((a: { Type: string }) => a.Type)).toEqual(['forward']);
    }
  });

  describe('Main and Test isolation (PROD pair)', () => {
    const t: Template = app('northwind-prod');
    const resources = t.toJSON().Resources as Record<string, { Type: string; Properties: Record<string, unknown> }>;
    const serviceSg = (role: 'Main' | 'Test') =>
      Object.keys(resources).find(
        (id) => id.startsWith(`Instances${role}SecurityGroup`) && resources[id].Type === 'AWS::EC2::SecurityGroup',
      ) as string;
    const dbIngress = () =>
      Object.values(resources)
        .filter((r) => r.Type === 'AWS::EC2::SecurityGroupIngress' && r.Properties.FromPort === 3306)
        .map((r) => ({ group: resolveImport(r.Properties.GroupId), source: resolveImport(r.Properties.SourceSecurityGroupId) }));

    test('each service is admitted only by its own database security group', () => {
      const rules = dbIngress();
      expect(rules).toHaveLength(2);
      const mainRule = rules.find((r) => r.source.includes(serviceSg('Main')));
      const testRule = rules.find((r) => r.source.includes(serviceSg('Test')));
      expect(mainRule?.group).toMatch(/MainDatabaseSecurityGroup/);
      expect(mainRule?.group).not.toMatch(/TestDatabase/);
      expect(testRule?.group).toMatch(/TestDatabaseSecurityGroup/);
      expect(testRule?.group).not.toMatch(/MainDatabase/);
    });

    test('each execution role reads only its own application secret and key; task roles have no permissions', () => {
      const policies = Object.entries(resources).filter(([, r]) => r.Type === 'AWS::IAM::ManagedPolicy');
      const policyOf = (role: 'Main' | 'Test') =>
        JSON.stringify(policies.find(([id]) => id.startsWith(`Instances${role}ExecutionRolePermissions`))?.[1].Properties);
      const other = { Main: 'Test', Test: 'Main' } as const;
      for (const role of ['Main', 'Test'] as const) {
        const p = policyOf(role);
        expect(p).toMatch(new RegExp(`${role}DatabaseApplicationSecret`));
        expect(p).toMatch(new RegExp(`${role}DatabaseKey`));
        expect(p).not.toMatch(new RegExp(`${other[role]}Database`));
        expect(p).not.toMatch(/MasterSecret/);
      }
      expect(policies.some(([id]) => id.includes('TaskRolePermissions'))).toBe(false);
    });

    test('the services reach no database but their own: their egress is HTTPS plus their own database port', () => {
      for (const role of ['Main', 'Test'] as const) {
        const egress = Object.values(resources).filter(
          (r) => r.Type === 'AWS::EC2::SecurityGroupEgress' && resolveImport(r.Properties.GroupId).includes(serviceSg(role)),
        );
        // Security-group destinations: its own database, and the VPC's AWS API endpoints (HTTPS).
        const destinations = egress
          .filter((e) => e.Properties.DestinationSecurityGroupId)
          .map((e) => [resolveImport(e.Properties.DestinationSecurityGroupId), e.Properties.FromPort]);
        expect(destinations).toHaveLength(2);
        expect(destinations).toEqual(
          expect.arrayContaining([
            [expect.stringMatching(new RegExp(`${role}DatabaseSecurityGroup`)), 3306],
            [expect.stringMatching(/NetworkEndpointSecurityGroup/), 443],
          ]),
        );
        expect(JSON.stringify(destinations)).not.toMatch(role === 'Main' ? /TestDatabase/ : /MainDatabase/);
      }
    });
  });

  describe('container images: pinned by digest where change-controlled, read-only root filesystem, non-root user', () => {
    const containers = (env: string) =>
      Object.values(app(env).findResources('AWS::ECS::TaskDefinition')).map((td) => ({
        td: td.Properties,
        container: td.Properties.ContainerDefinitions[0],
      }));

    test(
      'PROD, Pre-PROD and VAL task definitions reference the image by digest ' + '(<repository>@sha256:...), never by the mutable tag',
      () => {
        const changeControlled = fleet.environments.filter((e) => e.spec.policy.changeControlled);
        expect(changeControlled.map((e) => e.spec.id).sort()).toEqual(['acme/preprod', 'northwind/prod', 'northwind/val']);
        for (const { spec } of changeControlled) {
          const list = containers(`${spec.owner}-${spec.name}`);
          expect(list).toHaveLength(spec.instances.length);
          for (const { container } of list) {
            const image = JSON.stringify(container.Image);
            expect(spec.release.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
            expect(image).toMatch(new RegExp(`/${spec.image.repositoryName.replace('/', '\\/')}@${spec.release.digest}"`));
            expect(image).not.toContain(`:${spec.release.imageTag}`);
            // The tag stays readable for humans: a label and the CLINSPARK_RELEASE variable.
            expect(container.DockerLabels).toEqual({ [IMAGE_TAG_LABEL]: spec.release.imageTag });
            expect(container.Environment).toContainEqual({ Name: 'CLINSPARK_RELEASE', Value: spec.release.imageTag });
          }
        }
      },
    );

    test('a release without a digest (vendor Demo, not change-controlled) references its tag', () => {
      for (const { container } of containers('platform-demo-r2026-1')) {
        expect(JSON.stringify(container.Image)).toContain('/clinspark/app:2026.1.0-b2410"');
        expect(JSON.stringify(container.Image)).not.toContain('@sha256:');
      }
    });

    test(
      'every container has a read-only root filesystem, runs as user 1000:1000, and ' +
        "writes only to /tmp, a bind mount on the task's ephemeral storage",
      () => {
        for (const e of fleet.environments) {
          for (const { td, container } of containers(`${e.spec.owner}-${e.spec.name}`)) {
            expect(container.ReadonlyRootFilesystem).toBe(true);
            expect(container.User).toBe('1000:1000');
            expect(container.Privileged).toBeUndefined();
            expect(container.MountPoints).toEqual([{ ContainerPath: '/tmp', SourceVolume: 'scratch0', ReadOnly: false }]);
            // No host path, no EFS: an empty bind mount, removed with the task.
            expect(td.Volumes).toEqual([{ Name: 'scratch0' }]);
          }
        }
      },
    );

    test('a release may turn the read-only root filesystem off (no scratch volume then) and choose another non-root user', () => {
      const other = buildTestFleet({
        configDir: path.join(__dirname, '..', 'fixtures', 'validation', 'good', 'pii-protected-by-sso-or-ranges'),
        platform: false,
      });
      const td = Object.values(other.template('clinspark-acme-migration-app').findResources('AWS::ECS::TaskDefinition'))[0].Properties;
      expect(td.ContainerDefinitions[0].ReadonlyRootFilesystem).toBe(false);
      expect(td.ContainerDefinitions[0].User).toBe('10001:0');
      expect(td.ContainerDefinitions[0].MountPoints).toBeUndefined();
      expect(td.Volumes).toBeUndefined();
    });
  });

  describe('who may reach each load balancer, and the AwsSolutions-EC23 acknowledgement that says so', () => {
    const ec23 = (env: string) => {
      const stackName = `clinspark-${env}-app`;
      const stack = fleet.stacks.get(stackName) as Stack;
      const report = buildComplianceReport(evaluateCompliance(stack), stack);
      return report.stacks.flatMap((s) => s.acknowledgements).filter((a) => a.id === 'AwsSolutions-EC23');
    };
    const lbIngress = (env: string) => {
      const sg = Object.values(app(env).findResources('AWS::EC2::SecurityGroup')).find((g) =>
        /load balancer/.test(g.Properties.GroupDescription),
      );
      return (sg?.Properties.SecurityGroupIngress as Array<{ CidrIp: string; FromPort: number }>)
        .map((r) => `${r.CidrIp}:${r.FromPort}`)
        .sort();
    };

    test("Pre-PROD (real PII) is reachable only from the customer's ranges, and has no EC23 finding to acknowledge", () => {
      for (const env of ['acme-preprod', 'acme-migration']) {
        expect(lbIngress(env)).toEqual(['198.51.100.0/24:443', '198.51.100.0/24:80', '203.0.113.64/26:443', '203.0.113.64/26:80']);
        expect(ec23(env)).toEqual([]);
      }
    });

    test("PROD (real PII, open to the internet): the acknowledgement says every request authenticates through the customer's SSO", () => {
      expect(lbIngress('northwind-prod')).toEqual(['0.0.0.0/0:443', '0.0.0.0/0:80']);
      const acks = ec23('northwind-prod');
      expect(acks.map((a) => a.resource)).toEqual(['clinspark-northwind-prod-app/Ingress/SecurityGroup/Resource']);
      expect(acks[0].reason).toMatch(
        /^Open to the internet on 443 \(HTTPS, TLS 1\.3 policy, behind the WAF web ACL\) and 80 \(answers only with a redirect to HTTPS\), nothing else; /,
      );
      expect(acks[0].reason).toMatch(
        /every request must authenticate through the customer's SSO \(OIDC authenticate action on every listener rule of the load balancer\) before it reaches the application/,
      );
      expect(acks[0].reason).not.toMatch(/no real volunteer PII/);
    });

    test.each([
      ['acme-sandbox', 'Sandbox'],
      ['northwind-val', 'VAL'],
      ['platform-demo-r2025-4', 'Demo'],
      ['platform-community', 'Community'],
    ])('%s (no real PII, open to the internet): the acknowledgement names the catalog row that allows it', (env, title) => {
      const acks = ec23(env);
      expect(acks).toHaveLength(1);
      expect(acks[0].reason).toMatch(/^Open to the internet on 443 .* and 80 \(answers only with a redirect to HTTPS\), nothing else; /);
      expect(acks[0].reason).toContain(
        `this ${title} environment holds no real volunteer PII (environment catalog, row ` +
          `"real volunteer PII": no for Sandbox, VAL, Demo and Community)`,
      );
      expect(acks[0].reason).not.toMatch(/SSO/);
    });

    describe('the construct keeps the acknowledgement true', () => {
      const props = (stack: Stack, extra: Partial<EnvironmentIngressProps>): EnvironmentIngressProps => {
        const vpc = new ec2.Vpc(stack, 'Vpc', { maxAzs: 2, natGateways: 0 });
        return {
          vpc,
          subnets: { subnetType: ec2.SubnetType.PUBLIC },
          certificate: acm.Certificate.fromCertificateArn(
            stack,
            'Certificate',
            'arn:aws:acm:us-east-1:123456789012:certificate/6f1c2a3b-4d5e-4f60-8a71-92b3c4d5e6f7',
          ),
          accessLogBucket: new s3.Bucket(stack, 'Logs'),
          accessLogPrefix: 'alb',
          wafLogGroup: new logs.LogGroup(stack, 'Waf', { logGroupName: 'aws-waf-logs-test' }),
          deletionProtection: false,
          zone: route53.HostedZone.fromHostedZoneAttributes(stack, 'Zone', { hostedZoneId: 'Z0TEST', zoneName: 'example.com' }),
          ...extra,
        };
      };
      const stack = () => new Stack(new App(), 'S', { env: { account: '123456789012', region: 'us-east-1' } });

      test('open to the internet with neither SSO nor a reason: refused', () => {
        const s = stack();
        expect(() => new EnvironmentIngress(s, 'Ingress', props(s, {}))).toThrow(/would serve the whole internet with no single sign-on/);
      });

      test('a reason with client ranges: refused (nothing is open to the internet)', () => {
        const s = stack();
        expect(
          () =>
            new EnvironmentIngress(
              s,
              'Ingress',
              props(s, { allowedCidrs: ['203.0.113.0/24'], internetAccessReason: 'holds no real volunteer PII' }),
            ),
        ).toThrow(/nothing is open to the internet/);
      });

      test('requireSso: a route without SSO is refused', () => {
        const s = stack();
        const ingress = new EnvironmentIngress(s, 'Ingress', props(s, { requireSso: true }));
        const targetGroup = new elbv2.ApplicationTargetGroup(s, 'Targets', {
          vpc: ingress.loadBalancer.vpc,
          port: 8080,
          protocol: elbv2.ApplicationProtocol.HTTP,
        });
        expect(() => ingress.addInstance('Main', { hostName: 'main.example.com', targetGroup, priority: 10 })).toThrow(
          /requires single sign-on on every route/,
        );
      });
    });
  });
});
