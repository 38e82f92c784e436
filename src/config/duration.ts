import ms from 'ms';

const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 } as const;
type Unit = keyof typeof UNIT_MS;

/**
 * The form of a duration: one or more `<number><unit>` parts with units ms, s, m, h, d, w, optionally
 * separated by spaces — `30s`, `10m`, `1h30m`, `1d 12h`, `1.5h`. The JSON Schema carries the same
 * pattern, so editors and Stagegate accept exactly the same texts.
 */
export const DURATION_PATTERN = /^\s*(?:\d+(?:\.\d+)?\s*(?:ms|s|m|h|d|w)\s*)+$/;

const PART = /(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w)/g;

/** Milliseconds in a duration such as `30s`, `10m`, `2h`, `1h30m`; null when it is not one. */
export function parseDuration(text: string): number | null {
  if (typeof text !== 'string' || !DURATION_PATTERN.test(text)) return null;
  let total = 0;
  for (const m of text.matchAll(PART)) total += Number(m[1]) * UNIT_MS[m[2] as Unit];
  return Number.isFinite(total) && total >= 0 ? total : null;
}

/** Milliseconds in a duration that the schema already validated. */
export function durationMs(text: string): number {
  const value = parseDuration(text);
  if (value === null) throw new Error(`invalid duration "${text}"`);
  return value;
}

/** A duration in the compact form the schema accepts (`1h30m`, `45s`, `250ms`). */
export function compactDuration(msValue: number): string {
  let rest = Math.round(msValue);
  const parts: string[] = [];
  for (const unit of ['d', 'h', 'm', 's'] as const) {
    const n = Math.floor(rest / UNIT_MS[unit]);
    if (n > 0) parts.push(`${n}${unit}`);
    rest -= n * UNIT_MS[unit];
  }
  if (rest > 0) parts.push(`${rest}ms`);
  return parts.join('') || '0s';
}

/**
 * What the author probably meant by a text that is not a duration: long forms such as `30 minutes`
 * or `1 hour` (read by the `ms` library) in the compact form; null when there is no safe guess. A
 * bare number gets no guess: seconds and minutes are equally likely.
 */
export function suggestDuration(text: string): string | null {
  const t = text.trim();
  if (t === '' || /^\d+(\.\d+)?$/.test(t)) return null;
  const spelled = t
    .split(/\s*(?:,|\band\b)\s*|\s+(?=\d)/)
    .filter(Boolean)
    .map((p) => ms(p as ms.StringValue));
  if (spelled.length === 0 || spelled.some((v) => typeof v !== 'number' || !Number.isFinite(v) || v < 0)) return null;
  return compactDuration(spelled.reduce((a, b) => a + b, 0));
}

/** A short human form of a duration in milliseconds (`1h 5m`, `30s`). */
export function formatDuration(msValue: number): string {
  if (msValue < 1000) return `${Math.round(msValue)}ms`;
  const s = Math.round(msValue / 1000);
  const parts: string[] = [];
  const d = Math.floor(s / 86400);
  const h = Math.floor((s % 86400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  if (d) parts.push(`${d}d`);
  if (h) parts.push(`${h}h`);
  if (m) parts.push(`${m}m`);
  if (sec && !d) parts.push(`${sec}s`);
  return parts.join(' ') || '0s';
}
