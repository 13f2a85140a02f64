// `schedule:` windows (KEDA's cron scaler, as bounds): while a window is open it raises the floor
// (`min_replicas`) and/or lowers the ceiling (`max_replicas`). A window opens at each `start` and
// closes at the next `end`, both cron expressions read in `timezone` (croner, DST-aware).
// Expressions and time zones are checked here, at load, so a typo fails with its field path.
import { Cron } from 'croner';
import { z } from 'zod';

const replicas = z.number().int().min(0);

/** A cron expression croner accepts (5 fields, or 6 with seconds first). */
const CronSchema = z.string().superRefine((pattern, ctx) => {
  try {
    new Cron(pattern, { paused: true });
  } catch (e) {
    ctx.addIssue({ code: 'custom', message: `not a cron expression (${cronMessage(e)}); e.g. "0 9 * * 1-5" for 09:00 Monday to Friday` });
  }
});

/** An IANA time zone name (Europe/Copenhagen, UTC, America/New_York). */
const TimezoneSchema = z.string().superRefine((tz, ctx) => {
  try {
    new Intl.DateTimeFormat('en', { timeZone: tz });
  } catch {
    ctx.addIssue({ code: 'custom', message: `unknown time zone "${tz}": use an IANA name such as Europe/Copenhagen or UTC` });
  }
});

export const ScheduleWindowSchema = z
  .strictObject({
    /** When the window opens (cron, in `timezone`). */
    start: CronSchema,
    /** When it closes (cron, in `timezone`): the first `end` after a `start`. */
    end: CronSchema,
    timezone: TimezoneSchema.default('UTC'),
    /** The floor while open (raises min_replicas). */
    min_replicas: replicas.nullable().default(null),
    /** The ceiling while open (lowers max_replicas). */
    max_replicas: replicas.nullable().default(null),
  })
  .superRefine((w, ctx) => {
    if (w.min_replicas === null && w.max_replicas === null) {
      ctx.addIssue({ code: 'custom', path: ['min_replicas'], message: 'set min_replicas and/or max_replicas: what the window changes while open' });
    }
    if (w.min_replicas !== null && w.max_replicas !== null && w.max_replicas < w.min_replicas) {
      ctx.addIssue({ code: 'custom', path: ['max_replicas'], message: `must be >= this window's min_replicas (${w.min_replicas})` });
    }
  });
export type ScheduleWindow = z.infer<typeof ScheduleWindowSchema>;

export const ScheduleSchema = z.array(ScheduleWindowSchema);

function cronMessage(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).replace(/^CronPattern: /, '');
}
