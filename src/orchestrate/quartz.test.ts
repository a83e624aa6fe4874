// Quartz cron as Databricks schedules read it (Quartz's CronTrigger syntax: seconds first,
// '?' in one of the day fields, day-of-week 1 = Sunday), in a time zone, across DST.
import { describe, expect, it } from 'vitest';
import { quartzSchedule } from './quartz.js';

const at = (iso: string) => Date.parse(iso);
const iso = (ms: number | undefined) => (ms === undefined ? undefined : new Date(ms).toISOString());

describe('Quartz schedules', () => {
  it('06:00 every day in Berlin: 05:00 UTC in winter, 04:00 UTC in summer', () => {
    const s = quartzSchedule('0 0 6 * * ?', 'Europe/Berlin');
    expect(iso(s.next(at('2026-12-02T12:00:00Z')))).toBe('2026-12-03T05:00:00.000Z');
    expect(iso(s.next(at('2026-07-01T00:00:00Z')))).toBe('2026-07-01T04:00:00.000Z');
  });

  it('day-of-week numbered as Quartz does: 2 is Monday, 6 Friday, names too', () => {
    // 2026-12-03 is a Thursday.
    expect(iso(quartzSchedule('0 30 9 ? * 2', 'UTC').next(at('2026-12-03T00:00:00Z')))).toBe(
      '2026-12-07T09:30:00.000Z',
    );
    expect(iso(quartzSchedule('0 30 9 ? * MON-FRI', 'UTC').next(at('2026-12-04T10:00:00Z')))).toBe(
      '2026-12-07T09:30:00.000Z',
    );
    expect(iso(quartzSchedule('0 0 12 ? * 6L', 'UTC').next(at('2026-12-01T00:00:00Z')))).toBe(
      '2026-12-25T12:00:00.000Z',
    );
  });

  it('every 15 minutes from minute 5 (start/step), and the last day of the month', () => {
    const s = quartzSchedule('0 5/15 * * * ?', 'UTC');
    expect(s.between(at('2026-12-03T10:00:00Z'), at('2026-12-03T11:00:00Z')).map(iso)).toEqual([
      '2026-12-03T10:05:00.000Z',
      '2026-12-03T10:20:00.000Z',
      '2026-12-03T10:35:00.000Z',
      '2026-12-03T10:50:00.000Z',
    ]);
    expect(iso(quartzSchedule('0 0 0 L * ?', 'UTC').next(at('2026-02-10T00:00:00Z')))).toBe('2026-02-28T00:00:00.000Z');
  });

  it('DST: 02:30 on the spring-forward day runs once after the gap; on the fall-back day once', () => {
    const s = quartzSchedule('0 30 2 * * ?', 'Europe/Berlin');
    // 2026-03-29: 02:00 → 03:00 local. The run is at 03:00 local (01:00 UTC), once.
    const spring = s.between(at('2026-03-28T12:00:00Z'), at('2026-03-30T12:00:00Z'));
    expect(spring.map(iso)).toEqual(['2026-03-29T01:00:00.000Z', '2026-03-30T00:30:00.000Z']);
    // 2026-10-25: 03:00 → 02:00 local; 02:30 happens twice, the job runs once.
    const fall = s.between(at('2026-10-24T12:00:00Z'), at('2026-10-25T12:00:00Z'));
    expect(fall).toHaveLength(1);
  });

  it('refuses what Quartz refuses, naming the expression', () => {
    expect(() => quartzSchedule('0 6 * * *')).toThrow("schedule '0 6 * * *': a Quartz expression has 6 or 7 fields");
    expect(() => quartzSchedule('0 0 6 * * *')).toThrow(
      "Quartz needs '?' in exactly one of day-of-month and day-of-week",
    );
    expect(() => quartzSchedule('0 0 6 * * ?', 'Mars/Olympus')).toThrow("unknown time zone 'Mars/Olympus'");
    expect(() => quartzSchedule('0 0 25 * * ?')).toThrow(/schedule '0 0 25 \* \* \?'/);
  });
});
