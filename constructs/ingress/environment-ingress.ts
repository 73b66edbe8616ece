import { Duration, SecretValue, Token } from 'aws-cdk-lib';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as route53 from 'aws-cdk-lib/aws-route53';
import * as targets from 'aws-cdk-lib/aws-route53-targets';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as wafv2 from 'aws-cdk-lib/aws-wafv2';
import { Construct } from 'constructs';
import { acknowledge, sameReason } from '../core/acknowledge';
import { coversEveryAddress, parseCidr } from '../core/cidr';
import { ClinSparkPropsError } from '../core/errors';

/** OpenID Connect settings for the load balancer's authenticate action. */
export interface OidcSettings {
  /** The identity provider's issuer URL. */
  readonly issuer: string;
  /** The identity provider's authorization endpoint URL. */
  readonly authorizationEndpoint: string;
  /** The identity provider's token endpoint URL. */
  readonly tokenEndpoint: string;
  /** The identity provider's user info endpoint URL. */
  readonly userInfoEndpoint: string;
  /** OAuth client id of the application at the identity provider. */
  readonly clientId: string;
  /** ARN of the Secrets Manager secret (plain string) holding the client secret. */
  readonly clientSecretArn: string;
  /** @default 'openid' */
  readonly scope?: string;
}

export interface EnvironmentIngressProps {
  /** The VPC of the load balancer. */
  readonly vpc: ec2.IVpc;
  /** Public subnets of the load balancer. */
  readonly subnets: ec2.SubnetSelection;
  /** ACM certificate of the HTTPS listener (must cover every host name routed here). */
  readonly certificate: acm.ICertificate;
  /**
   * Client ranges allowed to reach the application (ports 443 and 80).
   * @default - the internet (the application is a public web application behind WAF)
   */
  readonly allowedCidrs?: readonly string[];
  /**
   * Every instance route authenticates through OIDC single sign-on before forwarding:
   * `addInstance` refuses a route without `sso`. Without `allowedCidrs`, this is what the
   * load balancer's acknowledgement of an internet-open security group (AwsSolutions-EC23) says.
   * @default false
   */
  readonly requireSso?: boolean;
  /**
   * Without `allowedCidrs` and `requireSso`: why serving the whole internet is acceptable for this
   * environment (e.g. "it holds no real volunteer PII"), from the caller's policy. It becomes part of
   * the AwsSolutions-EC23 acknowledgement, so it must be true of this environment. Not allowed with
   * `allowedCidrs` (the security group then opens nothing to the internet).
   * @default - required when neither allowedCidrs nor requireSso is set
   */
  readonly internetAccessReason?: string;
  /** Bucket for access logs (SSE-S3: load balancer access logs do not support KMS keys). */
  readonly accessLogBucket: s3.IBucket;
  /** Key prefix of the access logs in the bucket. */
  readonly accessLogPrefix: string;
  /** Log group for WAF logs; its name must start with `aws-waf-logs-`. */
  readonly wafLogGroup: logs.ILogGroup;
  /** Deletion protection of the load balancer. */
  readonly deletionProtection: boolean;
  /** Hosted zone of the instances' DNS names. */
  readonly zone: route53.IHostedZone;
  /** @default Duration.seconds(120) */
  readonly idleTimeout?: Duration;
  /**
   * Requests per 5 minutes from one client IP before WAF blocks it.
   * @default 2000
   */
  readonly rateLimitPer5Minutes?: number;
}

export interface InstanceRoute {
  /** Fully qualified host name routed to this instance. */
  readonly hostName: string;
  /** The instance's target group (its service's tasks). */
  readonly targetGroup: elbv2.IApplicationTargetGroup;
  /** Rule priority, unique per load balancer. */
  readonly priority: number;
  /** @default - no single sign-on in front of the application */
  readonly sso?: OidcSettings;
}

/** AWS managed rule groups applied to every environment, in priority order. */
export const MANAGED_RULE_GROUPS = [
  'AWSManagedRulesAmazonIpReputationList',
  'AWSManagedRulesCommonRuleSet',
  'AWSManagedRulesKnownBadInputsRuleSet',
  'AWSManagedRulesSQLiRuleSet',
] as const;

/**
 * The shared entry of one environment: an internet-facing Application Load Balancer, HTTPS only
 * (HTTP answers with a redirect), modern TLS policy, invalid headers dropped, access logs, and a
 * WAF web ACL with AWS managed rule groups and a rate limit, logged to CloudWatch Logs.
 * Instances attach with `addInstance` (host-based routing, optional OIDC single sign-on) and get
 * an alias record in the hosted zone.
 */
export class EnvironmentIngress extends Construct {
  readonly loadBalancer: elbv2.ApplicationLoadBalancer;
  readonly httpsListener: elbv2.ApplicationListener;
  readonly webAcl: wafv2.CfnWebACL;
  readonly securityGroup: ec2.SecurityGroup;
  private readonly zone: route53.IHostedZone;
  private readonly priorities = new Set<number>();
  private readonly requireSso: boolean;

  constructor(scope: Construct, id: string, props: EnvironmentIngressProps) {
    super(scope, id);
    if (!Token.isUnresolved(props.wafLogGroup.logGroupName) && !props.wafLogGroup.logGroupName.startsWith('aws-waf-logs-')) {
      throw new ClinSparkPropsError(
        this,
        `'wafLogGroup' is named '${props.wafLogGroup.logGroupName}'; WAF only logs to groups named aws-waf-logs-*`,
      );
    }
    for (const cidr of props.allowedCidrs ?? []) {
      if (coversEveryAddress(cidr))
        throw new ClinSparkPropsError(
          this,
          `'allowedCidrs' contains ${cidr}; omit allowedCidrs to serve the internet, or list client ranges`,
        );
      const parsed = parseCidr(cidr);
      if (!parsed.ok) throw new ClinSparkPropsError(this, `'allowedCidrs' has '${cidr}': ${parsed.error}`);
    }
    const restricted = Boolean(props.allowedCidrs?.length);
    if (restricted && props.internetAccessReason !== undefined) {
      throw new ClinSparkPropsError(
        this,
        "'internetAccessReason' is set but 'allowedCidrs' restrict the load balancer to client ranges; nothing is open to the internet",
      );
    }
    if (!restricted && !props.requireSso && !props.internetAccessReason) {
      throw new ClinSparkPropsError(
        this,
        'the load balancer would serve the whole internet with no single sign-on; set ' +
          "'allowedCidrs', 'requireSso', or say why it is acceptable in " +
          "'internetAccessReason'",
      );
    }
    this.zone = props.zone;
    this.requireSso = props.requireSso ?? false;

    this.securityGroup = new ec2.SecurityGroup(this, 'SecurityGroup', {
      vpc: props.vpc,
      description: 'ClinSpark load balancer: HTTPS (and HTTP redirect) from allowed clients',
      allowAllOutbound: false,
    });
    const peers = props.allowedCidrs?.length ? props.allowedCidrs.map((c) => ec2.Peer.ipv4(c)) : [ec2.Peer.anyIpv4()];
    for (const peer of peers) {
      this.securityGroup.addIngressRule(peer, ec2.Port.tcp(443), 'HTTPS from allowed clients');
      this.securityGroup.addIngressRule(peer, ec2.Port.tcp(80), 'HTTP from allowed clients (redirected to HTTPS)');
    }

    this.loadBalancer = new elbv2.ApplicationLoadBalancer(this, 'LoadBalancer', {
      vpc: props.vpc,
      vpcSubnets: props.subnets,
      internetFacing: true,
      securityGroup: this.securityGroup,
      dropInvalidHeaderFields: true,
      deletionProtection: props.deletionProtection,
      idleTimeout: props.idleTimeout ?? Duration.seconds(120),
      http2Enabled: true,
      desyncMitigationMode: elbv2.DesyncMitigationMode.STRICTEST,
      xAmznTlsVersionAndCipherSuiteHeaders: true,
      preserveHostHeader: true,
    });
    this.loadBalancer.logAccessLogs(props.accessLogBucket, props.accessLogPrefix);

    this.httpsListener = this.loadBalancer.addListener('Https', {
      port: 443,
      protocol: elbv2.ApplicationProtocol.HTTPS,
      certificates: [elbv2.ListenerCertificate.fromCertificateManager(props.certificate)],
      sslPolicy: elbv2.SslPolicy.TLS13_RES,
      open: false,
      defaultAction: elbv2.ListenerAction.fixedResponse(404, { contentType: 'text/plain', messageBody: 'Unknown host' }),
    });
    const redirect = this.loadBalancer.addListener('HttpRedirect', {
      port: 80,
      protocol: elbv2.ApplicationProtocol.HTTP,
      open: false,
      defaultAction: elbv2.ListenerAction.redirect({ protocol: 'HTTPS', port: '443', permanent: true }),
    });

    this.webAcl = new wafv2.CfnWebACL(this, 'WebAcl', {
      scope: 'REGIONAL',
      defaultAction: { allow: {} },
      visibilityConfig: { cloudWatchMetricsEnabled: true, metricName: 'clinspark-web-acl', sampledRequestsEnabled: true },
      rules: [
        {
          name: 'RateLimitPerClientIp',
          priority: 0,
          action: { block: {} },
          statement: { rateBasedStatement: { limit: props.rateLimitPer5Minutes ?? 2000, aggregateKeyType: 'IP' } },
          visibilityConfig: { cloudWatchMetricsEnabled: true, metricName: 'rate-limit', sampledRequestsEnabled: true },
        },
        ...MANAGED_RULE_GROUPS.map((name, i) => ({
          name,
          priority: i + 1,
          overrideAction: { none: {} },
          statement: { managedRuleGroupStatement: { vendorName: 'AWS', name } },
          visibilityConfig: { cloudWatchMetricsEnabled: true, metricName: name, sampledRequestsEnabled: true },
        })),
      ],
    });
    new wafv2.CfnWebACLAssociation(this, 'WebAclAssociation', {
      resourceArn: this.loadBalancer.loadBalancerArn,
      webAclArn: this.webAcl.attrArn,
    });
    new wafv2.CfnLoggingConfiguration(this, 'WebAclLogging', {
      resourceArn: this.webAcl.attrArn,
      logDestinationConfigs: [props.wafLogGroup.logGroupArn],
      redactedFields: [{ singleHeader: { Name: 'authorization' } }, { singleHeader: { Name: 'cookie' } }],
    });

    acknowledge(
      redirect,
      sameReason(
        ['HIPAA.Security-ELBv2ACMCertificateRequired', 'NIST.800.53.R5-ELBv2ACMCertificateRequired'],
        'Port 80 only answers with a permanent redirect to HTTPS (no forwarding, no ' +
          'content); every request reaching the application uses the TLS listener and its ' +
          'ACM certificate.',
      ),
    );
    if (!props.deletionProtection) {
      acknowledge(
        this.loadBalancer,
        sameReason(
          ['HIPAA.Security-ELBDeletionProtectionEnabled', 'NIST.800.53.R5-ELBDeletionProtectionEnabled'],
          'The environment catalog leaves load balancer deletion protection off for this ' +
            'ephemeral or vendor environment kind; the load balancer holds no data and is ' +
            'recreated by the app stack.',
        ),
      );
    }
    if (!restricted) {
      // What protects this environment, in the words a reviewer checks against the template: the
      // two listeners, the OIDC action of every route (enforced by addInstance) or the caller's reason.
      const protections = [
        ...(this.requireSso
          ? [
              "every request must authenticate through the customer's SSO (OIDC authenticate " +
                'action on every listener rule of the load balancer) before it reaches the ' +
                'application',
            ]
          : []),
        ...(props.internetAccessReason ? [props.internetAccessReason] : []),
      ];
      acknowledge(this.securityGroup, [
        {
          id: 'AwsSolutions-EC23',
          reason:
            'Open to the internet on 443 (HTTPS, TLS 1.3 policy, behind the WAF web ACL) and ' +
            '80 (answers only with a redirect to HTTPS), nothing else; ' +
            `${protections.join('; and ')}.`,
        },
      ]);
    }
  }

  /** Routes a host name to an instance's target group (optionally behind OIDC) and adds its DNS alias. */
  addInstance(id: string, route: InstanceRoute): elbv2.ApplicationListenerRule {
    if (this.priorities.has(route.priority))
      throw new ClinSparkPropsError(this, `priority ${route.priority} of '${id}' is already used; give each instance its own`);
    this.priorities.add(route.priority);
    if (this.requireSso && !route.sso) {
      throw new ClinSparkPropsError(
        this,
        `route '${id}' has no 'sso', but this load balancer requires single sign-on on every route (requireSso)`,
      );
    }
    const forward = elbv2.ListenerAction.forward([route.targetGroup]);
    const action = route.sso
      ? elbv2.ListenerAction.authenticateOidc({
          issuer: route.sso.issuer,
          authorizationEndpoint: route.sso.authorizationEndpoint,
          tokenEndpoint: route.sso.tokenEndpoint,
          userInfoEndpoint: route.sso.userInfoEndpoint,
          clientId: route.sso.clientId,
          clientSecret: SecretValue.secretsManager(route.sso.clientSecretArn),
          scope: route.sso.scope ?? 'openid',
          sessionTimeout: Duration.hours(8),
          onUnauthenticatedRequest: elbv2.UnauthenticatedAction.AUTHENTICATE,
          next: forward,
        })
      : forward;
    const rule = new elbv2.ApplicationListenerRule(this, `${id}Route`, {
      listener: this.httpsListener,
      priority: route.priority,
      conditions: [elbv2.ListenerCondition.hostHeaders([route.hostName])],
      action,
    });
    new route53.ARecord(this, `${id}Alias`, {
      zone: this.zone,
      recordName: `${route.hostName}.`,
      target: route53.RecordTarget.fromAlias(new targets.LoadBalancerTarget(this.loadBalancer)),
    });
    return rule;
  }

  /** Lets the load balancer reach an instance's tasks on their port. */
  allowTo(peer: ec2.IConnectable, port: ec2.Port): void {
    this.loadBalancer.connections.allowTo(peer, port, 'Load balancer to application tasks');
  }
}
