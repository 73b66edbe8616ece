/**
 * Every parameter any ClinSpark database sets is a real, modifiable Aurora MySQL 3 parameter at the
 * level it is set at, checked against the committed table from the Aurora user guide
 * (constructs/database/aurora-mysql-parameters.json). CloudFormation's RDS handler refuses a
 * parameter group with an unknown or unmodifiable name at deploy time; this is the offline check.
 */
import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import { ClinSparkDatabase, ClinSparkDatabaseProps } from '../../constructs/database/clinspark-database';
import {
  PROTECTED_PARAMETERS,
  auroraParameterTable,
  checkParameters,
  clusterParameters,
  instanceParameters,
  parameterProblem,
} from '../../constructs/database/parameters';
import { offlineApp } from '../../lib/offline-app';
import { buildTestFleet, validatedFleets } from '../support/fleet';

function parameterGroups(
  configDir: string,
): Array<{ stack: string; id: string; level: 'cluster' | 'instance'; parameters: Record<string, string> }> {
  // The one synthesis per run of each of these fleets with CDK's template validator on (see test/support/fleet.ts).
  const fleet = buildTestFleet({ configDir, validate: true });
  const out = [];
  for (const name of fleet.stacks.keys()) {
    const resources = fleet.template(name).toJSON().Resources as Record<
      string,
      { Type: string; Properties: { Parameters?: Record<string, string> } }
    >;
    for (const [id, r] of Object.entries(resources)) {
      if (r.Type === 'AWS::RDS::DBClusterParameterGroup')
        out.push({ stack: name, id, level: 'cluster' as const, parameters: r.Properties.Parameters ?? {} });
      if (r.Type === 'AWS::RDS::DBParameterGroup')
        out.push({ stack: name, id, level: 'instance' as const, parameters: r.Properties.Parameters ?? {} });
    }
  }
  return out;
}

describe('the committed Aurora MySQL parameter table', () => {
  test('cites its source and holds both levels, with the names this project relies on', () => {
    const table = auroraParameterTable();
    expect(table.source.url).toBe(
      'https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/AuroraMySQL.Reference.ParameterGroups.html',
    );
    expect(table.parameters.filter((p) => p.level === 'cluster').length).toBeGreaterThan(100);
    expect(table.parameters.filter((p) => p.level === 'instance').length).toBeGreaterThan(250);
    const row = (name: string) => table.parameters.find((p) => p.name === name);
    expect(row('gtid-mode')).toMatchObject({ level: 'cluster' });
    expect(row('gtid_mode')).toBeUndefined();
    expect(row('binlog_row_image')).toMatchObject({ level: 'cluster', modifiable: 'No' });
  });

  test('the defects it exists to catch are refused: wrong spelling, unmodifiable, wrong level, removed in version 3', () => {
    expect(parameterProblem('cluster', 'gtid_mode')).toMatch(
      /not an Aurora MySQL parameter name \(the parameter group spells it 'gtid-mode'\)/,
    );
    expect(parameterProblem('cluster', 'binlog_row_image')).toMatch(/not modifiable/);
    expect(parameterProblem('instance', 'tls_version')).toMatch(/cluster-level parameter/);
    expect(parameterProblem('cluster', 'query_cache_type')).toMatch(/does not exist in Aurora MySQL version 3/);
    expect(parameterProblem('cluster', 'gtid-mode')).toBeUndefined();
  });

  test("the construct's own parameters pass the table at the level they are set", () => {
    expect(checkParameters('cluster', clusterParameters({ replicationSource: true }))).toEqual([]);
    expect(checkParameters('cluster', clusterParameters({ replicationSource: false }))).toEqual([]);
    expect(checkParameters('instance', instanceParameters())).toEqual([]);
  });

  const fleets = validatedFleets();
  test.each(fleets)('every parameter group synthesised for %s sets only modifiable parameters at their level', (configDir) => {
    const groups = parameterGroups(configDir);
    expect(groups.some((g) => g.level === 'cluster')).toBe(true);
    expect(groups.some((g) => g.level === 'instance')).toBe(true);
    const problems = groups.flatMap((g) => checkParameters(g.level, g.parameters).map((p) => `${g.stack}/${g.id}: ${p}`));
    expect(problems).toEqual([]);
  });
});

describe('ClinSparkDatabase extraParameters', () => {
  function build(extraParameters: Record<string, string>): () => void {
    return () => {
      const app = offlineApp({ withoutBuiltinValidation: true });
      const stack = new Stack(app, 'S', { env: { account: '123456789012', region: 'eu-west-1' } });
      const vpc = new ec2.Vpc(stack, 'Vpc', {
        availabilityZones: ['eu-west-1a', 'eu-west-1b'],
        natGateways: 0,
        subnetConfiguration: [{ name: 'db', subnetType: ec2.SubnetType.PRIVATE_ISOLATED }],
      });
      const logKey = new kms.Key(stack, 'LogKey');
      const props: ClinSparkDatabaseProps = {
        vpc,
        subnets: { subnetType: ec2.SubnetType.PRIVATE_ISOLATED },
        rotationSubnets: { subnetType: ec2.SubnetType.PRIVATE_ISOLATED },
        clusterIdentifier: 'clinspark-test-db',
        capacity: { mode: 'serverless', minAcu: 0.5, maxAcu: 2, autoPause: Duration.hours(1) },
        backupRetention: Duration.days(1),
        backupWindow: '03:00-03:30',
        maintenanceWindow: 'sun:05:00-sun:06:00',
        removalPolicy: RemovalPolicy.DESTROY,
        deletionProtection: false,
        keyRemovalPolicy: RemovalPolicy.DESTROY,
        logKey,
        logRetention: logs.RetentionDays.ONE_MONTH,
        logRemovalPolicy: RemovalPolicy.DESTROY,
        monitoringInterval: Duration.seconds(60),
        description: 'test',
        extraParameters,
      };
      new ClinSparkDatabase(stack, 'Db', props);
    };
  }

  test.each(PROTECTED_PARAMETERS)('may not override the TLS or audit parameter %s', (name) => {
    expect(build({ [name]: 'OFF' })).toThrow(/TLS and audit parameters are fixed by the construct/);
  });

  test('refuses a name Aurora does not know, naming the right spelling', () => {
    expect(build({ gtid_mode: 'ON' })).toThrow(
      /'gtid_mode' is not an Aurora MySQL parameter name \(the parameter group spells it 'gtid-mode'\)/,
    );
  });

  test('refuses an unmodifiable or instance-level parameter', () => {
    expect(build({ binlog_row_image: 'MINIMAL' })).toThrow(/not modifiable/);
    expect(build({ slow_query_log: '0' })).toThrow(/instance-level parameter/);
  });

  test('accepts a modifiable cluster-level parameter', () => {
    expect(build({ read_only: '1' })).not.toThrow();
  });
});
