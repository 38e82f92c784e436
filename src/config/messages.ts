import type { z } from 'zod';
import { formatPath, type ConfigError, type KeyPath } from './errors.js';
import { formatOfPattern } from './formats.js';
import { describeValue, suggestKey, suggestValue } from './suggest.js';

/**
 * Passed to zod as the parse-time message for every issue: schema-level messages (ours, in plain
 * words) take precedence over it, so an issue that carries this text gets its message from
 * {@link plainMessage} instead — no library text reaches a user.
 */
export const LIBRARY_DEFAULT = '\u0000library-default';

type Issue = z.core.$ZodIssue;
/** Where a key path is in the source files. */
export type Locator = (path: KeyPath, keyOf?: string) => Pick<ConfigError, 'file' | 'line' | 'column'>;

const TYPE_WORDS: Record<string, string> = {
  string: 'text',
  number: 'a number',
  int: 'a whole number',
  bigint: 'a whole number',
  boolean: 'true or false',
  array: 'a list',
  object: 'a mapping (key: value)',
  record: 'a mapping (key: value)',
  map: 'a mapping (key: value)',
  null: 'empty',
};

const FORMAT_WORDS: Record<string, string> = {
  url: 'a URL such as https://example.com/healthz',
  email: 'an email address',
  uuid: 'a UUID',
  datetime: 'a date-time such as 2026-12-20T18:00:00Z',
  date: 'a date such as 2026-12-20',
};

const quote = (v: unknown): string => (typeof v === 'string' ? `"${v}"` : String(v));

/** The plain-words message of one issue whose message zod left to us. */
export function plainMessage(issue: Issue): string {
  const input = (issue as { input?: unknown }).input;
  switch (issue.code) {
    case 'invalid_type': {
      if (input === undefined) return 'is required';
      if (issue.expected === 'int' && typeof input === 'number') return `must be a whole number, not ${input}`;
      return `must be ${TYPE_WORDS[issue.expected] ?? issue.expected}, not ${describeValue(input)}`;
    }
    case 'too_small': {
      const min = Number(issue.minimum);
      if (issue.origin === 'array' || issue.origin === 'set') return min === 1 ? 'must list at least one item' : `must list at least ${min} items`;
      if (issue.origin === 'string') return min === 1 ? 'must not be empty' : `must be at least ${min} characters long`;
      return issue.inclusive === false ? `must be more than ${min}, not ${String(input)}` : `must be at least ${min}, not ${String(input)}`;
    }
    case 'too_big': {
      const max = Number(issue.maximum);
      if (issue.origin === 'array' || issue.origin === 'set') return `must list at most ${max} item${max === 1 ? '' : 's'}`;
      if (issue.origin === 'string') return `must be at most ${max} characters long`;
      return issue.inclusive === false ? `must be less than ${max}, not ${String(input)}` : `must be at most ${max}, not ${String(input)}`;
    }
    case 'invalid_format': {
      const known = issue.format === 'regex' ? formatOfPattern((issue as { pattern?: string }).pattern) : undefined;
      const expected = known?.expected ?? FORMAT_WORDS[issue.format] ?? (issue.format === 'regex' ? 'in the expected form' : `a valid ${issue.format}`);
      return `must be ${expected}, not ${describeValue(input)}`;
    }
    case 'invalid_value': {
      const values = issue.values;
      if (values.length === 1) return `must be ${quote(values[0])}, the only value supported, not ${describeValue(input)}`;
      if (values.length <= 12) return `must be one of ${values.map(quote).join(', ')}, not ${describeValue(input)}`;
      return `is not one of the ${values.length} allowed values (${describeValue(input)})`;
    }
    case 'not_multiple_of':
      return `must be a multiple of ${String(issue.divisor)}, not ${String(input)}`;
    case 'unrecognized_keys':
      return `unknown key${issue.keys.length === 1 ? '' : 's'} ${issue.keys.map(quote).join(', ')}`;
    case 'invalid_key':
    case 'invalid_element': {
      const inner = issue.issues[0];
      const what = issue.code === 'invalid_key' ? 'is not an allowed key' : 'is not an allowed item';
      return inner ? `${what}: ${messageOf(inner)}` : what;
    }
    case 'invalid_union':
      return 'does not match any of the allowed forms';
    case 'custom':
      return 'is not valid here';
  }
}

/** The message of an issue: the schema's own (plain) message, else {@link plainMessage}. */
function messageOf(issue: Issue): string {
  return issue.message === LIBRARY_DEFAULT || issue.message === '' ? plainMessage(issue) : issue.message;
}

function suggestionOf(issue: Issue): string | undefined {
  const input = (issue as { input?: unknown }).input;
  if (issue.code === 'invalid_value') return suggestValue(input, issue.values);
  if (issue.code === 'invalid_format' && issue.format === 'regex' && typeof input === 'string') {
    return formatOfPattern((issue as { pattern?: string }).pattern)?.suggest?.(input) ?? undefined;
  }
  return undefined;
}

/** How far a union branch is from matching: its issue count, each unknown key counting once. */
function distanceOf(issues: readonly Issue[]): number {
  return issues.reduce((n, i) => n + (i.code === 'unrecognized_keys' ? i.keys.length : 1), 0);
}

/** Turns one zod issue into located errors; `at` prefixes the issue's path (for union branches). */
export function issueErrors(issue: Issue, at: KeyPath, locateIn: Locator, knownKeys: (path: KeyPath) => string[], placesOfKey: (key: string) => string[] = () => []): ConfigError[] {
  const path: KeyPath = [...at, ...issue.path.filter((p): p is string | number => typeof p !== 'symbol')];
  if (issue.code === 'unrecognized_keys') {
    const candidates = knownKeys(path);
    return issue.keys.map((key) => {
      const suggestion = suggestKey(key, candidates);
      const elsewhere = suggestion ? [] : placesOfKey(key);
      const message = elsewhere.length ? `unknown key "${key}" here; it belongs in ${elsewhere.join(' or ')}` : `unknown key "${key}"`;
      return { ...locateIn(path, key), path: formatPath([...path, key]), message, ...(suggestion ? { suggestion } : {}) };
    });
  }
  if (issue.code === 'invalid_union' && issue.message === LIBRARY_DEFAULT && issue.errors.length > 0) return unionErrors(issue, path, locateIn, knownKeys, placesOfKey);
  const suggestion = suggestionOf(issue);
  return [{ ...locateIn(path), path: formatPath(path), message: messageOf(issue), ...(suggestion ? { suggestion } : {}) }];
}

/**
 * A value that matches none of a union's forms: when one form is clearly nearest, its problems;
 * when the value is not even the right kind of value, what kinds would do; when forms tie on
 * missing keys, which keys would make it one of them; when they tie on keys each form rejects,
 * which keys cannot be combined.
 */
function unionErrors(
  issue: Extract<Issue, { code: 'invalid_union' }>,
  path: KeyPath,
  locateIn: Locator,
  knownKeys: (path: KeyPath) => string[],
  placesOfKey: (key: string) => string[],
): ConfigError[] {
  const branches = issue.errors;
  const here = (message: string): ConfigError[] => [{ ...locateIn(path), path: formatPath(path), message }];
  const rootTypes = branches.map((b) => b.find((i) => i.code === 'invalid_type' && i.path.length === 0));
  if (rootTypes.every(Boolean)) {
    const kinds = [...new Set(rootTypes.map((i) => TYPE_WORDS[(i as { expected: string }).expected] ?? (i as { expected: string }).expected))];
    return here(`must be ${kinds.join(' or ')}, not ${describeValue((issue as { input?: unknown }).input)}`);
  }
  const scores = branches.map(distanceOf);
  const best = Math.min(...scores);
  const tied = branches.filter((_, i) => scores[i] === best);
  if (tied.length === 1) return tied[0]!.flatMap((i) => issueErrors(i, path, locateIn, knownKeys, placesOfKey));
  const missing = tied.map((b) => b.filter((i) => i.code === 'invalid_type' && i.path.length === 1 && (i as { input?: unknown }).input === undefined).map((i) => String(i.path[0])));
  if (missing.every((m) => m.length > 0)) return here(`needs ${[...new Set(missing.map((m) => m.join(' and ')))].join(' or ')}`);
  const rejected = tied.map((b) => (b.length === 1 && b[0]!.code === 'unrecognized_keys' ? b[0].keys : null));
  if (rejected.every((k) => k !== null)) {
    return here(`cannot combine ${[...new Set(rejected.flatMap((k) => k ?? []))].map(quote).join(' with ')}: each belongs to a different form`);
  }
  return tied[0]!.flatMap((i) => issueErrors(i, path, locateIn, knownKeys, placesOfKey));
}
