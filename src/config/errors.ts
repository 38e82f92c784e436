/** One configuration problem, located in its file. */
export interface ConfigError {
  /** File the problem is in, e.g. `.github/stagegate.yml` or `acme/.github:.github/stagegate.yml`. */
  file: string;
  /** 1-based line, when the problem can be located. */
  line: number | null;
  /** 1-based column, when the problem can be located. */
  column: number | null;
  /** Key path such as `stages[1].signoff.approvals`; empty for the whole document. */
  path: string;
  /** What is wrong, in plain words. */
  message: string;
  /** What the author probably meant: a near-miss key, an allowed value, a time zone, a duration. */
  suggestion?: string;
}

/** A key path as segments: keys and list indexes. */
export type KeyPath = (string | number)[];

/** Formats a key path as `stages[1].signoff.approvals`. */
export function formatPath(path: readonly PropertyKey[]): string {
  return path.reduce<string>((acc, seg) => {
    if (typeof seg === 'number') return `${acc}[${seg}]`;
    return acc ? `${acc}.${String(seg)}` : String(seg);
  }, '');
}

/** One line per error: `file:line:col: path: message (did you mean "x"?)`. */
export function formatConfigError(e: ConfigError): string {
  const where = e.line !== null ? `${e.file}:${e.line}:${e.column ?? 1}` : e.file;
  const hint = e.suggestion ? ` (did you mean "${e.suggestion}"?)` : '';
  return `${where}: ${e.path ? `${e.path}: ` : ''}${e.message}${hint}`;
}

/** Errors in file order (file, line, column), duplicates removed. */
export function sortErrors(errors: readonly ConfigError[]): ConfigError[] {
  const seen = new Set<string>();
  return errors
    .filter((e) => {
      const k = `${e.file}\u0000${e.path}\u0000${e.message}`;
      if (seen.has(k)) return false;
      seen.add(k);
      return true;
    })
    .map((e, i) => ({ e, i }))
    .sort((a, b) => (a.e.file === b.e.file ? 0 : a.e.file < b.e.file ? -1 : 1) || (a.e.line ?? 0) - (b.e.line ?? 0) || (a.e.column ?? 0) - (b.e.column ?? 0) || a.i - b.i)
    .map(({ e }) => e);
}
