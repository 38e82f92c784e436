import { DateTime } from 'luxon';

/** A time span the metrics are computed over: `[startMs, endMs)`. */
export interface Period {
  /** `7d`, `30d`, `90d`, or `since` for an explicit start. */
  id: string;
  /** What the page and the CLI call it ("last 7 days", "since 2026-11-01"). */
  label: string;
  startMs: number;
  endMs: number;
  /** Length in days (for per-day rates). */
  days: number;
}

/** One bar of a chart: `[startMs, endMs)`, labelled with its first day in the time zone. */
export interface Bucket {
  index: number;
  startMs: number;
  endMs: number;
  /** `2026-11-30` (the first day of the bucket, in the time zone). */
  label: string;
}

/** The standard periods of the page: the last 7, 30 and 90 days. */
export const STANDARD_DAYS = [7, 30, 90] as const;

const DAY_MS = 86_400_000;

/** Whether `zone` is an IANA time zone luxon can use. */
export function isValidZone(zone: string): boolean {
  return DateTime.now().setZone(zone).isValid;
}

/**
 * The last `days` calendar days in `zone`, today included: from midnight `days - 1` days ago (in the
 * zone, so a day is 23 or 25 hours across a DST change) to `now`.
 */
export function lastDays(days: number, now: Date, zone: string): Period {
  const end = DateTime.fromJSDate(now, { zone });
  const start = end.startOf('day').minus({ days: days - 1 });
  return { id: `${days}d`, label: `last ${days} days`, startMs: start.toMillis(), endMs: now.getTime(), days };
}

/** From `since` (inclusive) to `until` (exclusive, default now). */
export function between(since: Date, until: Date, zone: string): Period {
  const s = DateTime.fromJSDate(since, { zone });
  const days = Math.max(1, Math.ceil((until.getTime() - since.getTime()) / DAY_MS));
  return { id: 'since', label: `since ${s.toISODate() ?? since.toISOString()}`, startMs: since.getTime(), endMs: until.getTime(), days };
}

/**
 * The chart buckets of a period: calendar days in `zone` for up to 31 days, else weeks starting on
 * Monday (the first and last bucket may be partial: they are cut at the period's ends).
 */
export function bucketsOf(period: Period, zone: string): Bucket[] {
  const unit = period.days <= 31 ? 'day' : 'week';
  const out: Bucket[] = [];
  let cursor = DateTime.fromMillis(period.startMs, { zone }).startOf(unit);
  while (cursor.toMillis() < period.endMs) {
    const next = cursor.plus(unit === 'day' ? { days: 1 } : { weeks: 1 });
    const startMs = Math.max(cursor.toMillis(), period.startMs);
    const endMs = Math.min(next.toMillis(), period.endMs);
    if (endMs > startMs) out.push({ index: out.length, startMs, endMs, label: DateTime.fromMillis(startMs, { zone }).toISODate() ?? '' });
    cursor = next;
  }
  return out;
}
