import { Construct } from 'constructs';
import { LogEncryptionKey } from '../../constructs/encryption/log-encryption-key';
import { ClinSparkNetwork } from '../../constructs/network/clinspark-network';
import { EnvironmentSpec } from '../environments';
import { ClinSparkStack } from './clinspark-stack';

/**
 * The stateful layer of one environment: network, encryption keys, databases, secrets and logs.
 * It changes rarely and only on purpose; the app stack (load balancer, ECS) can be replaced or
 * redeployed at will without any path to this data. Construct ids in this stack are frozen: they
 * decide the logical ids of stateful resources (see test/stateful-lock).
 */
export class EnvironmentDataStack extends ClinSparkStack {
  readonly logKey: LogEncryptionKey;
  readonly network: ClinSparkNetwork;

  constructor(scope: Construct, spec: EnvironmentSpec) {
    super(scope, { spec, layer: 'data', stackName: spec.stackNames.data });
    const policy = spec.policy;

    this.logKey = new LogEncryptionKey(this, 'LogKey', {
      description: `ClinSpark ${spec.id}: CloudWatch Logs encryption`,
      removalPolicy: policy.stateful.keysAndSecrets,
    });

    this.network = new ClinSparkNetwork(this, 'Network', {
      availabilityZones: spec.availabilityZones,
      natGateways: spec.natGateways,
      logKey: this.logKey.key,
      flowLogRetention: policy.logRetention,
      logRemovalPolicy: policy.stateful.logs,
    });
  }
}
