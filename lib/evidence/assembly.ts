/**
 * Reads a cloud assembly (what `cdk synth` writes to `cdk.out/`, or a fleet baseline written by
 * `clinspark baseline`) without aws-cdk-lib: its manifest, every stack's template, tags,
 * account/region and asset manifest, grouped into the environments of the fleet by the stack
 * tags (`clinspark:customer`, `clinspark:environment`, `clinspark:change-controlled`) and the stack
 * naming contract `clinspark-<owner>-<environment>-<layer>` (lib/naming.ts).
 */
import * as fs from 'fs';
import * as path from 'path';
import { TAG_CHANGE_CONTROLLED, TAG_CUSTOMER, TAG_ENVIRONMENT } from '../environments';
import { STACK_PREFIX } from '../naming';
import { sha256File } from './canonical';

export interface CfnResource {
  readonly Type: string;
  readonly Properties?: Record<string, unknown>;
  readonly Metadata?: Record<string, unknown>;
  readonly DeletionPolicy?: string;
  readonly UpdateReplacePolicy?: string;
  readonly [key: string]: unknown;
}

export interface CfnTemplate {
  readonly Resources?: Record<string, CfnResource>;
  readonly [key: string]: unknown;
}

export interface AssemblyStack {
  readonly stackName: string;
  /** Absolute path of the template file. */
  readonly templateFile: string;
  readonly template: CfnTemplate;
  readonly account: string;
  readonly region: string;
  readonly tags: Readonly<Record<string, string>>;
  readonly terminationProtection: boolean;
  /** Absolute path of the stack's asset manifest, when it has one. */
  readonly assetManifestFile?: string;
  /** `data`, `app`, `replica` (the last part of the name). */
  readonly layer: string;
  /** logical id -> construct path, from the manifest's `aws:cdk:logicalId` metadata. */
  readonly paths: Readonly<Record<string, string>>;
}

export interface AssemblyEnvironment {
  /** `<owner>/<environment>`, e.g. `northwind/prod`, `platform/demo-r2026-1`. */
  readonly id: string;
  readonly owner: string;
  /** Environment name: the kind, or `demo-<name>` / `community` for the platform. */
  readonly name: string;
  readonly kind: string;
  readonly changeControlled: boolean;
  readonly account: string;
  readonly region: string;
  /** The environment's stacks in name order. */
  readonly stacks: readonly AssemblyStack[];
}

export interface CloudAssembly {
  readonly dir: string;
  readonly stacks: readonly AssemblyStack[];
}

interface ManifestArtifact {
  readonly type: string;
  readonly environment?: string;
  readonly properties?: {
    readonly templateFile?: string;
    readonly file?: string;
    readonly tags?: Record<string, string>;
    readonly terminationProtection?: boolean;
    readonly stackName?: string;
  };
  readonly dependencies?: readonly string[];
  readonly displayName?: string;
  readonly metadata?: Record<string, readonly { readonly type: string; readonly data?: unknown }[]>;
  /** Newer CDK versions write the metadata to `<stack>.metadata.json`. */
  readonly additionalMetadataFile?: string;
}

function metadataOf(dir: string, artifact: ManifestArtifact): ManifestArtifact['metadata'] {
  if (!artifact.additionalMetadataFile) return artifact.metadata;
  try {
    return {
      ...(artifact.metadata ?? {}),
      ...(JSON.parse(fs.readFileSync(path.join(dir, artifact.additionalMetadataFile), 'utf8')) as ManifestArtifact['metadata']),
    };
  } catch {
    return artifact.metadata;
  }
}

/** logical id -> construct path of a stack artifact (without the leading slash). */
function logicalIdPaths(artifact: ManifestArtifact): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [p, entries] of Object.entries(artifact.metadata ?? {})) {
    for (const e of entries) if (e.type === 'aws:cdk:logicalId' && typeof e.data === 'string') out[e.data] = p.replace(/^\//, '');
  }
  return out;
}

/** A problem with an assembly directory the user can fix (wrong path, not an assembly). */
export class AssemblyError extends Error {}

export function readAssembly(dir: string): CloudAssembly {
  const abs = path.resolve(dir);
  const manifestFile = path.join(abs, 'manifest.json');
  if (!fs.existsSync(abs) || !fs.statSync(abs).isDirectory())
    throw new AssemblyError(`${dir} is not a directory (give a cloud assembly: the output directory of \`cdk synth\`, e.g. cdk.out)`);
  if (!fs.existsSync(manifestFile))
    throw new AssemblyError(
      `${dir} has no manifest.json, so it is not a cloud assembly (run \`npx cdk synth -o ${dir}\`, or give the baseline directory)`,
    );
  let manifest: { artifacts?: Record<string, ManifestArtifact> };
  try {
    manifest = JSON.parse(fs.readFileSync(manifestFile, 'utf8')) as { artifacts?: Record<string, ManifestArtifact> };
  } catch (e) {
    throw new AssemblyError(`${manifestFile}: not valid JSON (${(e as Error).message})`);
  }
  const artifacts = manifest.artifacts ?? {};
  const stacks: AssemblyStack[] = [];
  for (const [id, artifact] of Object.entries(artifacts)) {
    if (artifact.type !== 'aws:cloudformation:stack') continue;
    const templateFile = path.join(abs, artifact.properties?.templateFile ?? `${id}.template.json`);
    if (!fs.existsSync(templateFile))
      throw new AssemblyError(`${path.relative(process.cwd(), templateFile)}: template of stack ${id} is missing from the assembly`);
    let template: CfnTemplate;
    try {
      template = JSON.parse(fs.readFileSync(templateFile, 'utf8')) as CfnTemplate;
    } catch (e) {
      throw new AssemblyError(`${templateFile}: not valid JSON (${(e as Error).message})`);
    }
    const env = /^aws:\/\/([^/]+)\/(.+)$/.exec(artifact.environment ?? '');
    const assetId = (artifact.dependencies ?? []).find((d) => artifacts[d]?.type === 'cdk:asset-manifest');
    const assetFile = assetId ? artifacts[assetId].properties?.file : undefined;
    const stackName = artifact.properties?.stackName ?? id;
    stacks.push({
      stackName,
      templateFile,
      template,
      account: env?.[1] ?? 'unknown-account',
      region: env?.[2] ?? 'unknown-region',
      tags: artifact.properties?.tags ?? {},
      terminationProtection: artifact.properties?.terminationProtection ?? false,
      assetManifestFile: assetFile && fs.existsSync(path.join(abs, assetFile)) ? path.join(abs, assetFile) : undefined,
      layer: stackName.split('-').pop() ?? '',
      paths: logicalIdPaths({ ...artifact, metadata: metadataOf(abs, artifact) }),
    });
  }
  stacks.sort((a, b) => a.stackName.localeCompare(b.stackName));
  return { dir: abs, stacks };
}

/** Owner and environment name of a stack, from its tags and name. */
export function environmentOf(stack: AssemblyStack): { owner: string; name: string } {
  const owner = stack.tags[TAG_CUSTOMER] ?? stack.stackName.split('-')[1] ?? 'unknown';
  const prefix = `${STACK_PREFIX}-${owner}-`;
  const rest = stack.stackName.startsWith(prefix) ? stack.stackName.slice(prefix.length) : stack.stackName;
  const name = rest.slice(0, Math.max(0, rest.length - stack.layer.length - 1)) || rest;
  return { owner, name };
}

/** The environments of an assembly, in the order of their first stack name. */
export function environmentsOf(assembly: CloudAssembly): AssemblyEnvironment[] {
  const byId = new Map<string, AssemblyStack[]>();
  for (const stack of assembly.stacks) {
    const { owner, name } = environmentOf(stack);
    const id = `${owner}/${name}`;
    byId.set(id, [...(byId.get(id) ?? []), stack]);
  }
  return [...byId.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([id, stacks]) => {
      const [owner, name] = id.split('/');
      const first = stacks[0];
      return {
        id,
        owner,
        name,
        kind: first.tags[TAG_ENVIRONMENT] ?? name,
        changeControlled: stacks.some((s) => s.tags[TAG_CHANGE_CONTROLLED] === 'true'),
        account: first.account,
        region: first.region,
        stacks,
      };
    });
}

/** SHA-256 of every file that specifies an environment: templates and asset manifests. */
export function specificationFiles(env: AssemblyEnvironment, assemblyDir: string): { file: string; sha256: string }[] {
  const files = env.stacks.flatMap((s) => [s.templateFile, ...(s.assetManifestFile ? [s.assetManifestFile] : [])]);
  return files.map((f) => ({ file: path.relative(assemblyDir, f), sha256: sha256File(f) }));
}

/** Construct path of a resource (the `aws:cdk:path` metadata CDK writes), or its logical id. */
export function constructPath(resource: CfnResource | undefined, logicalId: string, paths: Readonly<Record<string, string>> = {}): string {
  const p = resource?.Metadata?.['aws:cdk:path'];
  return typeof p === 'string' ? p : (paths[logicalId] ?? `(no construct path) ${logicalId}`);
}
