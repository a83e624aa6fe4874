// Quartz cron expressions (Databricks' schedule.quartz_cron_expression) read with croner:
// seconds minutes hours day-of-month month day-of-week [year], `?` for "no specific value",
// day-of-week numbered 1 (Sunday) to 7 (Saturday) as Quartz numbers it (croner's
// alternativeWeekdays), `L`, `W`, `#`, names (MON, JAN), `5/15` steps (Quartz's start/step). Times
// are in the job's time zone, DST included (a time that does not exist is run once after the
// gap, a time that occurs twice runs once: croner's fixed-time rule).
import { Cron } from 'croner';
import { StrataError } from '../core/index.js';

/** A schedule: the next fire times after a moment. */
export interface Schedule {
  next(after: number): number | undefined;
  /** Fire times in (from, to], oldest first, at most `limit`. */
  between(from: number, to: number, limit?: number): number[];
}

/** Reads a Quartz expression in a time zone; a wrong one is a StrataError naming it. */
export function quartzSchedule(expression: string, timezone = 'UTC'): Schedule {
  const fields = expression.trim().split(/\s+/);
  const fail = (why: string): never => {
    throw new StrataError('CONFIG', `schedule '${expression}': ${why}`, { context: { expression } });
  };
  if (fields.length < 6 || fields.length > 7)
    fail('a Quartz expression has 6 or 7 fields: seconds minutes hours day-of-month month day-of-week [year]');
  const [, , , dom, , dow] = fields;
  if ((dom === '?') === (dow === '?'))
    fail("Quartz needs '?' in exactly one of day-of-month and day-of-week (e.g. '0 0 6 * * ?')");
  try {
    Intl.DateTimeFormat('en-US', { timeZone: timezone });
  } catch {
    fail(`unknown time zone '${timezone}' (an IANA name such as Europe/Berlin)`);
  }
  let cron: Cron;
  try {
    cron = new Cron(fields.join(' '), {
      timezone,
      mode: '6-or-7-parts',
      alternativeWeekdays: true,
      sloppyRanges: true,
      paused: true,
    });
  } catch (err) {
    return fail((err as Error).message.replace(/^CronPattern: /, ''));
  }
  const next = (after: number) => cron.nextRun(new Date(after))?.getTime();
  return {
    next,
    between(from, to, limit = 1000) {
      const out: number[] = [];
      for (let t = next(from); t !== undefined && t <= to && out.length < limit; t = next(t)) out.push(t);
      return out;
    },
  };
}
