import ms from 'ms';

const FORM = /^\d+(\.\d+)?\s*(ms|s|m|h|d|w)$/;

/** Milliseconds in a duration such as `30s`, `10m`, `2h`; null when it is not one. */
export function parseDuration(text: string): number | null {
  if (!FORM.test(text.trim())) return null;
  const value = ms(text.trim() as ms.StringValue);
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 ? value : null;
}

/** Milliseconds in a duration that the schema already validated. */
export function durationMs(text: string): number {
  const value = parseDuration(text);
  if (value === null) throw new Error(`invalid duration "${text}"`);
  return value;
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
