/**
 * Everything about a customer's read replica that is decided by configuration alone: names (stack,
 * clusters, DNS, secret), the tunnel, the collection window. The replica stack builds from it and
 * the customer guide (`npx clinspark replica-guide`) prints from it, offline, so the two cannot
 * disagree. These names are an external contract (the customer writes them into BI tools and
 * firewall rules): changing one is a change for the customer.
 *
 * - DNS: `jump-<environment>.<zone>` (A record, the jump host's Elastic IP) and
 *   `replica-<environment>.<zone>` (CNAME to the replica cluster endpoint; it resolves to a private
 *   address, so it only works through the tunnel, and it is the one target the tunnel permits).
 * - Clusters: PROD Main is `clinspark-<owner>-<environment>-main`; the replica is
 *   `clinspark-<owner>-<environment>-replica`.
 * - Secret: `clinspark-<owner>-<environment>-replica/<RO user>` in the PROD account and region.
 */
import { TUNNEL_USER } from '../constructs/jump-host/host-config';
import {
  collectionWindow,
  DEFAULT_COLLECTION_DAYS,
  DEFAULT_READ_ONLY_USERNAME,
  defaultReadOnlySecretName,
  passwordExpiry,
} from '../constructs/read-replica/credentials';
import { RegionInfo } from 'aws-cdk-lib/region-info';
import type { ReadReplicaConfig } from './config/model';
import type { EnvironmentSpec } from './environments';
import { clusterIdentifier as mainClusterIdentifier, replicaClusterIdentifier, replicaHostNames, stackName } from './naming';

export const REPLICA_PORT = 3306;
export const DEFAULT_REPLICA_INSTANCE_CLASS = 'db.r7g.large';

export interface ReadReplicaPlan {
  readonly owner: string;
  readonly ownerDisplayName: string;
  /** Environment name (`prod`). */
  readonly environment: string;
  readonly account: string;
  readonly region: string;
  readonly stackName: string;
  readonly sourceClusterIdentifier: string;
  readonly clusterIdentifier: string;
  readonly instanceClass: string;
  readonly jumpHostName: string;
  readonly replicaHostName: string;
  readonly port: number;
  readonly tunnelUser: string;
  readonly allowedCidrs: readonly string[];
  readonly readOnlyUsername: string;
  readonly secretName: string;
  /** The secret's ARN with Secrets Manager's random 6-character suffix as `??????`. */
  readonly secretArnPattern: string;
  readonly recipientArn: string;
  readonly issueDate: string;
  readonly collectionDays: number;
  /** ISO 8601 UTC; the recipient can read the secret from this instant... */
  readonly collectionOpensAt: string;
  /** ...until this one (exclusive). */
  readonly collectionClosesAt: string;
  /** undefined = every application schema. */
  readonly schemas?: readonly string[];
  /** Days the password is valid from the issue date. */
  readonly passwordValidityDays: number;
  /** `YYYY-MM-DD` (UTC): the password expires at 00:00 UTC of this day; re-issue before. */
  readonly passwordExpiresOn: string;
  /** `schema.table` the read-only account never reads. */
  readonly excludeTables: readonly string[];
  /** `schema.table.column` the read-only account never reads. */
  readonly excludeColumns: readonly string[];
  /** The jump host's pinned AMI (Amazon Linux 2023, arm64). */
  readonly jumpHostAmi: string;
  /** OpenSSH public keys authorised to open the tunnel. */
  readonly sshPublicKeys: readonly string[];
}

/** What the plan needs of the environment (resolution builds the plan before the spec exists). */
type PlanInputs = Pick<EnvironmentSpec, 'owner' | 'ownerDisplayName' | 'name' | 'account' | 'region' | 'dns'>;

/** Days the read-only account's password is valid when the configuration does not say. */
export const DEFAULT_PASSWORD_VALIDITY_DAYS = 90;

/** The read replica plan of an environment, or undefined when it has none (resolved once, in lib/environments.ts). */
export function readReplicaPlan(spec: EnvironmentSpec): ReadReplicaPlan | undefined {
  return spec.readReplica;
}

/**
 * Builds the plan from the validated configuration, every default applied here and nowhere else
 * (called by resolution; stacks, the guide and the reports read the result on EnvironmentSpec).
 */
export function buildReadReplicaPlan(spec: PlanInputs, config: ReadReplicaConfig): ReadReplicaPlan {
  const clusterIdentifier = replicaClusterIdentifier(spec.owner, spec.name);
  const hosts = replicaHostNames(spec.name, spec.dns.zoneName);
  const readOnlyUsername = DEFAULT_READ_ONLY_USERNAME;
  const secretName = defaultReadOnlySecretName(clusterIdentifier, readOnlyUsername);
  const collectionDays = config.credentials.collectionDays ?? DEFAULT_COLLECTION_DAYS;
  const { opensAt, closesAt } = collectionWindow(config.credentials.issueDate, collectionDays);
  const passwordValidityDays = config.credentials.passwordValidityDays ?? DEFAULT_PASSWORD_VALIDITY_DAYS;
  const partition = RegionInfo.get(spec.region).partition ?? 'aws';
  return {
    owner: spec.owner,
    ownerDisplayName: spec.ownerDisplayName,
    environment: spec.name,
    account: spec.account,
    region: spec.region,
    stackName: stackName(spec.owner, spec.name, 'replica'),
    sourceClusterIdentifier: mainClusterIdentifier(spec.owner, spec.name, 'main'),
    clusterIdentifier,
    instanceClass: config.instanceClass ?? DEFAULT_REPLICA_INSTANCE_CLASS,
    jumpHostName: hosts.jumpHost,
    replicaHostName: hosts.replica,
    port: REPLICA_PORT,
    tunnelUser: TUNNEL_USER,
    allowedCidrs: config.allowedCidrs,
    readOnlyUsername,
    secretName,
    secretArnPattern: `arn:${partition}:secretsmanager:${spec.region}:${spec.account}:secret:${secretName}-??????`,
    recipientArn: config.credentials.recipientArn,
    issueDate: config.credentials.issueDate,
    collectionDays,
    collectionOpensAt: opensAt,
    collectionClosesAt: closesAt,
    schemas: config.schemas,
    passwordValidityDays,
    passwordExpiresOn: passwordExpiry(config.credentials.issueDate, passwordValidityDays),
    excludeTables: config.readOnly?.excludeTables ?? [],
    excludeColumns: config.readOnly?.excludeColumns ?? [],
    jumpHostAmi: config.jumpHostAmi,
    sshPublicKeys: config.sshPublicKeys,
  };
}
