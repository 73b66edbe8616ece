import { CustomResource } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { ClinSparkPropsError } from '../core/errors';
import { ClusterSnapshotProvider } from './cluster-snapshot-provider';
import { CLUSTER_SNAPSHOT_RESOURCE_TYPE, goLiveSnapshotIdentifier, isSnapshotIdentifier } from './snapshot-names';

export interface GoLiveSnapshotProps {
  readonly provider: ClusterSnapshotProvider;
  /** The cluster whose data the new database starts with (Pre-PROD Main, a fixed name). */
  readonly sourceClusterIdentifier: string;
  /**
   * The tags of the source cluster's storage key (it lives in the source's stack):
   * `clinspark:customer` and `clinspark:environment` of the source environment.
   */
  readonly sourceKeyTags: Readonly<Record<string, string>>;
  /** Tags of the snapshot besides the handler's own (the environment's `clinspark:*` tags). */
  readonly tags: Readonly<Record<string, string>>;
}

/**
 * Go-live with `fromPreprod: clone`: one manual snapshot of the source cluster, taken at deploy
 * time, that the new database is restored from (handler: constructs/lifecycle/handler/cluster-snapshot.ts,
 * Mode go-live). Its name is fixed, `<source cluster>-golive`; it is taken once, on Create: an
 * Update never takes another (PROD Main was restored from the first), and Delete keeps it.
 */
export class GoLiveSnapshot extends Construct {
  readonly resource: CustomResource;
  /** The snapshot's identifier (a CloudFormation attribute: the restore waits for it). */
  readonly snapshotIdentifier: string;

  constructor(scope: Construct, id: string, props: GoLiveSnapshotProps) {
    super(scope, id);
    const name = goLiveSnapshotIdentifier(props.sourceClusterIdentifier);
    if (!isSnapshotIdentifier(name))
      throw new ClinSparkPropsError(
        this,
        `'sourceClusterIdentifier' is '${props.sourceClusterIdentifier}'; its go-live ` +
          `snapshot name '${name}' is not a valid snapshot identifier`,
      );
    for (const tag of ['clinspark:customer', 'clinspark:environment'])
      if (!props.sourceKeyTags[tag])
        throw new ClinSparkPropsError(this, `'sourceKeyTags' has no '${tag}'; name the source environment's key by its tags`);
    props.provider.grant({
      clusterIdentifier: props.sourceClusterIdentifier,
      snapshotIdentifier: name,
      key: { tags: props.sourceKeyTags },
    });
    this.resource = new CustomResource(this, 'Resource', {
      serviceToken: props.provider.serviceToken,
      resourceType: CLUSTER_SNAPSHOT_RESOURCE_TYPE,
      properties: {
        Mode: 'go-live',
        ClusterIdentifier: props.sourceClusterIdentifier,
        SnapshotIdentifier: name,
        Tags: { ...props.tags },
      },
    });
    this.snapshotIdentifier = this.resource.getAttString('SnapshotIdentifier');
  }
}
