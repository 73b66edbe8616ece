/**
 * The typed model of the fleet configuration: the single source of the validator (shape checks
 * and per-field rules here, cross-field rules in rules.ts) and of the JSON Schemas in `schema/`
 * (written by `npm run schema`, checked for staleness by a test).
 *
 * Every object is strict: an unknown key is an error, so a typo never passes silently.
 */
import { z } from 'zod';
import { parseSshPublicKey } from '../../constructs/jump-host/ssh-keys';
import { parseCidr } from './cidr';
import { parseBackupWindow, parseMaintenanceWindow } from './windows';

// The kinds and the platform owner live in lib/kinds.ts (shared with the catalog); re-exported here.
export {
  CUSTOMER_ENVIRONMENT_KINDS,
  CustomerEnvironmentKind,
  ENVIRONMENT_KINDS,
  EnvironmentKind,
  PLATFORM_ENVIRONMENT_KINDS,
  PLATFORM_OWNER,
} from '../kinds';

const SLUG_RE = /^[a-z](?:[a-z0-9]|-(?=[a-z0-9])){1,22}[a-z0-9]$/;
export const slugSchema = z
  .string()
  .regex(SLUG_RE, {
    error:
      'must be DNS-safe: 3-24 characters, lowercase letters, digits and single ' +
      'hyphens, starting with a letter and ending with a letter or digit (e.g. ' +
      '"acme-clinical")',
  })
  .describe('DNS-safe identifier: used in stack names, tags and host names.');

export const accountSchema = z
  .string({ error: 'must be a quoted 12-digit string, e.g. account: "012345678901" (an unquoted number loses leading zeros)' })
  .regex(/^\d{12}$/, { error: 'must be exactly 12 digits, e.g. "012345678901"' })
  .describe('AWS account id (12 digits, quoted).');

export const regionSchema = z
  .string()
  .regex(/^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d$/, { error: 'must be an AWS region code such as "us-east-1" or "eu-west-1"' })
  .describe('AWS region code.');

export const awsSchema = z
  .strictObject({
    account: accountSchema,
    region: regionSchema,
    availabilityZones: z
      .array(
        z
          .string()
          .regex(/^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d[a-z]$/, { error: 'must be an availability zone name such as "us-east-1a"' }),
      )
      .min(2, { error: 'list at least 2 availability zones: Aurora needs subnets in two zones' })
      .max(6, { error: 'list at most 6 availability zones' })
      .describe(
        'Availability zones of the region, in any order: environments use them in name ' +
          'order, the first 2 (3 for PROD); no AWS look-up is made.',
      ),
    breakGlassRoleArn: z
      .string()
      .regex(/^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]{1,512}$/, {
        error: 'must be an IAM role ARN, e.g. arn:aws:iam::012345678901:role/clinspark-break-glass',
      })
      .optional()
      .describe(
        "The vendor's break-glass administrator role (an IAM role of this account). " +
          "Besides the environment's own roles and the CDK deployment roles, it is the " +
          "only principal that may decrypt with, or grant on, the keys of PROD's " +
          'databases, the read replica and the PII scrub.',
      ),
  })
  .superRefine((value, ctx) => {
    const account = value.breakGlassRoleArn?.split(':')[4];
    if (account !== undefined && account !== value.account) {
      ctx.addIssue({
        code: 'custom',
        path: ['breakGlassRoleArn'],
        message: `is a role of account ${account}; the break-glass role must be a role of this owner's account ${value.account}`,
      });
    }
  })
  .describe('Where the environments are deployed.');

export const VERSION_RE = /^(0|[1-9]\d{0,3})\.(0|[1-9]\d{0,2})\.(0|[1-9]\d{0,2})$/;
export const BUILD_RE = /^[1-9]\d{0,7}$/;

/**
 * An image manifest digest as ECR reports it (`imageDetails[].imageDigest`, "sha256:" and 64 hex
 * digits): https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_ImageDetail.html and
 * https://docs.aws.amazon.com/cli/latest/reference/ecr/describe-images.html
 */
export const IMAGE_DIGEST_RE = /^sha256:[0-9a-f]{64}$/;
/**
 * Numeric `UID` or `UID:GID`, two of the forms of the container definition's `user`
 * (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task_definition_parameters.html#container_definition_security).
 */
export const CONTAINER_USER_RE = /^(0|[1-9]\d{0,9})(:(0|[1-9]\d{0,9}))?$/;
/** The user the container runs as when the release does not say: non-root. */
export const DEFAULT_CONTAINER_USER = '1000:1000';
/** How to find a release image's digest (in messages). */
export const DIGEST_HOWTO =
  "aws ecr describe-images --repository-name <name> --image-ids imageTag=<version>-b<build> --query 'imageDetails[0].imageDigest'";

export const releaseSchema = z
  .strictObject({
    version: z
      .string({
        error: 'must be a quoted version string "MAJOR.MINOR.PATCH", e.g. version: "2025.2.0" (unquoted, YAML reads 2025.2 as a number)',
      })
      .regex(VERSION_RE, { error: 'must be "MAJOR.MINOR.PATCH" with numbers only, e.g. "2025.2.0"' })
      .describe('Release version, "MAJOR.MINOR.PATCH".'),
    build: z
      .union([z.string(), z.number()], { error: 'must be a build number such as 1234' })
      .transform((v) => String(v))
      .pipe(z.string().regex(BUILD_RE, { error: 'must be a positive whole build number without leading zeros (1 to 8 digits), e.g. 1234' }))
      .describe('Build number of the release (hotfix builds increase it). The container image tag is "<version>-b<build>".'),
    digest: z
      .string({ error: 'must be a quoted image digest "sha256:<64 hex digits>"' })
      .regex(IMAGE_DIGEST_RE, {
        error: `must be an image digest "sha256:" followed by 64 lowercase hex digits, as ECR reports it (${DIGEST_HOWTO})`,
      })
      .optional()
      .describe(
        'Digest of the release image ("sha256:<64 hex>"): the task definition then ' +
          'references "<repository>@<digest>", an immutable image, instead of the mutable tag. ' +
          `Required for change-controlled environments (environment catalog). Get it with: ${DIGEST_HOWTO}`,
      ),
    readOnlyRootFilesystem: z
      .boolean({ error: 'must be true or false' })
      .optional()
      .describe(
        'Run the container with a read-only root filesystem; /tmp is then a writable ' +
          "scratch volume on the task's ephemeral storage. Set false only for an image " +
          'that must write elsewhere. @default true',
      ),
    user: z
      .string({ error: 'must be a quoted numeric user "UID" or "UID:GID", e.g. user: "1000:1000"' })
      .regex(CONTAINER_USER_RE, {
        error: 'must be a numeric user "UID" or "UID:GID", e.g. "1000:1000" (names depend on the image\'s /etc/passwd; numbers do not)',
      })
      .refine((v) => Number(v.split(':')[0]) !== 0, {
        error: 'is root (UID 0); ClinSpark containers run as a non-root user: use the UID the image\'s files belong to, e.g. "1000:1000"',
      })
      .optional()
      .describe(`User the container runs as, numeric "UID" or "UID:GID"; never root (UID 0). @default "${DEFAULT_CONTAINER_USER}"`),
  })
  .describe('A ClinSpark release: version plus build, optionally pinned by image digest, and how its image runs.');

const ECR_RE = /^(\d{12})\.dkr\.ecr\.([a-z0-9-]+)\.amazonaws\.com\/([a-z0-9]+(?:[._-][a-z0-9]+)*(?:\/[a-z0-9]+(?:[._-][a-z0-9]+)*)*)$/;
export function parseEcrRepository(uri: string): { account: string; region: string; name: string } | undefined {
  const m = ECR_RE.exec(uri);
  return m ? { account: m[1], region: m[2], name: m[3] } : undefined;
}

export const imageSchema = z
  .strictObject({
    repository: z
      .string()
      .regex(ECR_RE, {
        error: 'must be an ECR repository URI without a tag, e.g. "123456789012.dkr.ecr.us-east-1.amazonaws.com/clinspark/app"',
      })
      .describe('ECR repository of the ClinSpark container image (the tag comes from the release).'),
  })
  .describe('The application container image.');

export const certificateArnSchema = z
  .string()
  .regex(/^arn:aws[a-z-]*:acm:[a-z0-9-]+:\d{12}:certificate\/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/, {
    error: 'must be an ACM certificate ARN, e.g. "arn:aws:acm:us-east-1:123456789012:certificate/0a1b2c3d-1111-2222-3333-444455556666"',
  })
  .describe('ACM certificate for the load balancer; must cover "*.<zoneName>".');

const DOMAIN_RE = /^(?=.{4,200}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/;
export const dnsSchema = z
  .strictObject({
    zoneId: z
      .string()
      .regex(/^Z[A-Z0-9]{1,31}$/, { error: 'must be a Route 53 hosted zone id such as "Z0123456789ABCDEFGHIJ"' })
      .describe('Route 53 hosted zone id (no look-up is made).'),
    zoneName: z
      .string()
      .regex(DOMAIN_RE, { error: 'must be a lowercase domain name without a trailing dot, e.g. "acme.clinspark.cloud"' })
      .describe('Name of the hosted zone; instances are "<instance>-<environment>.<zoneName>" (see README).'),
    certificateArn: certificateArnSchema,
  })
  .describe('DNS zone and TLS certificate of the web application.');

export const cidrSchema = z
  .string()
  .superRefine((value, ctx) => {
    const parsed = parseCidr(value);
    if (!parsed.ok) {
      ctx.addIssue({ code: 'custom', message: parsed.error });
    }
  })
  .describe('IPv4 CIDR block, e.g. "203.0.113.0/24"; no /0 and nothing broader than /16.');

export const cidrListSchema = z
  .array(cidrSchema)
  .min(1, { error: 'list at least one CIDR block (remove the key to use the default)' })
  .max(50, { error: 'list at most 50 CIDR blocks (security group rule limits)' });

export const maintenanceWindowSchema = z
  .string()
  .superRefine((value, ctx) => {
    const parsed = parseMaintenanceWindow(value);
    if (!parsed.ok) ctx.addIssue({ code: 'custom', message: parsed.error });
  })
  .describe('Weekly maintenance window in UTC, "ddd:hh:mm-ddd:hh:mm" (e.g. "sun:04:00-sun:05:00"), at least 30 minutes.');

export const backupWindowSchema = z
  .string()
  .superRefine((value, ctx) => {
    const parsed = parseBackupWindow(value);
    if (!parsed.ok) ctx.addIssue({ code: 'custom', message: parsed.error });
  })
  .describe(
    'Daily backup window in UTC, "hh:mm-hh:mm" (e.g. "01:00-01:30"), at least 30 minutes; must not overlap the maintenance window.',
  );

const httpsUrl = z.string().regex(/^https:\/\/[^\s/$.?#][^\s]*$/, { error: 'must be an https:// URL' });

export const ssoSchema = z
  .strictObject({
    issuer: httpsUrl.describe('OIDC issuer URL.'),
    authorizationEndpoint: httpsUrl.describe('OIDC authorization endpoint.'),
    tokenEndpoint: httpsUrl.describe('OIDC token endpoint.'),
    userInfoEndpoint: httpsUrl.describe('OIDC user info endpoint.'),
    clientId: z.string().min(1).max(256).describe('OIDC client id (not secret).'),
    clientSecretArn: z
      .string()
      .regex(/^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:[A-Za-z0-9/_+=.@-]+$/, {
        error: 'must be the ARN of a Secrets Manager secret holding the OIDC client secret (never the secret itself)',
      })
      .describe('Secrets Manager secret that holds the OIDC client secret; the value never enters a template.'),
    scope: z
      .string()
      .regex(/^[\x21\x23-\x5b\x5d-\x7e]+( [\x21\x23-\x5b\x5d-\x7e]+)*$/)
      .optional()
      .describe('OIDC scopes. @default "openid"'),
  })
  .describe('Single sign-on in front of the application (ALB authenticate-oidc action).');

/** Fargate CPU units and the memory sizes (MiB) each allows. */
export const FARGATE_SIZES: Record<number, { min: number; max: number; step: number }> = {
  256: { min: 512, max: 2048, step: 512 },
  512: { min: 1024, max: 4096, step: 1024 },
  1024: { min: 2048, max: 8192, step: 1024 },
  2048: { min: 4096, max: 16384, step: 1024 },
  4096: { min: 8192, max: 30720, step: 1024 },
};

export const sizingSchema = z
  .strictObject({
    app: z
      .strictObject({
        cpu: z
          .number()
          .refine((v) => v in FARGATE_SIZES, { error: `must be one of the Fargate CPU sizes ${Object.keys(FARGATE_SIZES).join(', ')}` })
          .optional()
          .describe('Fargate CPU units per task.'),
        memoryMiB: z.number().int().positive().optional().describe('Memory per task in MiB (must be valid for the CPU size).'),
        minTasks: z.number().int().min(0).max(50).optional().describe('Autoscaling lower bound.'),
        maxTasks: z.number().int().min(1).max(50).optional().describe('Autoscaling upper bound.'),
      })
      .optional(),
    database: z
      .strictObject({
        instanceClass: z
          .string()
          .regex(/^db\.[a-z0-9]+\.[a-z0-9]+$/, { error: 'must be an RDS instance class such as "db.r7g.large"' })
          .optional()
          .describe('Instance class (provisioned kinds only: prod).'),
        minAcu: z.number().min(0).max(256).multipleOf(0.5).optional().describe('Serverless v2 minimum ACUs (serverless kinds only).'),
        maxAcu: z.number().min(1).max(256).multipleOf(0.5).optional().describe('Serverless v2 maximum ACUs (serverless kinds only).'),
      })
      .optional(),
  })
  .describe('Capacity overrides; defaults come from the environment catalog.');

/** Overrides every environment (customer or platform) may set. */
const environmentOverrides = {
  release: releaseSchema.optional().describe("Release of this environment. @default the owner's default release"),
  sizing: sizingSchema.optional(),
  maintenanceWindow: maintenanceWindowSchema.optional(),
  backupWindow: backupWindowSchema.optional(),
  sso: ssoSchema.optional(),
  ingress: z
    .strictObject({
      allowedCidrs: cidrListSchema.describe('Client ranges allowed to reach the web application (HTTPS); default: the internet.'),
    })
    .optional()
    .describe('Restricts who may reach the web application.'),
  egress: z
    .strictObject({
      allowedCidrs: cidrListSchema.describe(
        'Ranges the application may open HTTPS (443) connections to beyond the AWS APIs, ' +
          "e.g. the customer's lab-system or randomisation endpoints. Default: none; the " +
          "tasks reach AWS APIs through the VPC's endpoints only.",
      ),
    })
    .optional()
    .describe('Where the application may connect to on the internet (through the NAT gateway). Default: nowhere.'),
  certificateArn: certificateArnSchema.optional().describe('Overrides dns.certificateArn for this environment.'),
  engine: z
    .strictObject({
      version: z
        .string({ error: 'must be a quoted Aurora MySQL version "3.MINOR.PATCH", e.g. version: "3.12.0"' })
        .regex(/^\d+\.\d+\.\d+$/, { error: 'must be an Aurora MySQL version "MAJOR.MINOR.PATCH", e.g. "3.12.0"' })
        .optional()
        .describe(
          'Aurora MySQL version of this environment\'s databases ("3.12.0" = engine ' +
            'version 8.0.mysql_aurora.3.12.0). Changing it upgrades the clusters in place at ' +
            "deploy time; a rollback does not downgrade. @default the environment catalog's " +
            'version',
        ),
      allowMajorUpgrade: z
        .boolean({ error: 'must be true or false' })
        .optional()
        .describe(
          'Explicitly requests a change of the Aurora major version (e.g. 3 -> 4) against ' +
            'the version recorded in the stateful lock; without it validation refuses one. ' +
            'Remove it once deployed. @default false',
        ),
    })
    .optional()
    .describe('Aurora MySQL engine pin (README "Engine upgrades").'),
  emergencyHotfix: z
    .strictObject({
      reason: z.string().min(10, { error: 'give the reason in a sentence (at least 10 characters)' }).max(500),
      reference: z
        .string()
        .regex(/^[A-Za-z0-9][A-Za-z0-9._/-]{1,63}$/, { error: 'must be the change record reference, e.g. "ECR-2026-041"' })
        .describe('The emergency change record that approves running this release before its validation in VAL.'),
    })
    .optional()
    .describe(
      'Runs a release in a change-controlled environment before a VAL of the customer ' +
        'has recorded its validation (releases.yaml). Shown in every report; remove it ' +
        'once the validation is recorded.',
    ),
};

/** A real calendar date "YYYY-MM-DD" (UTC). */
export const isoDate = z
  .string({ error: 'must be a quoted date "YYYY-MM-DD"' })
  .regex(/^\d{4}-\d{2}-\d{2}$/, { error: 'must be a date "YYYY-MM-DD" (quoted)' })
  .refine((v) => !Number.isNaN(Date.parse(`${v}T00:00:00Z`)) && new Date(`${v}T00:00:00Z`).toISOString().startsWith(v), {
    error: 'is not a real calendar date',
  });

/** For editors only (JSON Schema `pattern`); the validator decodes every key with parseSshPublicKey. */
const SSH_KEY_PATTERN =
  /^(ssh-ed25519 AAAAC3NzaC1lZDI1NTE5[A-Za-z0-9+/]+={0,2}|ecdsa-sha2-nistp(256|384|521) AAAA[A-Za-z0-9+/]+={0,2}|ssh-rsa AAAA[A-Za-z0-9+/]{500,}={0,2})( [^\s"]{1,100})?$/
    .source;

function shortKey(value: string): string {
  return value.length > 32 ? `${value.slice(0, 32)}...` : value;
}

/**
 * One OpenSSH public key line, decoded by the same parser the jump host construct uses
 * (constructs/jump-host/ssh-keys.ts): the base64 body must decode, the type inside it must be the
 * type on the line, the key must have the length of its type, RSA at least 3072 bits.
 */
export const sshPublicKeySchema = z
  .string()
  .superRefine((value, ctx) => {
    const parsed = parseSshPublicKey(value);
    if (!parsed.ok) ctx.addIssue({ code: 'custom', message: `'${shortKey(value)}' ${parsed.error}` });
  })
  .meta({ pattern: SSH_KEY_PATTERN })
  .describe(
    'One OpenSSH public key line: "ssh-ed25519 AAAA... comment", ' +
      '"ecdsa-sha2-nistp256 AAAA..." or an RSA key of at least 3072 bits; no options, ' +
      'no line breaks.',
  );

export const readReplicaSchema = z
  .strictObject({
    allowedCidrs: cidrListSchema.describe('Customer ranges allowed to reach the SSH jump host (port 22); nothing else reaches it.'),
    instanceClass: z
      .string()
      .regex(/^db\.[a-z0-9]+\.[a-z0-9]+$/, { error: 'must be an RDS instance class such as "db.r7g.large"' })
      .optional()
      .describe('Instance class of the replica cluster. @default "db.r7g.large"'),
    sshPublicKeys: z
      .array(sshPublicKeySchema)
      .min(1, { error: 'list at least one SSH public key of the customer (the jump host accepts no passwords)' })
      .max(20)
      .describe('Public keys authorised to open the SSH tunnel (port forwarding to the replica only, no shell).'),
    jumpHostAmi: z
      .string()
      .regex(/^ami-[0-9a-f]{8}([0-9a-f]{9})?$/, {
        error: 'must be an AMI id such as "ami-0123456789abcdef0" (Amazon Linux 2023, arm64, of the customer\'s region)',
      })
      .describe('Pinned Amazon Linux 2023 arm64 AMI of the jump host; changing it replaces the host (a planned patch).'),
    schemas: z
      .array(z.string().regex(/^[A-Za-z0-9_$]{1,64}$/, { error: 'must be a schema name (letters, digits, _ and $)' }))
      .min(1)
      .optional()
      .describe('Application schemas the read-only account may read. @default every schema except the system ones'),
    readOnly: z
      .strictObject({
        excludeTables: z
          .array(
            z.string().regex(/^[A-Za-z0-9_$]{1,64}\.[A-Za-z0-9_$]{1,64}$/, { error: 'must be schema.table, e.g. "clinspark.api_tokens"' }),
          )
          .optional()
          .describe('Tables (or views) the read-only account never reads, schema.table; their schema is then granted table by table.'),
        excludeColumns: z
          .array(
            z.string().regex(/^[A-Za-z0-9_$]{1,64}\.[A-Za-z0-9_$]{1,64}\.[A-Za-z0-9_$]{1,64}$/, {
              error: 'must be schema.table.column, e.g. "clinspark.users.password_hash"',
            }),
          )
          .optional()
          .describe("Columns the read-only account never reads, schema.table.column; the table's other columns stay readable."),
      })
      .optional()
      .describe(
        'What the read-only account must not see in its schemas (credential-like tables and columns; docs/read-replica.md lists them).',
      ),
    credentials: z
      .strictObject({
        recipientArn: z
          .string()
          .regex(/^arn:aws[a-z-]*:iam::\d{12}:(user|role)\/[A-Za-z0-9+=,.@_/-]+$/, {
            error:
              'must be the ARN of the IAM user or role of the named person who collects the ' +
              'password, e.g. "arn:aws:iam::123456789012:user/jane.doe"',
          })
          .describe("IAM principal of the named person allowed to read the read-only account's password."),
        issueDate: isoDate.describe('Day the password is issued; changing it re-issues (rotates) the password.'),
        collectionDays: z
          .number()
          .int()
          .min(1)
          .max(30)
          .optional()
          .describe('Days the recipient may collect the password, from the issue date. @default 14'),
        passwordValidityDays: z
          .number()
          .int()
          .min(2)
          .max(365)
          .optional()
          .describe(
            'Days the password is valid from the issue date (PASSWORD EXPIRE INTERVAL); more ' +
              'than collectionDays; re-issue before it ends. @default 90',
          ),
      })
      .describe('Delivery of the read-only account (RO_USER) password to a named person.'),
  })
  .describe(
    'Customer read replica (PROD only): a dedicated, read-only copy of PROD Main, ' +
      "reachable only through an SSH jump host from the customer's ranges.",
  );

/** Where alarm notifications go (constructs/monitoring/alarm-topic.ts). */
export const alarmSubscriptionSchema = z
  .union(
    [
      z.strictObject({
        email: z
          .email({ error: 'must be an e-mail address such as "ops@example.com"' })
          .describe('E-mail address (the recipient confirms the subscription once).'),
      }),
      z.strictObject({
        https: httpsUrl.describe(
          'HTTPS endpoint: a paging integration (e.g. a PagerDuty or Opsgenie CloudWatch/SNS integration URL) or a webhook.',
        ),
      }),
    ],
    { error: 'must be { email: <address> } or { https: <https:// URL> }' },
  )
  .describe(
    'One subscription of the alarm topic: e-mail or an HTTPS endpoint. Chat ' +
      'integrations (Amazon Q Developer in chat applications) subscribe to the topic ' +
      'ARN themselves (stack output AlarmTopicArn).',
  );

const subscriptionListSchema = z
  .array(alarmSubscriptionSchema)
  .min(1, { error: 'list at least one subscription (remove the key to use the default)' })
  .max(20);

export const ownerMonitoringSchema = z
  .strictObject({
    subscriptions: subscriptionListSchema.describe(
      "This owner's own alarm subscriptions, added to the vendor's default (platform.yaml monitoring.subscriptions).",
    ),
  })
  .describe("Alarm notifications of this owner's environments.");

const iamRoleArn = z.string().regex(/^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]{1,512}$/, {
  error: 'must be an IAM role ARN, e.g. arn:aws:iam::012345678901:role/clinspark-support',
});

export const platformMonitoringSchema = z
  .strictObject({
    subscriptions: subscriptionListSchema
      .optional()
      .describe(
        "The vendor's default alarm subscriptions: every environment of every owner " +
          "(customers and platform) notifies them, plus the owner's own.",
      ),
    supportPrincipalArn: iamRoleArn
      .optional()
      .describe(
        "The vendor's support principal (IAM role, usually of the vendor's own account): " +
          "it may assume each environment's read-only support role " +
          'clinspark-<owner>-<environment>-support. Without it no support role is created.',
      ),
    observabilitySinkArn: z
      .string()
      .regex(/^arn:aws[a-z-]*:oam:[a-z0-9-]+:\d{12}:sink\/[A-Za-z0-9-]+$/, {
        error: 'must be a CloudWatch Observability Access Manager sink ARN, e.g. arn:aws:oam:us-east-1:012345678901:sink/0a1b2c3d-...',
      })
      .optional()
      .describe(
        "Sink of the vendor's monitoring account: every owner's account links to it " +
          '(CloudWatch cross-account observability; metrics and log groups). The sink ' +
          'policy in the monitoring account must admit the accounts.',
      ),
  })
  .describe('Vendor-wide monitoring: default alarm subscriptions, the support principal, cross-account observability.');

export const VAL_SOURCES = ['prod', 'preprod'] as const;
export const VAL_METHODS = ['clone', 'snapshot'] as const;

const snapshotIdSchema = z.string().regex(/^(arn:aws[a-z-]*:rds:[a-z0-9-]+:\d{12}:cluster-snapshot:)?(rds:)?[A-Za-z][A-Za-z0-9-]{0,254}$/, {
  error: 'must be a DB cluster snapshot identifier ("clinspark-acme-prod-main-2026-11-20", "rds:..." for automated snapshots) or its ARN',
});

export const dateRangeSchema = z
  .strictObject({
    start: isoDate.describe('First day (UTC), "YYYY-MM-DD".'),
    end: isoDate.describe('Last day (UTC), "YYYY-MM-DD".'),
  })
  .refine((r) => r.start <= r.end, { error: 'end is before start', path: ['end'] });

export const seedSchema = z
  .strictObject({
    volunteers: z
      .number({ error: 'must be a whole number of volunteers, e.g. 200' })
      .int({ error: 'must be a whole number' })
      .min(0, { error: 'must be 0 (no seed) or more' })
      .max(100000, { error: 'at most 100000 synthetic volunteers' })
      .optional()
      .describe('How many synthetic volunteers the seed job creates in each database; 0 = none. @default the environment catalog (200)'),
    seed: z
      .string()
      .regex(/^[A-Za-z0-9._-]{1,64}$/, { error: 'must be a short label (letters, digits, . _ -), e.g. "acme-2026"' })
      .optional()
      .describe('Seed of the generator: the same seed gives the same volunteers. Changing it reseeds. @default the customer slug'),
    schema: z
      .string()
      .regex(/^[A-Za-z0-9._/-]+\.sql$/, {
        error: 'must be the path of an .sql file relative to the configuration directory, e.g. "seed/schema.sql"',
      })
      .optional()
      .describe(
        'Seed schema (CREATE TABLE IF NOT EXISTS statements) relative to the ' +
          'configuration directory, for pointing the seed at the real ClinSpark schema ' +
          '(README "Sandbox seed"). @default the bundled seed schema',
      ),
  })
  .describe('Synthetic volunteers of a Sandbox (or a reseeded Community): plausible, generated, never real.');

const wipeLabel = z.string().regex(/^[a-z0-9](?:[a-z0-9]|-(?=[a-z0-9])){0,19}$/, {
  error: 'must be a short label of lowercase letters, digits and single hyphens, e.g. "2026-12-01" (it becomes part of the cluster name)',
});

export const wipeSchema = z
  .union([
    wipeLabel,
    z.strictObject({
      label: wipeLabel.describe('Label of this wipe; a new label wipes again.'),
      fromSnapshot: snapshotIdSchema
        .optional()
        .describe('A seed or scrubbed cluster snapshot Community is restored from. @default reseeded with synthetic volunteers'),
      seed: seedSchema.optional(),
    }),
  ])
  .describe(
    'Wipes Community: its database is replaced by a new one, restored from a seed or ' +
      'scrubbed snapshot or reseeded. The one kind where replacing data is intended ' +
      '(environment catalog).',
  );

export const initialDataSchema = z
  .union(
    [
      z.strictObject({
        fromPreprodSnapshot: snapshotIdSchema.describe('Cluster snapshot of Pre-PROD Main that PROD Main is restored from at go-live.'),
      }),
      z.strictObject({
        fromPreprod: z
          .literal('clone', { error: 'must be "clone"' })
          .describe('Snapshot Pre-PROD Main at deploy time and restore PROD Main from it.'),
      }),
    ],
    { error: 'must be { fromPreprodSnapshot: <snapshot id> } or { fromPreprod: clone }' },
  )
  .describe(
    "Go-live: PROD Main is created from Pre-PROD's data (real data, not scrubbed), " +
      "encrypted with PROD's own key, with PROD's own credentials; PROD Test is " +
      'created empty. Keep it once PROD exists: removing or changing it would replace ' +
      'PROD Main.',
  );

export const environmentSchemas = {
  sandbox: z
    .strictObject({ ...environmentOverrides, seed: seedSchema.optional() })
    .describe('Sandbox pair: base configuration and dummy volunteers; destroyed at go-live.'),
  migration: z.strictObject({ ...environmentOverrides }).describe('Migration instance: receives the legacy volunteer database (real PII).'),
  preprod: z.strictObject({ ...environmentOverrides }).describe('Pre-PROD instance: staging, becomes PROD Main at go-live.'),
  val: z
    .strictObject({
      ...environmentOverrides,
      source: z
        .enum(VAL_SOURCES, { error: 'must be "prod" or "preprod": the environment VAL is cloned from' })
        .describe('Environment VAL is cloned from (must exist for the customer).'),
      method: z
        .enum(VAL_METHODS, {
          error:
            'must be "clone" (Aurora clone of the source at its latest restorable time) or ' +
            '"snapshot" (restore of pinned cluster snapshots)',
        })
        .optional()
        .describe('How the source data is copied. @default "clone"'),
      snapshots: z
        .strictObject({
          main: snapshotIdSchema.describe("Cluster snapshot VAL Main is restored from (a snapshot of the source's Main)."),
          test: snapshotIdSchema
            .optional()
            .describe("Cluster snapshot VAL Test is restored from (a snapshot of the source's Test, or Main when the source is single)."),
        })
        .optional()
        .describe(
          'Pinned cluster snapshots (method snapshot only). Changing one replaces that VAL database: the documented way to refresh VAL.',
        ),
      refresh: z
        .string()
        .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,39}$/, {
          error: 'must be a short label such as "2026-11-20" or "upgrade-2026.1" (letters, digits, . _ -)',
        })
        .optional()
        .describe(
          'Label of the current refresh (method clone): changing it clones the source again into new VAL databases. @default "initial"',
        ),
      validation: dateRangeSchema
        .optional()
        .describe(
          'The validation window agreed with the customer. After its end, validate warns ' +
            '(and fails with --strict) that VAL should be destroyed or the window extended.',
        ),
      scrubRules: z
        .string()
        .regex(/^[A-Za-z0-9._/-]+\.ya?ml$/, {
          error: 'must be the path of a rules YAML file relative to the configuration directory, e.g. "scrub/volunteers.rules.yaml"',
        })
        .describe(
          'PII scrub rules applied to every VAL database before anyone can reach it (path relative to the configuration directory).',
        ),
    })
    .describe('VAL pair: clone of PROD or Pre-PROD with the new release and volunteer PII scrambled.'),
  prod: z
    .strictObject({
      ...environmentOverrides,
      readReplica: readReplicaSchema.optional(),
      initialData: initialDataSchema.optional(),
    })
    .describe('PROD pair: the live system.'),
};

export const customerEnvironmentsSchema = z
  .strictObject({
    sandbox: environmentSchemas.sandbox.optional(),
    migration: environmentSchemas.migration.optional(),
    preprod: environmentSchemas.preprod.optional(),
    val: environmentSchemas.val.optional(),
    prod: environmentSchemas.prod.optional(),
  })
  .describe('The environments this customer has now, keyed by kind.');

export const customerSchema = z
  .strictObject({
    $schema: z.string().optional().describe('Path of this JSON Schema, for editors.'),
    slug: slugSchema,
    displayName: z.string().min(2).max(100).describe('Customer name as shown in reports.'),
    aws: awsSchema,
    release: releaseSchema.describe("Default release of the customer's environments."),
    image: imageSchema,
    dns: dnsSchema,
    usesCommunity: z.boolean().optional().describe("The customer's users also use the shared Community instance. @default false"),
    environments: customerEnvironmentsSchema,
    monitoring: ownerMonitoringSchema.optional(),
  })
  .meta({ title: 'ClinSpark customer', description: 'One customer of the ClinSpark hosting fleet: config/customers/<slug>.yaml' });

export const demoSchema = z
  .strictObject({
    name: slugSchema.describe('Name of this Demo instance, e.g. "r2025-2" (unique).'),
    ...environmentOverrides,
  })
  .describe('A vendor Demo instance, usually one per release.');

export const platformSchema = z
  .strictObject({
    $schema: z.string().optional().describe('Path of this JSON Schema, for editors.'),
    displayName: z.string().min(2).max(100).optional().describe('Name of the vendor platform in reports. @default "ClinSpark platform"'),
    aws: awsSchema,
    release: releaseSchema.describe('Default release of the platform instances.'),
    image: imageSchema,
    dns: dnsSchema,
    demos: z.array(demoSchema).max(20).optional().describe('Demo instances, each on its own release.'),
    community: z
      .strictObject({ ...environmentOverrides, wipe: wipeSchema.optional(), seed: seedSchema.optional() })
      .optional()
      .describe('The shared Community instance (obfuscated data only; may be wiped).'),
    monitoring: platformMonitoringSchema.optional(),
  })
  .meta({ title: 'ClinSpark platform', description: 'Vendor-owned instances (Demo, Community): config/platform.yaml' });

export type Release = z.output<typeof releaseSchema>;
export type Sizing = z.output<typeof sizingSchema>;
export type SsoConfig = z.output<typeof ssoSchema>;
export type AwsPlacement = z.output<typeof awsSchema>;
export type DnsConfig = z.output<typeof dnsSchema>;
export type CustomerConfig = z.output<typeof customerSchema>;
export type PlatformConfig = z.output<typeof platformSchema>;
export type DemoConfig = z.output<typeof demoSchema>;
export type ReadReplicaConfig = z.output<typeof readReplicaSchema>;
export type AlarmSubscriptionConfig = z.output<typeof alarmSubscriptionSchema>;
export type PlatformMonitoringConfig = z.output<typeof platformMonitoringSchema>;
export type ValConfig = z.output<typeof environmentSchemas.val>;
export type SeedConfig = z.output<typeof seedSchema>;
export type WipeConfig = z.output<typeof wipeSchema>;
export type InitialDataConfig = z.output<typeof initialDataSchema>;
export type DateRange = z.output<typeof dateRangeSchema>;
export type CustomerEnvironments = CustomerConfig['environments'];
/** The overrides common to every environment (platform ones included). */
export type EnvironmentOverrides = z.output<z.ZodObject<typeof environmentOverrides>>;

/** A loaded, validated fleet; a customer comes from `customers/<slug>.yaml`, the platform from `platform.yaml`. */
export interface Fleet {
  readonly configDir: string;
  readonly customers: readonly CustomerConfig[];
  readonly platform?: PlatformConfig;
  /** The release ledger (releases.yaml), when the fleet has one (lib/config/releases.ts). */
  readonly releases?: import('./releases').ReleaseLedger;
  /**
   * Texts of the files the configuration references (scrub rules, seed schemas) as validation read
   * them, keyed by their path relative to configDir; resolution uses these rather than reading again.
   */
  readonly files?: ReadonlyMap<string, string>;
  /** Warnings of the validation (the fleet is valid; `validate --strict` fails on them). */
  readonly warnings?: readonly import('./issues').ConfigIssue[];
}
