/** Maintenance-window occurrences and the three weeks' notice (lib/lifecycle/schedule.ts): UTC arithmetic only. */
import { addDays, isoMinute, maintenanceRange, nextOccurrence, noticeCheck, occurrenceAt } from '../../lib/lifecycle/schedule';

const at = (iso: string) => new Date(iso);
const occ = (o: { start: Date; end: Date } | undefined) => o && [isoMinute(o.start), isoMinute(o.end)];

describe('maintenance window occurrences', () => {
  const sunday = maintenanceRange('sun:02:00-sun:03:00');

  test('inside, at the start (inclusive) and at the end (exclusive)', () => {
    expect(occ(occurrenceAt(sunday, at('2026-12-06T02:30:00Z')))).toEqual(['2026-12-06T02:00:00Z', '2026-12-06T03:00:00Z']);
    expect(occurrenceAt(sunday, at('2026-12-06T02:00:00Z'))).toBeDefined();
    expect(occurrenceAt(sunday, at('2026-12-06T03:00:00Z'))).toBeUndefined();
    expect(occurrenceAt(sunday, at('2026-12-09T10:00:00Z'))).toBeUndefined();
  });

  test('the next start after a time: later the same week, the next week, never the one in progress', () => {
    expect(occ(nextOccurrence(sunday, at('2026-12-09T10:00:00Z')))).toEqual(['2026-12-13T02:00:00Z', '2026-12-13T03:00:00Z']);
    expect(isoMinute(nextOccurrence(sunday, at('2026-12-06T02:30:00Z')).start)).toBe('2026-12-13T02:00:00Z');
    expect(isoMinute(nextOccurrence(sunday, at('2026-12-06T02:00:00Z')).start)).toBe('2026-12-06T02:00:00Z');
    // Monday 00:00 (the week's first minute) and Sunday late evening.
    expect(isoMinute(nextOccurrence(sunday, at('2026-12-07T00:00:00Z')).start)).toBe('2026-12-13T02:00:00Z');
    expect(isoMinute(nextOccurrence(sunday, at('2026-12-13T23:59:00Z')).start)).toBe('2026-12-20T02:00:00Z');
  });

  test('a window across midnight and the week boundary (sun 23:30 to mon 00:30)', () => {
    const wrap = maintenanceRange('sun:23:30-mon:00:30');
    expect(occ(occurrenceAt(wrap, at('2026-12-07T00:10:00Z')))).toEqual(['2026-12-06T23:30:00Z', '2026-12-07T00:30:00Z']);
    expect(occ(occurrenceAt(wrap, at('2026-12-06T23:45:00Z')))).toEqual(['2026-12-06T23:30:00Z', '2026-12-07T00:30:00Z']);
    expect(isoMinute(nextOccurrence(wrap, at('2026-12-07T00:40:00Z')).start)).toBe('2026-12-13T23:30:00Z');
  });
});

describe("three weeks' notice", () => {
  const sunday = maintenanceRange('sun:02:00-sun:03:00');

  test('entry date + 21 days, across a month and a year end; February of a common and a leap year', () => {
    expect(isoMinute(addDays('2026-11-20', 21))).toBe('2026-12-11T00:00:00Z');
    expect(isoMinute(addDays('2026-12-20', 21))).toBe('2027-01-10T00:00:00Z');
    expect(isoMinute(addDays('2027-02-10', 21))).toBe('2027-03-03T00:00:00Z');
    expect(isoMinute(addDays('2028-02-10', 21))).toBe('2028-03-02T00:00:00Z');
  });

  test('met from the day the notice ends; else the earliest compliant time is the first window starting at or after it', () => {
    const early = noticeCheck('2026-11-20', at('2026-12-06T02:30:00Z'), sunday);
    expect(early.compliant).toBe(false);
    expect(isoMinute(early.noticeEnds)).toBe('2026-12-11T00:00:00Z');
    expect(isoMinute(early.earliestCompliant.start)).toBe('2026-12-13T02:00:00Z');
    expect(noticeCheck('2026-11-20', at('2026-12-11T00:00:00Z'), sunday).compliant).toBe(true);
    expect(noticeCheck('2026-11-20', at('2026-12-10T23:59:00Z'), sunday).compliant).toBe(false);
    // The notice ends inside a window: that window started before it, so the next one is the earliest.
    expect(
      isoMinute(noticeCheck('2026-11-01', at('2026-11-01T00:00:00Z'), maintenanceRange('sat:23:00-sun:01:00')).earliestCompliant.start),
    ).toBe('2026-11-28T23:00:00Z');
  });
});
