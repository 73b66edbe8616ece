/**
 * The read-only account's delivery rules, free of CDK imports so that the customer guide
 * (`npx clinspark replica-guide`) computes exactly what the construct writes into the policies.
 */

/** Days the recipient may collect the password when the configuration does not say. */
export const DEFAULT_COLLECTION_DAYS = 14;
export const DEFAULT_READ_ONLY_USERNAME = 'RO_USER';

/**
 * The collection window: from the issue date at 00:00 UTC (inclusive) to the issue date plus
 * `days` at 00:00 UTC (exclusive), as ISO 8601 instants (`2026-11-16T00:00:00Z`), which is how
 * `aws:CurrentTime` conditions compare them.
 */
export function collectionWindow(issueDate: string, days: number): { opensAt: string; closesAt: string } {
  const opens = new Date(`${issueDate}T00:00:00Z`);
  if (!/^\d{4}-\d{2}-\d{2}$/.test(issueDate) || Number.isNaN(opens.getTime()))
    throw new Error(`issue date "${issueDate}" is not YYYY-MM-DD`);
  const closes = new Date(opens.getTime() + days * 86_400_000);
  const iso = (d: Date) => d.toISOString().replace('.000Z', 'Z');
  return { opensAt: iso(opens), closesAt: iso(closes) };
}

/**
 * The day the read-only account's password expires: the issue date plus `validityDays`
 * (`YYYY-MM-DD`, UTC). The handler gives the account `PASSWORD EXPIRE INTERVAL N DAY` with N
 * counted from when it set the password, so that it expires at 00:00 UTC of this day or within
 * the day before (MySQL counts whole days from the password change).
 */
export function passwordExpiry(issueDate: string, validityDays: number): string {
  const { closesAt } = collectionWindow(issueDate, validityDays);
  return closesAt.slice(0, 10);
}

/** Name of the secret holding the read-only account, by default. */
export function defaultReadOnlySecretName(clusterIdentifier: string, username = DEFAULT_READ_ONLY_USERNAME): string {
  return `${clusterIdentifier}/${username}`;
}
