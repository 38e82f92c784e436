import { DateTime, IANAZone } from 'luxon';
import type { DeployWindow } from '../config/schema.js';
import type { Rule, RuleResult } from '../gate/types.js';
import { failClosed } from './common.js';

const ID = 'windows';
const TITLE = 'Deploy window';

const DAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;

interface ParsedWindow {
  window: DeployWindow;
  days: Set<number>;
  /** Minutes after local midnight. */
  start: number;
  end: number;
}

function parse(w: DeployWindow): ParsedWindow {
  const m = /^(\d{2}):(\d{2})-(\d{2}):(\d{2})$/.exec(w.hours);
  if (!m) throw new Error(`deploy window hours "${w.hours}" are not HH:MM-HH:MM`);
  const [, sh, sm, eh, em] = m.map(Number) as [number, number, number, number, number];
  if (!IANAZone.isValidZone(w.timezone)) throw new Error(`deploy window time zone "${w.timezone}" is unknown`);
  return { window: w, days: new Set(w.days.map((d) => DAYS.indexOf(d) + 1)), start: sh * 60 + sm, end: eh * 60 + em };
}

/** Local wall-clock time `minutes` after midnight of `day` (24:00 is the next midnight; luxon moves times in a DST gap forward). */
function at(day: DateTime, minutes: number): DateTime {
  const midnight = day.startOf('day');
  if (minutes >= 1440) return midnight.plus({ days: 1 });
  return midnight.set({ hour: Math.floor(minutes / 60), minute: minutes % 60 });
}

/** When the occurrence of `w` containing `now` closes, or null when `now` is outside `w`. */
function closesAt(w: ParsedWindow, now: Date): DateTime | null {
  const local = DateTime.fromJSDate(now, { zone: w.window.timezone });
  const minute = local.hour * 60 + local.minute;
  if (w.start < w.end) {
    return w.days.has(local.weekday) && minute >= w.start && minute < w.end ? at(local, w.end) : null;
  }
  if (w.start === w.end) return null;
  if (w.days.has(local.weekday) && minute >= w.start) return at(local.plus({ days: 1 }), w.end);
  if (w.days.has(local.minus({ days: 1 }).weekday) && minute < w.end) return at(local, w.end);
  return null;
}

/** The first opening of `w` after `now`, looking a week ahead; null when it never opens. */
function opensAfter(w: ParsedWindow, now: Date): DateTime | null {
  if (w.start === w.end) return null;
  const local = DateTime.fromJSDate(now, { zone: w.window.timezone });
  for (let k = 0; k <= 7; k += 1) {
    const day = local.plus({ days: k });
    if (!w.days.has(day.weekday)) continue;
    const open = at(day, w.start);
    if (open.toMillis() > now.getTime()) return open;
  }
  return null;
}

/**
 * Deploy windows: `now` must be inside one of the stage's windows (days and `HH:MM-HH:MM` local hours, start
 * inclusive, end exclusive, in the window's IANA time zone, DST-correct; an end before the start spans
 * midnight). Outside, the rule is pending until the next opening, which is its `nextChangeAt`; inside,
 * `nextChangeAt` is when the windows close.
 */
export const windowsRule: Rule = {
  id: ID,
  title: TITLE,
  triggers: ['time'],
  applies: (stage) => stage.windows.length > 0,
  evaluate: failClosed(ID, TITLE, async (ctx) => {
    const windows = ctx.stage.windows.map(parse);
    const now = ctx.now;
    const inside = windows.filter((w) => closesAt(w, now) !== null);
    if (inside.length > 0) {
      // The gate stays open until no window holds: follow overlapping windows to the end of their union.
      let close = now;
      for (let i = 0; i < 32; i += 1) {
        const ends = windows.map((w) => closesAt(w, close)).filter((d): d is DateTime => d !== null);
        if (ends.length === 0) break;
        close = new Date(Math.max(...ends.map((d) => d.toMillis())));
      }
      const first = inside[0]!;
      const closeLocal = DateTime.fromJSDate(close, { zone: first.window.timezone });
      return {
        id: ID,
        title: TITLE,
        state: 'passed',
        reason: `inside deploy window ${humanWindow(first.window)} until ${closeLocal.toISO({ suppressMilliseconds: true })} (${first.window.timezone})`,
        matched: inside.map((w) => humanWindow(w.window)),
        nextChangeAt: close.toISOString(),
      } satisfies RuleResult;
    }
    const next = windows
      .map((w) => ({ w, open: opensAfter(w, now) }))
      .filter((x): x is { w: ParsedWindow; open: DateTime } => x.open !== null)
      .sort((a, b) => a.open.toMillis() - b.open.toMillis())[0];
    if (!next) {
      return { id: ID, title: TITLE, state: 'pending', reason: 'outside every deploy window, and none ever opens', matched: [] };
    }
    return {
      id: ID,
      title: TITLE,
      state: 'pending',
      reason: `outside deploy windows; next opens ${next.open.toISO({ suppressMilliseconds: true })} (${next.w.window.timezone})`,
      matched: [],
      nextChangeAt: new Date(next.open.toMillis()).toISOString(),
    } satisfies RuleResult;
  }),
};

/** `mon–thu 09:00-16:00 Europe/Berlin`. */
export function humanWindow(w: DeployWindow): string {
  return `${w.days.join(',')} ${w.hours} ${w.timezone}`;
}
