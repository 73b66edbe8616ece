/**
 * Calendar arithmetic of the upgrade plan: occurrences of a weekly RDS maintenance window
 * ("ddd:hh:mm-ddd:hh:mm", UTC, parsed by lib/config/windows.ts) around a point in time, and the
 * customers' notice period (three weeks before an upgrade). Everything is UTC; no local time zone
 * is ever read.
 */
import { WeeklyRange, parseMaintenanceWindow } from '../config/windows';

const MINUTE = 60_000;
const DAY_MS = 24 * 60 * MINUTE;
const WEEK_MS = 7 * DAY_MS;

/** Customers are given three weeks' notice of an upgrade (vendor process). */
export const NOTICE_DAYS = 21;

export interface WindowOccurrence {
  readonly start: Date;
  readonly end: Date;
}

/** Monday 00:00 UTC of the week that holds `at`. */
function mondayOf(at: Date): number {
  const day = (at.getUTCDay() + 6) % 7; // Monday = 0
  return Date.UTC(at.getUTCFullYear(), at.getUTCMonth(), at.getUTCDate()) - day * DAY_MS;
}

/** The occurrences of a weekly window in the weeks around `at` (previous, this, next two), in time order. */
function occurrencesAround(range: WeeklyRange, at: Date): WindowOccurrence[] {
  const monday = mondayOf(at);
  return [-1, 0, 1, 2].map((week) => {
    const start = monday + week * WEEK_MS + range.start * MINUTE;
    return { start: new Date(start), end: new Date(start + (range.end - range.start) * MINUTE) };
  });
}

/** The occurrence that `at` falls in (start <= at < end), if any. */
export function occurrenceAt(range: WeeklyRange, at: Date): WindowOccurrence | undefined {
  return occurrencesAround(range, at).find((o) => o.start.getTime() <= at.getTime() && at.getTime() < o.end.getTime());
}

/** The first occurrence that starts at or after `at`. */
export function nextOccurrence(range: WeeklyRange, at: Date): WindowOccurrence {
  const next = occurrencesAround(range, at).find((o) => o.start.getTime() >= at.getTime());
  // The window lasts at most 24 hours and repeats weekly, so one of the next two weeks always starts later.
  if (!next) throw new Error(`no occurrence of the window after ${at.toISOString()}`);
  return next;
}

/** A maintenance window string parsed, or an Error naming it (validation has checked it already). */
export function maintenanceRange(window: string): WeeklyRange {
  const parsed = parseMaintenanceWindow(window);
  if (!parsed.ok) throw new Error(parsed.error);
  return parsed.value;
}

/** `YYYY-MM-DD` plus `days`, as a date at 00:00 UTC. */
export function addDays(isoDate: string, days: number): Date {
  return new Date(Date.parse(`${isoDate}T00:00:00Z`) + days * DAY_MS);
}

export interface NoticeCheck {
  /** The release's ledger date. */
  readonly entryDate: string;
  /** entryDate + 21 days, 00:00 UTC. */
  readonly noticeEnds: Date;
  /** The planned time is at or after noticeEnds. */
  readonly compliant: boolean;
  /** The first maintenance window that starts at or after noticeEnds. */
  readonly earliestCompliant: WindowOccurrence;
}

/**
 * Three weeks' notice: a release whose ledger entry is dated less than 21 days before the planned
 * time may not be deployed yet; the earliest compliant time is the first maintenance window that
 * starts at or after entry date + 21 days.
 */
export function noticeCheck(entryDate: string, planned: Date, window: WeeklyRange): NoticeCheck {
  const noticeEnds = addDays(entryDate, NOTICE_DAYS);
  return {
    entryDate,
    noticeEnds,
    compliant: planned.getTime() >= noticeEnds.getTime(),
    earliestCompliant: nextOccurrence(window, noticeEnds),
  };
}

/** `2026-12-06T06:00:00Z` (no milliseconds): how the plan prints times. */
export function isoMinute(d: Date): string {
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** A readable UTC time with its weekday: `Sun 2026-12-06 06:00 UTC`. */
export function showTime(d: Date): string {
  const day = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'][d.getUTCDay()];
  return `${day} ${d.toISOString().slice(0, 10)} ${d.toISOString().slice(11, 16)} UTC`;
}
