// Schedule windows: open/closed from cron expressions in an IANA time zone, across the DST
// changes of Europe/Copenhagen in 2026 (summer time from Sunday 29 March 01:00 UTC, winter time
// from Sunday 25 October 01:00 UTC), and what they do to a decision.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseConfig } from '../../src/config/load';
import { ScheduleWindowSchema } from '../../src/config/schedule';
import { decide } from '../../src/decide/index';
import { scheduledBounds, windowOpen } from '../../src/decide/schedule';
import { InputError } from '../../src/errors';
import { runCli } from '../harness/cli';
import { input, service } from './decide-fixtures';

const at = (iso: string) => Date.parse(iso) / 1000;
const window = (w: Record<string, unknown>) => ScheduleWindowSchema.parse(w);
const OFFICE = window({ start: '0 9 * * 1-5', end: '0 17 * * 1-5', timezone: 'Europe/Copenhagen', min_replicas: 5 });
const NIGHT = window({ start: '0 22 * * *', end: '0 6 * * *', timezone: 'Europe/Copenhagen', max_replicas: 2 });

describe('schedule windows', () => {
  it('opens at 09:00 local time in winter (08:00 UTC) and in summer (07:00 UTC)', () => {
    // Friday 27 March 2026, CET (UTC+1)
    assert.equal(windowOpen(OFFICE, at('2026-03-27T07:30:00Z')), false, '08:30 CET: not yet');
    assert.equal(windowOpen(OFFICE, at('2026-03-27T08:00:00Z')), true, '09:00 CET: the start fire itself opens it');
    assert.equal(windowOpen(OFFICE, at('2026-03-27T15:59:59Z')), true, '16:59:59 CET');
    assert.equal(windowOpen(OFFICE, at('2026-03-27T16:00:00Z')), false, '17:00 CET: the end fire closes it');
    // The weekend: closed (no start since Friday's end)
    assert.equal(windowOpen(OFFICE, at('2026-03-28T10:00:00Z')), false);
    // Monday 30 March 2026, CEST (UTC+2): the same local hours are an hour earlier in UTC
    assert.equal(windowOpen(OFFICE, at('2026-03-30T06:59:00Z')), false, '08:59 CEST');
    assert.equal(windowOpen(OFFICE, at('2026-03-30T07:30:00Z')), true, '09:30 CEST (08:30 CET would be closed)');
    assert.equal(windowOpen(OFFICE, at('2026-03-30T15:30:00Z')), false, '17:30 CEST');
  });

  it('follows the autumn change back: Friday 23 October opens 07:00 UTC, Monday 26 October 08:00 UTC', () => {
    assert.equal(windowOpen(OFFICE, at('2026-10-23T07:30:00Z')), true, '09:30 CEST');
    assert.equal(windowOpen(OFFICE, at('2026-10-26T07:30:00Z')), false, '08:30 CET');
    assert.equal(windowOpen(OFFICE, at('2026-10-26T08:00:00Z')), true, '09:00 CET');
    assert.equal(windowOpen(OFFICE, at('2026-10-26T15:30:00Z')), true, '16:30 CET');
  });

  it('a night window over the spring change lasts 7 hours, over the autumn change 9', () => {
    // Sat 28 → Sun 29 March: 22:00 CET = 21:00 UTC to 06:00 CEST = 04:00 UTC
    assert.equal(windowOpen(NIGHT, at('2026-03-28T20:59:00Z')), false);
    assert.equal(windowOpen(NIGHT, at('2026-03-28T21:00:00Z')), true);
    assert.equal(windowOpen(NIGHT, at('2026-03-29T01:30:00Z')), true, '03:30 CEST, just after the jump');
    assert.equal(windowOpen(NIGHT, at('2026-03-29T03:59:00Z')), true, '05:59 CEST');
    assert.equal(windowOpen(NIGHT, at('2026-03-29T04:00:00Z')), false, '06:00 CEST: closed (an hour-offset bug would keep it open to 05:00 UTC)');
    // Sat 24 → Sun 25 October: 22:00 CEST = 20:00 UTC to 06:00 CET = 05:00 UTC
    assert.equal(windowOpen(NIGHT, at('2026-10-24T20:00:00Z')), true);
    assert.equal(windowOpen(NIGHT, at('2026-10-25T04:30:00Z')), true, '05:30 CET');
    assert.equal(windowOpen(NIGHT, at('2026-10-25T05:00:00Z')), false, '06:00 CET');
  });

  it('a start in the hour skipped in spring fires when the clock jumps; in the repeated autumn hour, once', () => {
    const w = window({ start: '30 2 * * *', end: '0 4 * * *', timezone: 'Europe/Copenhagen', min_replicas: 3 });
    // 29 March: 02:30 local does not exist; the window opens at 03:00 CEST (01:00 UTC)
    assert.equal(windowOpen(w, at('2026-03-29T00:59:00Z')), false);
    assert.equal(windowOpen(w, at('2026-03-29T01:00:00Z')), true);
    assert.equal(windowOpen(w, at('2026-03-29T02:00:00Z')), false, '04:00 CEST');
    // 25 October: 02:30 happens twice (00:30 UTC CEST, 01:30 UTC CET); it fires at the first
    assert.equal(windowOpen(w, at('2026-10-25T00:30:00Z')), true);
    assert.equal(windowOpen(w, at('2026-10-25T02:59:00Z')), true, '03:59 CET');
    assert.equal(windowOpen(w, at('2026-10-25T03:00:00Z')), false, '04:00 CET');
  });

  it('bounds: the highest open floor, the lowest open ceiling; a floor above a ceiling wins', () => {
    const s = { min_replicas: 1, max_replicas: 10, schedule: [OFFICE, NIGHT] };
    assert.deepEqual(scheduledBounds(s, at('2026-03-30T08:00:00Z')), { min_replicas: 5, max_replicas: 10, open: [0], floor_from_schedule: true, ceiling_from_schedule: false });
    assert.deepEqual(scheduledBounds(s, at('2026-03-30T23:00:00Z')), { min_replicas: 1, max_replicas: 2, open: [1], floor_from_schedule: false, ceiling_from_schedule: true });
    const clash = { min_replicas: 1, max_replicas: 10, schedule: [window({ start: '0 0 * * *', end: '0 12 * * *', min_replicas: 6 }), window({ start: '0 0 * * *', end: '0 12 * * *', max_replicas: 3 })] };
    assert.deepEqual(scheduledBounds(clash, at('2026-01-01T06:00:00Z')), { min_replicas: 6, max_replicas: 6, open: [0, 1], floor_from_schedule: true, ceiling_from_schedule: false });
    // A window never loosens the service's own bounds
    const loose = { min_replicas: 4, max_replicas: 8, schedule: [window({ start: '0 0 * * *', end: '0 12 * * *', min_replicas: 2, max_replicas: 9 })] };
    assert.deepEqual(scheduledBounds(loose, at('2026-01-01T06:00:00Z')), { min_replicas: 4, max_replicas: 8, open: [0], floor_from_schedule: false, ceiling_from_schedule: false });
  });
});

describe('decisions under a schedule', () => {
  const RULES = { scale_up_when: [{ metric: 'queue.backlog', op: '>' as const, value: 100 }], scale_down_when: [{ metric: 'queue.backlog', op: '<' as const, value: 10 }], step: { up: 2, down: 1 } };
  const svc = service({ min_replicas: 1, max_replicas: 10, rules: RULES, schedule: [OFFICE, NIGHT] });

  it('raises the floor ahead of the morning: limited_by schedule, no cooldown or rate limit in the way', () => {
    const d = decide(input({ service: svc, current: 1, now: at('2026-03-30T07:00:00Z'), observations: { 'queue.backlog': 0 }, state: { last_scale_up_at: at('2026-03-30T06:59:00Z') } }));
    assert.deepEqual([d.action, d.target_replicas, d.limited_by], ['scale_up', 5, 'schedule']);
    assert.match(d.reason, /current 1 < min_replicas 5 \(schedule\)/);
    assert.deepEqual(d.details.bounds, { min_replicas: 5, max_replicas: 10, schedule_open: [0], configured: { min_replicas: 1, max_replicas: 10 } });
    // An hour earlier in UTC in winter time is still before 09:00: nothing raised.
    const winter = decide(input({ service: svc, current: 1, now: at('2026-03-27T07:00:00Z'), observations: { 'queue.backlog': 0 } }));
    assert.deepEqual([winter.action, winter.limited_by], ['hold', 'min_replicas']);
  });

  it('keeps a scale-down above the raised floor, and caps a scale-up at the night ceiling', () => {
    const down = decide(input({ service: svc, current: 6, now: at('2026-03-30T08:00:00Z'), observations: { 'queue.backlog': 0 } }));
    assert.deepEqual([down.action, down.target_replicas, down.limited_by], ['scale_down', 5, null]);
    const floor = decide(input({ service: service({ ...svc, rules: { ...RULES, step: { up: 2, down: 3 } } }), current: 6, now: at('2026-03-30T08:00:00Z'), observations: { 'queue.backlog': 0 } }));
    assert.deepEqual([floor.target_replicas, floor.limited_by], [5, 'schedule']);
    assert.match(floor.reason, /kept at min_replicas 5 \(wanted 3\) \(schedule\)/);
    const night = decide(input({ service: svc, current: 1, now: at('2026-03-30T23:00:00Z'), observations: { 'queue.backlog': 5000 } }));
    assert.deepEqual([night.action, night.target_replicas, night.limited_by], ['scale_up', 2, 'schedule']);
    // Above the night ceiling when it opens: brought down to it
    const late = decide(input({ service: svc, current: 7, now: at('2026-03-30T20:00:00Z'), observations: { 'queue.backlog': 5000 } }));
    assert.deepEqual([late.action, late.target_replicas, late.limited_by], ['scale_down', 2, 'schedule']);
  });

  it('an override is bound by the service, not by a window', () => {
    const d = decide(input({ service: svc, current: 2, now: at('2026-03-30T23:00:00Z'), override: { replicas: 8 } }));
    assert.deepEqual([d.target_replicas, d.limited_by], [8, 'override']);
  });
});

describe('docktor decide with a schedule', () => {
  it('07:30 UTC is outside office hours on Friday 27 March (08:30 CET) and inside on Monday 30 March (09:30 CEST)', async () => {
    const decideAt = async (iso: string) => {
      const r = await runCli(['decide'], {
        cwd: process.cwd(),
        stdin: JSON.stringify({ now: at(iso), current_replicas: 1, observations: {}, service: { name: 'w', max_replicas: 10, rules: {}, schedule: [{ start: '0 9 * * 1-5', end: '0 17 * * 1-5', timezone: 'Europe/Copenhagen', min_replicas: 5 }] } }),
      });
      assert.equal(r.code, 0, r.err);
      return JSON.parse(r.out) as { target_replicas: number; limited_by: string | null };
    };
    const friday = await decideAt('2026-03-27T07:30:00Z');
    const monday = await decideAt('2026-03-30T07:30:00Z');
    assert.deepEqual([friday.target_replicas, friday.limited_by], [1, null]);
    assert.deepEqual([monday.target_replicas, monday.limited_by], [5, 'schedule']);
  });
});

describe('schedule config', () => {
  const load = (schedule: string) => parseConfig(`services:\n  - { name: w, max_replicas: 10, rules: {}, schedule: ${schedule} }\n`, '/tmp/docktor.yaml');
  const issues = (schedule: string) => {
    try {
      load(schedule);
    } catch (e) {
      assert.ok(e instanceof InputError, String(e));
      return e.issues.map((i) => `${i.path}: ${i.message}`);
    }
    return assert.fail('no error');
  };

  it('accepts a window and defaults the time zone to UTC', () => {
    const w = load('[{ start: "0 9 * * 1-5", end: "0 17 * * 1-5", min_replicas: 3 }]').services[0]!.schedule![0]!;
    assert.deepEqual(w, { start: '0 9 * * 1-5', end: '0 17 * * 1-5', timezone: 'UTC', min_replicas: 3, max_replicas: null });
  });

  it('names the field of a bad cron expression, a bad time zone and bounds that do not fit', () => {
    assert.match(issues('[{ start: "0 9 * *", end: "0 17 * * *", min_replicas: 3 }]')[0]!, /^services\[0\]\.schedule\[0\]\.start: not a cron expression \(.*five, six, or seven.*\); e\.g\. "0 9 \* \* 1-5"/);
    assert.match(issues('[{ start: "0 9 * * *", end: "61 17 * * *", min_replicas: 3 }]')[0]!, /^services\[0\]\.schedule\[0\]\.end: not a cron expression \(Invalid value for minute: 61\)/);
    assert.deepEqual(issues('[{ start: "0 9 * * *", end: "0 17 * * *", timezone: Europe/Kopenhagen, min_replicas: 3 }]'), [
      'services[0].schedule[0].timezone: unknown time zone "Europe/Kopenhagen": use an IANA name such as Europe/Copenhagen or UTC',
    ]);
    assert.deepEqual(issues('[{ start: "0 9 * * *", end: "0 17 * * *" }]'), ['services[0].schedule[0].min_replicas: set min_replicas and/or max_replicas: what the window changes while open']);
    assert.deepEqual(issues('[{ start: "0 9 * * *", end: "0 17 * * *", min_replicas: 11 }]'), ["services[0].schedule[0].min_replicas: must be <= the service's max_replicas (10)"]);
  });
});
