import { ArnFormat, CustomResource, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { grantSecretRead } from '../core/grants';
import type { ClinSparkDatabase } from './clinspark-database';
import { PASSWORD_EXCLUDED_CHARACTERS, rotationSecurityGroup } from './hosted-rotation';

/** Application account handling, done by the account custom resource. */
export interface ApplicationAccountOptions {
  /** Provider (service token) of the account custom resource (constructs/database/handler/app-account.ts). */
  readonly serviceToken: string;
  /** Security-group holder of the handler (gets MySQL access to this cluster). */
  readonly handler: ec2.IConnectable & iam.IGrantable;
  /**
   * Lock every other non-system account (VAL: no account of the source database may work).
   * @default false
   */
  readonly lockOtherAccounts?: boolean;
}

export interface ApplicationAccountProps extends ApplicationAccountOptions {
  /** The account's name in the database (and in its secret). */
  readonly username: string;
  /**
   * The cluster is a restored copy (snapshot or point-in-time): the account resource also sets
   * the cluster's own master password (through the RDS API) before anything else connects.
   */
  readonly restored: boolean;
  /** Rotation period of the account's secret (multi-user rotation). */
  readonly rotationPeriod: Duration;
  /** The VPC of the database (the hosted rotation function runs in it). */
  readonly vpc: ec2.IVpc;
  /** Subnets of the hosted rotation function (need Secrets Manager access). */
  readonly rotationSubnets: ec2.SubnetSelection;
  /** Physical identifier of the database's cluster (the master password reset names it). */
  readonly clusterIdentifier: string;
  /** What happens to the secret when it leaves the stack (the database's key removal policy). */
  readonly removalPolicy: RemovalPolicy;
  /** Short description for resource descriptions, e.g. "acme/prod main". */
  readonly description: string;
}

/**
 * The application's own database account: a secret of its own (never the master one, encrypted
 * with the database's key), created in the database by the account custom resource
 * (`Custom::ClinSparkApplicationAccount`, which also resets the master password of a restored
 * copy and, for VAL, locks every other account), rotated with the multi-user strategy by a
 * hosted rotation function whose security group reaches only AWS APIs and this cluster.
 *
 * This construct is the custom resource itself, with the id `ApplicationAccount` in the
 * database's scope; the secret (`ApplicationSecret`) and the rotation's security group
 * (`ApplicationRotationSecurityGroup`) are created beside it in the same scope. Those ids (and so
 * the logical ids recorded in the stateful lock) are those the database had before this construct
 * existed: the scope must be the ClinSparkDatabase.
 */
export class ApplicationAccount extends CustomResource {
  /** The account's secret (username, password, dbname, engine; attached to the cluster: host and port too). */
  readonly secret: secretsmanager.Secret;

  constructor(database: ClinSparkDatabase, id: string, props: ApplicationAccountProps) {
    const secret = new secretsmanager.Secret(database, 'ApplicationSecret', {
      description: `ClinSpark ${props.description}: application database account`,
      encryptionKey: database.key,
      removalPolicy: props.removalPolicy,
      generateSecretString: {
        secretStringTemplate: JSON.stringify({ username: props.username, dbname: database.databaseName, engine: 'mysql' }),
        generateStringKey: 'password',
        passwordLength: 40,
        excludeCharacters: PASSWORD_EXCLUDED_CHARACTERS,
      },
    });
    const attached = secret.attach(database.cluster);
    super(database, id, {
      serviceToken: props.serviceToken,
      resourceType: 'Custom::ClinSparkApplicationAccount',
      properties: {
        MasterSecretArn: database.masterSecret.secretArn,
        AccountSecretArn: attached.secretArn,
        DatabaseName: database.databaseName,
        LockOtherAccounts: String(props.lockOtherAccounts ?? false),
        ResetMasterPassword: String(props.restored),
        ClusterIdentifier: props.clusterIdentifier,
      },
    });
    this.secret = secret;
    this.node.addDependency(database.cluster);

    const rotationFunction = secretsmanager.HostedRotation.mysqlMultiUser({
      masterSecret: database.masterSecret,
      vpc: props.vpc,
      vpcSubnets: props.rotationSubnets,
      securityGroups: [
        rotationSecurityGroup(database, 'ApplicationRotationSecurityGroup', props.vpc, `${props.description}: application secret rotation`),
      ],
      excludeCharacters: PASSWORD_EXCLUDED_CHARACTERS,
    });
    const rotation = attached.addRotationSchedule('Rotation', {
      hostedRotation: rotationFunction,
      automaticallyAfter: props.rotationPeriod,
    });
    rotation.node.addDependency(this);
    database.allowMySqlFrom(rotationFunction, 'application secret rotation');

    grantSecretRead(database.masterSecret, database.key, props.handler);
    grantSecretRead(secret, database.key, props.handler);
    if (props.restored) {
      props.handler.grantPrincipal.addToPrincipalPolicy(
        new iam.PolicyStatement({
          actions: ['rds:ModifyDBCluster', 'rds:DescribeDBClusters'],
          resources: [
            Stack.of(database).formatArn({
              service: 'rds',
              resource: 'cluster',
              resourceName: props.clusterIdentifier,
              arnFormat: ArnFormat.COLON_RESOURCE_NAME,
            }),
          ],
        }),
      );
    }
    database.allowMySqlFrom(props.handler, 'application account custom resource');
  }
}
