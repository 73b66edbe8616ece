/**
 * Finding one environment of a fleet for the evidence commands: `--customer <slug>` and
 * `--environment <kind or name>` (`prod`; for the platform `demo-r2026-1`, or `demo` when there is
 * only one), with messages that list what exists.
 */
import * as path from 'path';
import { ConfigValidationError, formatIssue, loadFleet } from '../config';
import { EnvironmentOverrides, Fleet } from '../config/model';
import { EnvironmentSpec, fleetEnvironments } from '../environments';

export class SelectionError extends Error {}

export function loadSpecs(configDir: string): { specs: EnvironmentSpec[]; configDir: string; fleet: Fleet } {
  try {
    const fleet = loadFleet(path.resolve(configDir));
    return { specs: fleetEnvironments(fleet), configDir: fleet.configDir, fleet };
  } catch (e) {
    if (!(e instanceof ConfigValidationError)) throw e;
    throw new SelectionError(
      [
        `the configuration in ${configDir} has ${e.issues.length} problem(s); fix them ` +
          `first (npx clinspark validate --config ${configDir}):`,
        ...e.issues.slice(0, 50).map(formatIssue),
      ].join('\n'),
    );
  }
}

export function selectEnvironment(
  specs: readonly EnvironmentSpec[],
  customer: string,
  environment: string,
  configDir: string,
): EnvironmentSpec {
  const own = specs.filter((s) => s.owner === customer);
  if (own.length === 0)
    throw new SelectionError(`no customer '${customer}' in ${configDir}; known: ${[...new Set(specs.map((s) => s.owner))].join(', ')}`);
  const byName = own.filter((s) => s.name === environment);
  if (byName.length === 1) return byName[0];
  const byKind = own.filter((s) => s.kind === environment);
  if (byKind.length === 1) return byKind[0];
  if (byKind.length > 1)
    throw new SelectionError(
      `${customer} has ${byKind.length} ${environment} environments ` +
        `(${byKind.map((s) => s.name).join(', ')}); give the name, e.g. --environment ` +
        `${byKind[0].name}`,
    );
  throw new SelectionError(`${customer} has no environment '${environment}'; it has: ${own.map((s) => s.name).join(', ')}`);
}

/** The environment's own overrides as written in its file (what is not from the catalog or the owner). */
export function overridesOf(fleet: Fleet, spec: EnvironmentSpec): { overrides: EnvironmentOverrides; path: string } {
  if (spec.kind === 'demo') {
    const i = (fleet.platform?.demos ?? []).findIndex((d) => `demo-${d.name}` === spec.name);
    const { name: _name, ...overrides } = fleet.platform!.demos![i];
    return { overrides, path: `demos[${i}]` };
  }
  if (spec.kind === 'community') return { overrides: fleet.platform?.community ?? {}, path: 'community' };
  const customer = fleet.customers.find((c) => c.slug === spec.owner);
  return {
    overrides: (customer?.environments as Record<string, EnvironmentOverrides | undefined>)[spec.kind] ?? {},
    path: `environments.${spec.kind}`,
  };
}
