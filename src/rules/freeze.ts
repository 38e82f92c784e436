import { DateTime } from 'luxon';
import type { Freeze } from '../config/schema.js';
import type { Rule } from '../gate/types.js';
import { failClosed } from './common.js';

const ID = 'freeze';
const TITLE = 'Freeze';

const DATE_ONLY = /^\d{4}-\d{2}-\d{2}$/;

/** A freeze as a half-open interval of instants [start, end). */
export interface FreezeInterval {
  freeze: Freeze;
  start: DateTime;
  end: DateTime;
}

function instant(value: string, zone: string, edge: 'from' | 'to'): DateTime {
  const text = value.trim().replace(' ', 'T');
  const dt = DateTime.fromISO(text, { zone });
  if (!dt.isValid) throw new Error(`cannot read freeze ${edge} "${value}" in ${zone}: ${dt.invalidExplanation ?? dt.invalidReason ?? 'invalid'}`);
  if (DATE_ONLY.test(text)) return edge === 'from' ? dt.startOf('day') : dt.startOf('day').plus({ days: 1 });
  return dt;
}

/**
 * The instants a freeze covers: a date is a whole day in the freeze's time zone (`to` inclusive, so the
 * freeze ends at the following midnight); a date-time is an instant (read in the freeze's time zone when
 * it has no offset), and a `to` instant is the first moment no longer frozen.
 */
export function freezeInterval(f: Freeze): FreezeInterval {
  return { freeze: f, start: instant(f.from, f.timezone, 'from'), end: instant(f.to, f.timezone, 'to') };
}

function iso(dt: DateTime): string {
  return dt.toISO({ suppressMilliseconds: true }) ?? dt.toString();
}

/**
 * Freeze: inside any freeze period the stage is blocked, with the freeze's reason and when it ends (the
 * end of all overlapping freezes, which is also `nextChangeAt`). Outside, it passes; `nextChangeAt` is the
 * start of the next freeze.
 */
export const freezeRule: Rule = {
  id: ID,
  title: TITLE,
  triggers: ['time'],
  applies: (stage) => stage.freeze.length > 0,
  evaluate: failClosed(ID, TITLE, async (ctx) => {
    const intervals = ctx.stage.freeze.map(freezeInterval);
    const now = ctx.now.getTime();
    const holding = (t: number): FreezeInterval[] => intervals.filter((i) => i.start.toMillis() <= t && t < i.end.toMillis());
    const current = holding(now);
    if (current.length > 0) {
      let end = now;
      for (let k = 0; k < 64; k += 1) {
        const h = holding(end);
        if (h.length === 0) break;
        end = Math.max(...h.map((i) => i.end.toMillis()));
      }
      const first = current[0]!;
      const endLocal = DateTime.fromMillis(end, { zone: first.freeze.timezone });
      const why = current.map((i) => i.freeze.reason ?? 'freeze').join('; ');
      return {
        id: ID,
        title: TITLE,
        state: 'blocked',
        reason: `${why}: frozen ${first.freeze.from} to ${first.freeze.to} (${first.freeze.timezone}); ends ${iso(endLocal)}`,
        matched: current.map((i) => i.freeze.reason ?? `${i.freeze.from}..${i.freeze.to}`),
        nextChangeAt: new Date(end).toISOString(),
      };
    }
    const upcoming = intervals.filter((i) => i.start.toMillis() > now).sort((a, b) => a.start.toMillis() - b.start.toMillis())[0];
    if (!upcoming) return { id: ID, title: TITLE, state: 'passed', reason: 'no freeze now or ahead', matched: [] };
    return {
      id: ID,
      title: TITLE,
      state: 'passed',
      reason: `no freeze now; next: ${upcoming.freeze.reason ?? 'freeze'} from ${iso(upcoming.start)} (${upcoming.freeze.timezone})`,
      matched: [],
      nextChangeAt: new Date(upcoming.start.toMillis()).toISOString(),
    };
  }),
};
