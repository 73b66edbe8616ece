/**
 * RDS maintenance ("ddd:hh:mm-ddd:hh:mm", weekly, UTC) and backup ("hh:mm-hh:mm", daily, UTC)
 * windows, parsed into minute ranges so that durations and overlaps can be checked.
 */

export const DAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
const WEEK = 7 * 24 * 60;
const DAY = 24 * 60;
export const MIN_WINDOW_MINUTES = 30;

/** A window as [start, end) minutes from Monday 00:00 UTC; `end` may exceed a week (wrap). */
export interface WeeklyRange {
  readonly start: number;
  readonly end: number;
}
export type WindowResult<T> = { ok: true; value: T } | { ok: false; error: string };

function hhmm(text: string): number | undefined {
  const m = /^([01]\d|2[0-3]):([0-5]\d)$/.exec(text);
  return m ? Number(m[1]) * 60 + Number(m[2]) : undefined;
}

export function parseMaintenanceWindow(value: string): WindowResult<WeeklyRange> {
  const m = /^([a-z]{3}):(\d\d:\d\d)-([a-z]{3}):(\d\d:\d\d)$/.exec(value);
  const example = 'e.g. "sun:04:00-sun:05:00" (UTC)';
  if (!m) return { ok: false, error: `'${value}' is not a maintenance window "ddd:hh:mm-ddd:hh:mm", ${example}` };
  const d1 = DAYS.indexOf(m[1] as (typeof DAYS)[number]);
  const d2 = DAYS.indexOf(m[3] as (typeof DAYS)[number]);
  const t1 = hhmm(m[2]);
  const t2 = hhmm(m[4]);
  if (d1 < 0 || d2 < 0) return { ok: false, error: `'${value}' has an unknown day; days are ${DAYS.join(', ')} (lowercase), ${example}` };
  if (t1 === undefined || t2 === undefined)
    return { ok: false, error: `'${value}' has an invalid time; times are 00:00 to 23:59, ${example}` };
  const start = d1 * DAY + t1;
  let end = d2 * DAY + t2;
  if (end <= start) end += WEEK;
  const length = end - start;
  if (length < MIN_WINDOW_MINUTES)
    return { ok: false, error: `'${value}' lasts ${length} minutes; RDS needs at least ${MIN_WINDOW_MINUTES}` };
  if (length > DAY) return { ok: false, error: `'${value}' lasts more than 24 hours; RDS allows at most 24` };
  return { ok: true, value: { start, end } };
}

/** Daily window as [start, end) minutes from 00:00 UTC; `end` may exceed a day (wrap past midnight). */
export function parseBackupWindow(value: string): WindowResult<WeeklyRange> {
  const m = /^(\d\d:\d\d)-(\d\d:\d\d)$/.exec(value);
  const example = 'e.g. "01:00-01:30" (UTC)';
  if (!m) return { ok: false, error: `'${value}' is not a backup window "hh:mm-hh:mm", ${example}` };
  const t1 = hhmm(m[1]);
  const t2 = hhmm(m[2]);
  if (t1 === undefined || t2 === undefined)
    return { ok: false, error: `'${value}' has an invalid time; times are 00:00 to 23:59, ${example}` };
  let end = t2;
  if (end <= t1) end += DAY;
  const length = end - t1;
  if (length < MIN_WINDOW_MINUTES)
    return { ok: false, error: `'${value}' lasts ${length} minutes; RDS needs at least ${MIN_WINDOW_MINUTES}` };
  return { ok: true, value: { start: t1, end } };
}

function overlaps(a: WeeklyRange, b: WeeklyRange): boolean {
  // Compare on the weekly circle: shift b by -1, 0, +1 week.
  return [-WEEK, 0, WEEK].some((shift) => a.start < b.end + shift && b.start + shift < a.end);
}

/** True when the daily backup window overlaps the weekly maintenance window on any day. */
export function backupOverlapsMaintenance(backup: WeeklyRange, maintenance: WeeklyRange): boolean {
  for (let day = 0; day < 7; day++) {
    const daily = { start: backup.start + day * DAY, end: backup.end + day * DAY };
    if (overlaps(daily, maintenance)) return true;
  }
  return false;
}
