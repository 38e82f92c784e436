import { IANAZone } from 'luxon';
import { z } from 'zod';
import { DURATION_PATTERN, suggestDuration } from './duration.js';
import { describeValue } from './suggest.js';
import { TIME_ZONES } from './time-zones.js';

/**
 * A text format of the configuration: the pattern (also written into the JSON Schema, so editors
 * check the same thing), the plain-words message, and a guess at what the author meant.
 */
export interface TextFormat {
  pattern: RegExp;
  /** What the value must look like, e.g. `a duration such as 30s, 10m, 2h or 1h30m`. */
  expected: string;
  /** The value the author probably meant, when a safe guess exists. */
  suggest?: (input: string) => string | null;
}

const registry = new Map<string, TextFormat>();

/** The format whose pattern is `pattern` (as zod reports it, `/.../`), if it is a registered one. */
export function formatOfPattern(pattern: string | undefined): TextFormat | undefined {
  return pattern === undefined ? undefined : registry.get(pattern);
}

/**
 * A text schema of a registered format: wrong types and wrong forms both get the format's own
 * plain message. Use it for every new key of a known form (durations, dates, ...).
 */
export function formatted(format: TextFormat): z.ZodString {
  registry.set(String(format.pattern), format);
  const wrong = (input: unknown): string => `must be ${format.expected}, not ${describeValue(input)}`;
  return z.string({ error: (iss) => (iss.input === undefined ? undefined : wrong(iss.input)) }).regex(format.pattern, { error: (iss) => wrong(iss.input), abort: true });
}

/** Durations: `30s`, `10m`, `2h`, `1h30m`, `1d 12h`. */
export const DURATION: TextFormat = { pattern: DURATION_PATTERN, expected: 'a duration such as 30s, 10m, 2h or 1h30m', suggest: suggestDuration };

const pad2 = (n: string): string => n.padStart(2, '0');

/** Dates (`2026-12-20`) and date-times (`2026-12-20T18:00`, with an optional offset). */
export const DATE: TextFormat = {
  pattern: /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:?\d{2})?)?$/,
  expected: 'a date (2026-12-20) or a date-time (2026-12-20T18:00:00+01:00)',
  suggest: (input) => {
    const m = /^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})$/.exec(input.trim());
    return m ? `${m[1]}-${pad2(m[2]!)}-${pad2(m[3]!)}` : null;
  },
};

/** Daily time ranges `HH:MM-HH:MM` (24-hour clock; `24:00` may end a range). */
export const HOURS: TextFormat = {
  pattern: /^(?:[01]\d|2[0-3]):[0-5]\d-(?:(?:[01]\d|2[0-3]):[0-5]\d|24:00)$/,
  expected: 'a time range such as 09:00-16:00 (24-hour HH:MM-HH:MM)',
  suggest: (input) => {
    const m = /^\s*(\d{1,2})(?::(\d{2}))?\s*(?:-|–|to)\s*(\d{1,2})(?::(\d{2}))?\s*$/.exec(input);
    if (!m) return null;
    const text = `${pad2(m[1]!)}:${m[2] ?? '00'}-${pad2(m[3]!)}:${m[4] ?? '00'}`;
    return HOURS.pattern.test(text) ? text : null;
  },
};

/** GitHub logins (`anna`) and teams (`@org/team-slug`). */
export const LOGIN: TextFormat = {
  pattern: /^(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})|@[A-Za-z0-9-]+\/[A-Za-z0-9._-]+)$/,
  expected: 'a GitHub login (anna) or a team (@org/team-slug)',
  suggest: (input) => {
    const t = input.trim();
    if (/^[A-Za-z0-9-]+\/[A-Za-z0-9._-]+$/.test(t)) return `@${t}`;
    if (/^@[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})$/.test(t)) return t.slice(1);
    return null;
  },
};

/** Is a date or date-time text a real moment of the calendar (no 2026-02-30, no 25:00)? */
export function isCalendarDate(text: string): boolean {
  const m = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2}))?/.exec(text);
  if (!m) return false;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const day = new Date(Date.UTC(y, mo - 1, d));
  if (day.getUTCFullYear() !== y || day.getUTCMonth() !== mo - 1 || day.getUTCDate() !== d) return false;
  return m[4] === undefined || (Number(m[4]) < 24 && Number(m[5]) < 60);
}

/** A duration (see {@link DURATION}). */
export const durationSchema = formatted(DURATION).meta({ id: 'duration', description: 'A duration such as 30s, 10m, 2h or 1h30m (units ms, s, m, h, d, w; parts may be combined)' });

/** A date or a date-time (see {@link DATE}); the day must exist. */
export const dateSchema = formatted(DATE)
  .refine(isCalendarDate, { error: 'is not a day of the calendar (check the month and the day)' })
  .meta({ id: 'date', description: 'A date (2026-12-20) or a date-time (2026-12-20T18:00:00+01:00)' });

/** A daily time range (see {@link HOURS}). */
export const hoursSchema = formatted(HOURS).meta({ id: 'hours', description: 'Local time range HH:MM-HH:MM, start inclusive, end exclusive' });

/** A login or team (see {@link LOGIN}). */
export const loginSchema = formatted(LOGIN).meta({ id: 'login', description: 'A GitHub login (anna) or a team (@org/team-slug)' });

/** An IANA time zone name, from the committed list; it must also be known to this runtime. */
export const timezoneSchema = z
  .enum(TIME_ZONES, { error: (iss) => (iss.input === undefined ? undefined : 'is not an IANA time zone such as Europe/Berlin, America/New_York or UTC') })
  .refine((tz) => IANAZone.isValidZone(tz), { error: 'is an IANA time zone this Node.js runtime does not know (update Node.js or use another name for the zone)' })
  .meta({ id: 'time-zone', description: 'IANA time zone, e.g. Europe/Berlin' });
