import { closest, distance } from 'fastest-levenshtein';

/** The candidate within a small edit distance of `text` (about a third of its length), if any. */
export function nearest(text: string, candidates: readonly string[]): string | undefined {
  if (candidates.length === 0 || text === '') return undefined;
  const best = closest(text, [...candidates]);
  const limit = Math.max(2, Math.floor(best.length / 3));
  return distance(text, best) <= limit && best !== text ? best : undefined;
}

/**
 * The allowed value the author probably meant: the same text in another case (`Mon` → `mon`), the
 * value whose last `/` segment it names (`Berlin` → `Europe/Berlin`), the value it starts with
 * (`tues` → `tue`, `Monday` → `mon`), else the nearest by edit distance (`Europe/Berln` →
 * `Europe/Berlin`). Works for any list of allowed values, so new keys get suggestions for free.
 */
export function suggestValue(input: unknown, allowed: readonly unknown[]): string | undefined {
  if (typeof input !== 'string' && typeof input !== 'number' && typeof input !== 'boolean') return undefined;
  const text = String(input).trim();
  const values = allowed.filter((v): v is string => typeof v === 'string');
  if (text === '' || values.length === 0) return undefined;
  const lower = text.toLowerCase();
  const byCase = values.find((v) => v.toLowerCase() === lower && v !== text);
  if (byCase) return byCase;
  const bySegment = values.filter((v) => v.includes('/') && v.slice(v.lastIndexOf('/') + 1).toLowerCase() === lower.replace(/ /g, '_'));
  if (bySegment.length >= 1) return bySegment.sort((a, b) => a.length - b.length)[0];
  const byPrefix = values.filter((v) => v.length >= 3 && lower.startsWith(v.toLowerCase()));
  if (byPrefix.length >= 1) return byPrefix.sort((a, b) => b.length - a.length)[0];
  const extended = values.filter((v) => lower.length >= 3 && v.toLowerCase().startsWith(lower));
  if (extended.length === 1) return extended[0];
  const near = nearest(text, values);
  if (near) return near;
  // Case-insensitive edit distance (`europe/berln` → `Europe/Berlin`).
  const lowered = values.map((v) => v.toLowerCase());
  const nearLower = nearest(lower, lowered);
  return nearLower ? values[lowered.indexOf(nearLower)] : undefined;
}

/** The known key the author probably meant by an unknown one (`aprovals` → `approvals`). */
export function suggestKey(key: string, known: readonly string[]): string | undefined {
  const lower = key.toLowerCase().replace(/-/g, '_');
  const same = known.find((k) => k.toLowerCase() === lower && k !== key);
  return same ?? nearest(key, known);
}

/** A value as words for a message: `the number 5`, `the text "two"`, `a list`, `a mapping`. */
export function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'an empty value';
  if (typeof value === 'string') return value === '' ? 'an empty text' : `the text ${JSON.stringify(value.length > 60 ? `${value.slice(0, 57)}...` : value)}`;
  if (typeof value === 'number') return `the number ${value}`;
  if (typeof value === 'boolean') return `${value}`;
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  return `a ${typeof value}`;
}
