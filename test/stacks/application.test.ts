/**
 * The application tier of the example fleet: HTTPS-only load balancer with WAF, Fargate
 * services with secrets injected from Secrets Manager, DNS names, and the isolation of Main and
 * Test (neither reaches the other's database or secret).
 */
import { Match, Template } from 'aws-cdk-lib/assertions';
import { MANAGED_RULE_GROUPS } from '../../constructs/ingress/environment-ingress';
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
      DefaultActions: [Match.objectLike({ Type: 'redirect', RedirectConfig: Match.objectLike({ Protocol: 'HTTPS', Port: '443', StatusCode: 'HTTP_301' }) })],
    });
    t.resourceCountIs('AWS::ElasticLoadBalancingV2::Listener', 2);
  });

  test('load balancer drops invalid headers, logs access, and is deletion-protected per catalog', () => {
    const attrs = (env: string) =>
      Object.fromEntries(
        (Object.values(app(env).findResources('AWS::ElasticLoadBalancingV2::LoadBalancer'))[0].Properties.LoadBalancerAttributes as Array<{ Key: string; Value: string }>).map((a) => [a.Key, a.Value]),
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
    const sg = Object.values(app('acme-migration').findResources('AWS::EC2::SecurityGroup')).find((g) => /load balancer/.test(g.Properties.GroupDescription));
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
      expect(JSON.stringify(container.Image)).toContain(':2026.1.0-b2410');
      const envNames = (container.Environment as Array<{ Name: string }>).map((e) => e.Name);
      expect(envNames.some((n) => /PASSWORD|USER|SECRET/.test(n))).toBe(false);
      expect((container.Secrets as Array<{ Name: string }>).map((s) => s.Name).sort()).toEqual(['DB_HOST', 'DB_NAME', 'DB_PASSWORD', 'DB_PORT', 'DB_USERNAME']);
      expect(container.HealthCheck.Command[1]).toMatch(/curl -fsS http:\/\/localhost:8080\/health/);
      expect(container.LogConfiguration.LogDriver).toBe('awslogs');
    }
    t.hasResourceProperties('AWS::ECS::Cluster', { ClusterSettings: [{ Name: 'containerInsights', Value: 'enhanced' }] });
  });

  test('autoscaling bounds from the catalog: ephemeral kinds may scale to zero, PROD keeps two tasks', () => {
    const bounds = (env: string) => Object.values(app(env).findResources('AWS::ApplicationAutoScaling::ScalableTarget')).map((s) => [s.Properties.MinCapacity, s.Properties.MaxCapacity]);
    expect(bounds('acme-sandbox')).toEqual([[0, 2], [0, 2]]);
    expect(bounds('northwind-prod')).toEqual([[2, 6], [2, 6]]);
  });

  test('DNS: <instance>-<environment>.<zone> for pairs, <environment>.<zone> for single instances, as aliases', () => {
    const names = (env: string) => Object.values(app(env).findResources('AWS::Route53::RecordSet')).map((r) => r.Properties.Name).sort();
    expect(names('northwind-prod')).toEqual(['main-prod.northwind.clinspark.cloud.', 'test-prod.northwind.clinspark.cloud.']);
    expect(names('acme-preprod')).toEqual(['preprod.acme.clinspark.cloud.']);
    expect(names('platform-demo-r2026-1')).toEqual(['demo-r2026-1.clinspark.cloud.']);
    app('northwind-prod').hasResourceProperties('AWS::Route53::RecordSet', { Type: 'A', HostedZoneId: 'Z04NORTHWIND00000001', AliasTarget: Match.anyValue() });
  });

  test('SSO: PROD routes through the OIDC authenticate action with the client secret resolved at deploy time', () => {
    const t = app('northwind-prod');
    const rules = Object.values(t.findResources('AWS::ElasticLoadBalancingV2::ListenerRule'));
    expect(rules).toHaveLength(2);
    for (const r of rules) {
      const [auth, forward] = r.Properties.Actions;
      expect(auth.Type).toBe('authenticate-oidc');
      expect(auth.AuthenticateOidcConfig.Issuer).toBe('https://login.northwind.example/oauth2/default');
      expect(JSON.stringify(auth.AuthenticateOidcConfig.ClientSecret)).toMatch(/\{\{resolve:secretsmanager:arn:aws:secretsmanager:eu-west-1:345678901234:secret:clinspark\/prod\/oidc-client-AbCdEf:SecretString:::\}\}/);
      expect(forward.Type).toBe('forward');
    }
    for (const r of Object.values(app('acme-sandbox').findResources('AWS::ElasticLoadBalancingV2::ListenerRule'))) {
      expect(r.Properties.Actions.map((a: { Type: string }) => a.Type)).toEqual(['forward']);
    }
  });

  describe('Main and Test isolation (PROD pair)', () => {
    const t: Template = app('northwind-prod');
    const resources = t.toJSON().Resources as Record<string, { Type: string; Properties: Record<string, unknown> }>;
    const serviceSg = (role: 'Main' | 'Test') => Object.keys(resources).find((id) => id.startsWith(`Instances${role}SecurityGroup`) && resources[id].Type === 'AWS::EC2::SecurityGroup') as string;
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
      const policyOf = (role: 'Main' | 'Test') => JSON.stringify(policies.find(([id]) => id.startsWith(`Instances${role}ExecutionRolePermissions`))?.[1].Properties);
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
        expect(egress.map((e) => resolveImport(e.Properties.DestinationSecurityGroupId))).toEqual([expect.stringMatching(new RegExp(`${role}DatabaseSecurityGroup`))]);
      }
    });
  });
});
