/**
 * The architecture picture of one environment, drawn from its specification (the templates of
 * its stacks): clients, WAF and load balancer, the network tiers, the application services, the
 * databases (and the customer's replica and jump host), and the KMS keys that encrypt them.
 */
import { EnvironmentSpec } from '../environments';
import { AssemblyEnvironment, CfnResource } from './assembly';
import { showValue } from './canonical';
import { Graph, GraphCluster, GraphEdge, GraphNode } from './diagram';

type Item = { stack: string; id: string; r: CfnResource };

function all(env: AssemblyEnvironment): Item[] {
  return env.stacks.flatMap((s) => Object.entries(s.template.Resources ?? {}).map(([id, r]) => ({ stack: s.stackName, id, r })));
}

const key = (i: Item) => `${i.stack}:${i.id}`;
const roleOf = (id: string) => (/Test/.test(id) ? 'test' : /Main/.test(id) ? 'main' : undefined);
const refId = (v: unknown): string | undefined =>
  (v as { Ref?: string })?.Ref ?? (v as { 'Fn::GetAtt'?: [string, string] })?.['Fn::GetAtt']?.[0];

export function architectureGraph(env: AssemblyEnvironment, spec: EnvironmentSpec): Graph {
  const items = all(env);
  const of = (type: string) => items.filter((i) => i.r.Type === type);
  const clusters: GraphCluster[] = [
    { id: 'clients', label: 'Outside AWS', fill: '#fff8e6' },
    { id: 'account', label: `AWS account ${env.account}, ${env.region}`, fill: '#f4f6f8' },
    {
      id: 'vpc',
      label: `VPC (${spec.availabilityZones.length} availability zones: ${spec.availabilityZones.join(', ')})`,
      parent: 'account',
      fill: '#eaf2fb',
    },
    { id: 'public', label: 'Public subnets', parent: 'vpc', fill: '#ffffff' },
    { id: 'private', label: 'Application tier: private subnets', parent: 'vpc', fill: '#ffffff' },
    { id: 'isolated', label: 'Data tier: isolated subnets', parent: 'vpc', fill: '#ffffff' },
    { id: 'keys', label: 'Customer-managed KMS keys (rotation on)', parent: 'account', fill: '#f3ecfa' },
  ];
  const nodes: GraphNode[] = [];
  const edges: GraphEdge[] = [];
  const clientLabel = spec.ingressCidrs?.length
    ? `Client ranges\n${spec.ingressCidrs.join(', ')}`
    : spec.sso
      ? "Users, signed in through\nthe customer's SSO (OIDC)"
      : 'Internet users';
  nodes.push({ id: 'clients', label: clientLabel, cluster: 'clients', shape: 'ellipse', fill: '#ffffff' });
  const wafs = of('AWS::WAFv2::WebACL');
  for (const w of wafs) nodes.push({ id: key(w), label: 'AWS WAF web ACL', cluster: 'account', shape: 'hexagon', fill: '#fdecea' });
  const lbs = of('AWS::ElasticLoadBalancingV2::LoadBalancer');
  for (const lb of lbs) {
    nodes.push({ id: key(lb), label: `Application load balancer\nHTTPS 443 (80 redirects)`, cluster: 'public', fill: '#e6f4ea' });
    for (const w of wafs) edges.push({ from: 'clients', to: key(w), label: 'HTTPS' }, { from: key(w), to: key(lb) });
    if (wafs.length === 0) edges.push({ from: 'clients', to: key(lb), label: 'HTTPS' });
  }
  const nats = of('AWS::EC2::NatGateway');
  if (nats.length) nodes.push({ id: 'nat', label: `NAT gateway x${nats.length}`, cluster: 'public' });
  const services = of('AWS::ECS::Service');
  for (const s of services) {
    const role = roleOf(s.id);
    const instance = spec.instances.find((i) => i.role === role);
    nodes.push({
      id: key(s),
      label: `ECS Fargate service ${role ?? ''}\n${instance?.hostName ?? ''}\nrelease ${spec.release.imageTag}`,
      cluster: 'private',
      fill: '#e8f0fe',
    });
    for (const lb of lbs) edges.push({ from: key(lb), to: key(s) });
  }
  const dbClusters = of('AWS::RDS::DBCluster');
  const instances = of('AWS::RDS::DBInstance');
  const keys = of('AWS::KMS::Key');
  for (const k of keys) {
    const desc = showValue(k.r.Properties?.Description ?? k.id).replace(/^ClinSpark [^:]+: /, '');
    nodes.push({
      id: key(k),
      label: `KMS key\n${desc.length > 40 ? `${desc.slice(0, 37)}...` : desc}`,
      cluster: 'keys',
      shape: 'note',
      fill: '#ffffff',
    });
  }
  for (const c of dbClusters) {
    const n = instances.filter((i) => refId(i.r.Properties?.DBClusterIdentifier) === c.id && i.stack === c.stack).length;
    const replica = c.stack.endsWith('-replica');
    nodes.push({
      id: key(c),
      label:
        `${replica ? 'Read replica (customer)' : 'Aurora MySQL'}\n${showValue(c.r.Properties?.DBClusterIdentifier ?? c.id)}\n${n} ` +
        `instance(s)`,
      cluster: 'isolated',
      shape: 'cylinder',
      fill: replica ? '#fff3e0' : '#fce8e6',
    });
    const role = roleOf(c.id);
    if (!replica)
      for (const s of services.filter((x) => roleOf(x.id) === role)) edges.push({ from: key(s), to: key(c), label: '3306 TLS' });
    const k = refId(c.r.Properties?.KmsKeyId);
    if (k) edges.push({ from: key(c), to: `${c.stack}:${k}`, dashed: true, label: 'encrypted by' });
    if (replica) {
      const source = dbClusters.find((x) => !x.stack.endsWith('-replica') && roleOf(x.id) === 'main');
      if (source) edges.push({ from: key(source), to: key(c), label: 'binlog replication' });
    }
  }
  for (const j of of('AWS::EC2::Instance')) {
    nodes.push({ id: key(j), label: 'SSH jump host\n(tunnel only)', cluster: 'public', fill: '#fff3e0' });
    if (spec.readReplica) {
      nodes.push({
        id: 'replica-clients',
        label: `Customer BI ranges\n${spec.readReplica.allowedCidrs.join(', ')}`,
        cluster: 'clients',
        shape: 'ellipse',
        fill: '#ffffff',
      });
      edges.push({ from: 'replica-clients', to: key(j), label: 'SSH 22' });
    }
    for (const c of dbClusters.filter((x) => x.stack.endsWith('-replica'))) edges.push({ from: key(j), to: key(c), label: '3306' });
  }
  const used = new Set(nodes.map((n) => n.cluster));
  const usedDeep = (id: string): boolean => used.has(id) || clusters.some((x) => x.parent === id && usedDeep(x.id));
  return {
    clusters: clusters.filter((c) => usedDeep(c.id)),
    nodes,
    edges: edges.filter((e) => nodes.some((n) => n.id === e.from) && nodes.some((n) => n.id === e.to)),
  };
}
