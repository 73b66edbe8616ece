/**
 * The RDS API steps shared by handlers: the master password reset of a restored cluster (the
 * application account of a restored VAL copy, the replica cloned from PROD Main).
 */
import { DescribeDBClustersCommand, ModifyDBClusterCommand, RDSClient } from '@aws-sdk/client-rds';
import { HandlerError, wrapError } from './errors';
import { Logger } from './logger';
import { done, notYet, pollUntil } from './poll';
import { Redactor } from './redaction';

export interface MasterResetTiming {
  /** Interval between two DescribeDBClusters. */
  readonly pollMs: number;
  /** How long the reset may take to be applied. */
  readonly timeoutMs: number;
}

/** Production timing: a reset usually takes one to three minutes. */
export const MASTER_RESET_TIMING: MasterResetTiming = { pollMs: 10_000, timeoutMs: 10 * 60_000 };

/**
 * Sets a cluster's master password to `password` (its own secret's value) through the RDS API
 * (ModifyDBCluster, ApplyImmediately) and waits until it is applied: status available and no
 * pending MasterUserPassword. A cluster restored from another keeps that cluster's master
 * password until this runs. `label` starts every message ("replica", "cluster").
 */
export async function resetMasterPassword(
  rds: RDSClient,
  clusterIdentifier: string,
  password: string,
  timing: MasterResetTiming,
  invocation: { redactor: Redactor; log: Logger },
  label: string,
): Promise<void> {
  const { redactor, log } = invocation;
  redactor.add(password);
  try {
    await rds.send(
      new ModifyDBClusterCommand({ DBClusterIdentifier: clusterIdentifier, MasterUserPassword: password, ApplyImmediately: true }),
    );
  } catch (error) {
    throw wrapError(`${label}: ModifyDBCluster ${clusterIdentifier} (master password) failed`, error, redactor);
  }
  log.info(`${label} ${clusterIdentifier}: master password set to the value of its master secret; waiting until it is applied`);
  await pollUntil(
    async () => {
      let out;
      try {
        out = await rds.send(new DescribeDBClustersCommand({ DBClusterIdentifier: clusterIdentifier }));
      } catch (error) {
        throw wrapError(`${label}: DescribeDBClusters ${clusterIdentifier} failed`, error, redactor);
      }
      const cluster = out.DBClusters?.[0];
      const pending = Boolean(cluster?.PendingModifiedValues?.MasterUserPassword);
      return cluster?.Status === 'available' && !pending ? done(undefined) : notYet(cluster?.Status);
    },
    {
      timeoutMs: timing.timeoutMs,
      intervalMs: timing.pollMs,
      onTimeout: (status) =>
        new HandlerError(
          `${label} ${clusterIdentifier}: the master password was not applied within ` +
            `${Math.round(timing.timeoutMs / 1000)} s (status ${status ?? 'unknown'}); check ` +
            `the cluster's events in the RDS console and retry`,
        ),
    },
  );
}
