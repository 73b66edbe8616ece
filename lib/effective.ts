/**
 * The effective value of each configurable concept: the environment's own setting, else the
 * catalog's. Validation (lib/config/rules.ts, on the parsed YAML) and resolution
 * (lib/environments.ts) both call these, so a default is merged in exactly one place.
 */
import { AppCapacity, DatabaseCapacity, EnvironmentPolicy } from './catalog';

/** The app sizing an environment may set (any subset). */
export interface AppSizing {
  readonly cpu?: number;
  readonly memoryMiB?: number;
  readonly minTasks?: number;
  readonly maxTasks?: number;
}

/** The database sizing an environment may set (any subset; validation refuses the wrong mode's keys). */
export interface DatabaseSizing {
  readonly instanceClass?: string;
  readonly minAcu?: number;
  readonly maxAcu?: number;
}

export function effectiveApp(policy: EnvironmentPolicy, given: AppSizing | undefined): AppCapacity {
  return {
    ...policy.app,
    cpu: given?.cpu ?? policy.app.cpu,
    memoryMiB: given?.memoryMiB ?? policy.app.memoryMiB,
    minTasks: given?.minTasks ?? policy.app.minTasks,
    maxTasks: given?.maxTasks ?? policy.app.maxTasks,
  };
}

export function effectiveDatabase(policy: EnvironmentPolicy, given: DatabaseSizing | undefined): DatabaseCapacity {
  const base = policy.database;
  if (base.mode === 'provisioned') return { ...base, instanceClass: given?.instanceClass ?? base.instanceClass };
  return { ...base, minAcu: given?.minAcu ?? base.minAcu, maxAcu: given?.maxAcu ?? base.maxAcu };
}

/** The maintenance (weekly) and backup (daily) windows, UTC. */
export function effectiveWindows(
  policy: EnvironmentPolicy,
  given: { readonly maintenanceWindow?: string; readonly backupWindow?: string },
): { readonly maintenance: string; readonly backup: string } {
  return { maintenance: given.maintenanceWindow ?? policy.windows.maintenance, backup: given.backupWindow ?? policy.windows.backup };
}
