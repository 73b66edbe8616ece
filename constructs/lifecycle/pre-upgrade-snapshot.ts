import { CustomResource } from 'aws-cdk-lib';
import * as kms from 'aws-cdk-lib/aws-kms';
import { Construct, IConstruct } from 'constructs';
import { ClinSparkPropsError } from '../core/errors';
import { ClusterSnapshotProvider } from './cluster-snapshot-provider';
import { CLUSTER_SNAPSHOT_RESOURCE_TYPE, MAX_SNAPSHOT_IDENTIFIER_LENGTH, PRE_UPGRADE_INFIX, isSnapshotIdentifier } from './snapshot-names';

export { CLUSTER_SNAPSHOT_RESOURCE_TYPE };

export interface PreUpgradeSnapshotProps {
  readonly provider: ClusterSnapshotProvider;
  /** The database cluster's fixed identifier (lib/naming.ts clusterIdentifier()). */
  readonly clusterIdentifier: string;
  /** The cluster's storage key (the snapshot is encrypted with it by RDS). */
  readonly clusterKey: kms.IKey;
  /** The environment's release as `<version>-b<build>` (spec.release.imageTag). */
  readonly release: string;
  /** The cluster's EngineVersion, e.g. `8.0.mysql_aurora.3.12.0` (spec.engine.fullVersion). */
  readonly engineVersion: string;
  /** Tags of the snapshot besides the handler's own (the environment's `clinspark:*` tags). */
  readonly tags: Readonly<Record<string, string>>;
}

/**
 * A manual cluster snapshot taken before the release or the Aurora engine version of a
 * change-controlled environment changes (handler: constructs/lifecycle/handler/cluster-snapshot.ts,
 * Mode pre-upgrade). `protect(database)` makes the database cluster (and its instances) depend on
 * it, so an engine change is applied only once the snapshot is available; the app stack depends on
 * the data stack, so the services roll after that too.
 *
 * The snapshot is named `<cluster>-pre-<new release>-from-<old release>` (an engine change alone:
 * `<cluster>-pre-aurora-<new>-from-aurora-<old>`), `snapshotIdentifier` is its name (`none` while
 * no snapshot has been taken: a new cluster). The snapshot stays when the resource is deleted.
 */
export class PreUpgradeSnapshot extends Construct {
  readonly resource: CustomResource;
  /** The identifier of the latest pre-upgrade snapshot, or `none` (a CloudFormation attribute). */
  readonly snapshotIdentifier: string;

  constructor(scope: Construct, id: string, props: PreUpgradeSnapshotProps) {
    super(scope, id);
    const prefix = `${props.clusterIdentifier}${PRE_UPGRADE_INFIX}`;
    // The name pattern `<cluster>-pre-*` the grant names must leave room for a name (and its hash).
    if (!isSnapshotIdentifier(props.clusterIdentifier) || prefix.length > MAX_SNAPSHOT_IDENTIFIER_LENGTH - 8) {
      throw new ClinSparkPropsError(
        this,
        `'clusterIdentifier' is '${props.clusterIdentifier}'; use a cluster identifier ` +
          `of at most ${MAX_SNAPSHOT_IDENTIFIER_LENGTH - 8 - PRE_UPGRADE_INFIX.length} ` +
          `characters (its snapshots are named '<cluster>-pre-...')`,
      );
    }
    if (!props.release.trim() || !props.engineVersion.trim())
      throw new ClinSparkPropsError(this, "'release' and 'engineVersion' must not be empty: they decide when a snapshot is taken");
    props.provider.grant({
      clusterIdentifier: props.clusterIdentifier,
      snapshotIdentifier: `${prefix}*`,
      key: props.clusterKey,
      patternReason:
        `Pre-upgrade snapshots of ${props.clusterIdentifier} only: each is named after ` +
        `the release it protects (${prefix}<new>-from-<old>), which is known only when ` +
        `the release changes; the pattern covers that cluster's pre-upgrade snapshots ` +
        `and no other.`,
    });
    this.resource = new CustomResource(this, 'Resource', {
      serviceToken: props.provider.serviceToken,
      resourceType: CLUSTER_SNAPSHOT_RESOURCE_TYPE,
      properties: {
        Mode: 'pre-upgrade',
        ClusterIdentifier: props.clusterIdentifier,
        Release: props.release,
        EngineVersion: props.engineVersion,
        Tags: { ...props.tags },
      },
    });
    this.snapshotIdentifier = this.resource.getAttString('SnapshotIdentifier');
  }

  /** Makes `database` (a cluster construct: the cluster, its instances) wait for this snapshot. */
  protect(database: IConstruct): void {
    database.node.addDependency(this.resource);
  }
}
