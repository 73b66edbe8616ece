/**
 * `--deployed <dir>` (lib/evidence/deployed.ts): the AWS CLI's describe outputs are read by their
 * top-level key; an item that is not what the AWS CLI writes is refused naming the file, the
 * item's path and the fix, never a TypeError.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { DeployedError, readDeployed } from '../../lib/evidence/deployed';

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

function deployedDir(files: Record<string, unknown>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'clinspark-deployed-'));
  dirs.push(dir);
  for (const [name, json] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), JSON.stringify(json));
  return dir;
}

test('describe outputs are read by their top-level key; a resource never created has no physical id', () => {
  const dir = deployedDir({
    'a.json': { Stacks: [{ StackName: 'S', EnableTerminationProtection: true, Tags: [{ Key: 'k', Value: 'v' }], Outputs: [] }] },
    'b.json': {
      StackResources: [
        { StackName: 'S', LogicalResourceId: 'Db', PhysicalResourceId: 'clinspark-x' },
        { StackName: 'S', LogicalResourceId: 'Failed', ResourceStatus: 'CREATE_FAILED' },
      ],
    },
    'c.json': { DBClusters: [{ DBClusterIdentifier: 'clinspark-x', DeletionProtection: true }] },
    'd.json': { DBInstances: [{ DBInstanceIdentifier: 'clinspark-x-w' }] },
  });
  const state = readDeployed(dir);
  expect(state.stacks.get('S')).toMatchObject({ EnableTerminationProtection: true, Tags: [{ Key: 'k', Value: 'v' }], Outputs: [] });
  expect([...state.physicalIds]).toEqual([['S/Db', 'clinspark-x']]);
  expect(state.clusters.get('clinspark-x')).toMatchObject({ DeletionProtection: true });
  expect([...state.instances.keys()]).toEqual(['clinspark-x-w']);
  expect(state.files.map((f) => f.kind)).toEqual(['Stacks', 'StackResources', 'DBClusters', 'DBInstances']);
});

test.each(['null', '5', '"Stacks"', '[]'])('a file whose top level is %s is refused naming the file and what it should hold', (text) => {
  const dir = deployedDir({});
  fs.writeFileSync(path.join(dir, 'x.json'), text);
  const read = () => readDeployed(dir);
  expect(read).toThrow(DeployedError);
  expect(read).toThrow(`--deployed ${path.join(dir, 'x.json')}: none of Stacks, StackResources, DBClusters, DBInstances at the top level`);
});

test.each([
  ['a null item', { Stacks: [null] }, /x\.json: Stacks\[0\]: /],
  ['a stack without its name', { Stacks: [{ StackId: 'arn' }] }, /x\.json: Stacks\[0\]\.StackName: /],
  ['tags that are not a list', { Stacks: [{ StackName: 'S', Tags: 'k=v' }] }, /x\.json: Stacks\[0\]\.Tags: /],
  ['termination protection as text', { Stacks: [{ StackName: 'S', EnableTerminationProtection: 'yes' }] }, /EnableTerminationProtection/],
  ['a resource without its logical id', { StackResources: [{ StackName: 'S' }] }, /x\.json: StackResources\[0\]\.LogicalResourceId: /],
  ['a cluster without its identifier', { DBClusters: [{}, { DBClusterIdentifier: 7 }] }, /x\.json: DBClusters\[0\]\.DBClusterIdentifier: /],
  ['an instance that is a string', { DBInstances: ['clinspark-x'] }, /x\.json: DBInstances\[0\]: /],
])('%s is refused naming the file, the path and the fix', (_what, json, message) => {
  const dir = deployedDir({ 'x.json': json });
  const read = () => readDeployed(dir);
  expect(read).toThrow(DeployedError);
  expect(read).toThrow(message);
  expect(read).toThrow(`--deployed ${path.join(dir, 'x.json')}`);
  expect(read).toThrow(/give the unedited JSON output of the AWS CLI's describe call/);
});
