import { crossChecks } from './cross-checks.js';
import { formatPath, sortErrors, type ConfigError } from './errors.js';
import { knownKeys, placesOfKey } from './json-schema.js';
import { issueErrors, LIBRARY_DEFAULT, type Locator } from './messages.js';
import { configSchema, type Config } from './schema.js';

/** The outcome of validating a configuration: the config with defaults, or every problem at once. */
export type ParseResult = { ok: true; config: Config } | { ok: false; errors: ConfigError[] };

/**
 * Validates a parsed document against the one schema and the cross-field checks, reporting every
 * problem at once, each located through `locateIn` and worded in plain language.
 */
export function validateConfig(value: unknown, locateIn: Locator): ParseResult {
  const result = configSchema.safeParse(value, { reportInput: true, error: () => LIBRARY_DEFAULT });
  const errors: ConfigError[] = result.success ? [] : result.error.issues.flatMap((i) => issueErrors(i, [], locateIn, knownKeys, placesOfKey));
  for (const p of crossChecks(value)) {
    errors.push({ ...locateIn(p.path), path: formatPath(p.path), message: p.message, ...(p.suggestion ? { suggestion: p.suggestion } : {}) });
  }
  if (result.success && errors.length === 0) return { ok: true, config: result.data };
  return { ok: false, errors: sortErrors(errors) };
}
