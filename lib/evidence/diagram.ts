/**
 * Architecture pictures: a graph drawn from the specification is laid out by Graphviz compiled to
 * WebAssembly (@viz-js/viz; no system binary), as SVG for the HTML and as Graphviz's own drawing
 * operations (xdot, from its JSON output) that lib/evidence/pdf.ts replays with pdfkit's vector
 * drawing: pdfkit has no SVG import, and replaying the same layout gives the same picture in the
 * PDF, as vectors, with selectable text.
 */
import { instance } from '@viz-js/viz';

export interface GraphNode {
  readonly id: string;
  readonly label: string;
  readonly cluster?: string;
  readonly shape?: 'box' | 'cylinder' | 'ellipse' | 'hexagon' | 'note' | 'component';
  readonly fill?: string;
}

export interface GraphCluster {
  readonly id: string;
  readonly label: string;
  readonly parent?: string;
  readonly fill?: string;
}

export interface GraphEdge {
  readonly from: string;
  readonly to: string;
  readonly label?: string;
  readonly dashed?: boolean;
}

export interface Graph {
  readonly clusters: readonly GraphCluster[];
  readonly nodes: readonly GraphNode[];
  readonly edges: readonly GraphEdge[];
}

/** One xdot drawing operation (https://graphviz.org/docs/outputs/canon/#xdot). */
export interface DrawOp {
  readonly op: string;
  readonly color?: string;
  readonly points?: readonly (readonly [number, number])[];
  readonly rect?: readonly [number, number, number, number];
  readonly pt?: readonly [number, number];
  readonly text?: string;
  readonly align?: string;
  readonly width?: number;
  readonly size?: number;
  readonly face?: string;
  readonly style?: string;
}

export interface GraphLayout {
  readonly dot: string;
  /** Bounding box in points (Graphviz's y axis points up). */
  readonly width: number;
  readonly height: number;
  readonly ops: readonly DrawOp[];
}

function q(text: string): string {
  return `"${text.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`;
}

export function toDot(graph: Graph): string {
  const lines = [
    'digraph architecture {',
    '  graph [rankdir=TB, fontname="Helvetica", fontsize=10, nodesep=0.25, ranksep=0.35, compound=true];',
    '  node [fontname="Helvetica", fontsize=9, shape=box, style="rounded,filled", fillcolor="#ffffff"];',
    '  edge [fontname="Helvetica", fontsize=8];',
  ];
  const children = (parent?: string) => graph.clusters.filter((c) => c.parent === parent);
  const emit = (cluster: GraphCluster, indent: string) => {
    lines.push(
      `${indent}subgraph ${q(`cluster_${cluster.id}`)} {`,
      `${indent}  label=${q(cluster.label)}; style="filled"; fillcolor=${q(cluster.fill ?? '#f4f6f8')};`,
    );
    for (const n of graph.nodes.filter((node) => node.cluster === cluster.id)) lines.push(`${indent}  ${nodeLine(n)}`);
    for (const c of children(cluster.id)) emit(c, `${indent}  `);
    lines.push(`${indent}}`);
  };
  const nodeLine = (n: GraphNode) =>
    `${q(n.id)} [label=${q(n.label)}${n.shape ? `, shape=${n.shape}` : ''}${n.fill ? `, fillcolor=${q(n.fill)}` : ''}];`;
  for (const c of children(undefined)) emit(c, '  ');
  for (const n of graph.nodes.filter((node) => !node.cluster)) lines.push(`  ${nodeLine(n)}`);
  for (const e of graph.edges) {
    const attributes = [e.label ? `label=${q(e.label)}` : '', e.dashed ? 'style=dashed' : ''].filter(Boolean);
    lines.push(`  ${q(e.from)} -> ${q(e.to)}${attributes.length > 0 ? ` [${attributes.join(', ')}]` : ''};`);
  }
  lines.push('}');
  return lines.join('\n');
}

interface JsonObject {
  readonly _draw_?: DrawOp[];
  readonly _ldraw_?: DrawOp[];
  readonly _hdraw_?: DrawOp[];
  readonly _tdraw_?: DrawOp[];
  readonly _hldraw_?: DrawOp[];
  readonly _tldraw_?: DrawOp[];
  readonly bb?: string;
  readonly objects?: JsonObject[];
  readonly edges?: JsonObject[];
  readonly nodes?: number[];
}

export async function renderGraph(graph: Graph): Promise<{ svg: string; layout: GraphLayout }> {
  const viz = await instance();
  const dot = toDot(graph);
  const svg = viz.renderString(dot, { format: 'svg' });
  const json = viz.renderJSON(dot) as JsonObject;
  const [, , w, h] = (json.bb ?? '0,0,0,0').split(',').map(Number);
  const ops: DrawOp[] = [];
  const take = (o: JsonObject) =>
    ops.push(
      ...(o._draw_ ?? []),
      ...(o._ldraw_ ?? []),
      ...(o._hdraw_ ?? []),
      ...(o._tdraw_ ?? []),
      ...(o._hldraw_ ?? []),
      ...(o._tldraw_ ?? []),
    );
  take(json);
  // Clusters first (they are backgrounds), then nodes, then edges on top.
  const objects = json.objects ?? [];
  for (const o of objects.filter((x) => x.nodes !== undefined)) take(o);
  for (const o of objects.filter((x) => x.nodes === undefined)) take(o);
  for (const e of json.edges ?? []) take(e);
  return { svg, layout: { dot, width: w, height: h, ops } };
}
