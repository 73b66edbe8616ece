import { Construct } from 'constructs';
import { ClinSparkInstance, ClinSparkInstanceProps } from './clinspark-instance';

/** What differs between Main and Test: everything that holds or reaches data. */
export type PairMemberProps = Pick<ClinSparkInstanceProps, 'database' | 'logGroup' | 'hostName' | 'sso' | 'environment' | 'scrubEvidence'>;

export interface InstancePairProps extends Omit<ClinSparkInstanceProps, 'role' | 'priority' | keyof PairMemberProps> {
  /** What Main has of its own (database, log group, host name, SSO, environment). */
  readonly main: PairMemberProps;
  /** What Test has of its own (database, log group, host name, SSO, environment). */
  readonly test: PairMemberProps;
  /** Listener priority of Main; Test gets the next one. @default 10 */
  readonly basePriority?: number;
}

/**
 * Main and Test of one environment: two ClinSparkInstances, each with its own database, log
 * group and roles, sharing the environment's VPC, ECS cluster and load balancer (host-based
 * routing). Neither can reach the other's database or read the other's secret: each service's
 * security group is admitted only by its own database, and each execution role can read only
 * its own application secret.
 */
export class InstancePair extends Construct {
  readonly main: ClinSparkInstance;
  readonly test: ClinSparkInstance;

  constructor(scope: Construct, id: string, props: InstancePairProps) {
    super(scope, id);
    const { main, test, basePriority, ...shared } = props;
    if (main.database === test.database) throw new Error(`${this.node.path}: Main and Test must each have their own database`);
    const priority = basePriority ?? 10;
    this.main = new ClinSparkInstance(this, 'Main', { ...shared, ...main, role: 'main', priority });
    this.test = new ClinSparkInstance(this, 'Test', { ...shared, ...test, role: 'test', priority: priority + 1 });
  }
}
