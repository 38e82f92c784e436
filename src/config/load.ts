import { load, CORE_SCHEMA, YAMLException } from 'js-yaml';
import { LineCounter, parseDocument, isMap, isPair, isScalar, type Document, type Node as YamlNode } from 'yaml';
import { closest, distance } from 'fastest-levenshtein';
import type { z } from 'zod';
import { configJsonSchema, configSchema, type Config } from './schema.js';

/** Where the configuration lives in a repository. */
export const CONFIG_PATH = '.github/stagegate.yml';

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
  /** What is wrong. */
  message: string;
  /** A near-miss key the author probably meant. */
  suggestion?: string;
}

/** The outcome of parsing and validating configuration text. */
export type ParseResult = { ok: true; config: Config } | { ok: false; errors: ConfigError[] };

/** Reads files from repositories; the GitHub implementation reads contents at a ref. */
export interface ConfigSource {
  /** The file's text, or null when the file (or the ref) does not exist. Throws on any other failure. */
  read(loc: { owner: string; repo: string; path: string; ref?: string }): Promise<string | null>;
}

/** Where the configuration was read from. */
export interface ConfigOrigin {
  /** Ref the file was read at. */
  ref: string;
  /** True when the base branch had no file and the default branch's was used. */
  fellBack: boolean;
  /** The `_extends` target, when one was merged in. */
  extendsFrom?: string;
}

/** The outcome of loading a repository's configuration. */
export type LoadResult = { kind: 'ok'; config: Config; origin: ConfigOrigin } | { kind: 'absent' } | { kind: 'invalid'; errors: ConfigError[]; origin: ConfigOrigin };

type Path = (string | number)[];

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

interface ParsedYaml {
  file: string;
  value: unknown;
  doc: Document;
  lines: LineCounter;
}

function parseYaml(text: string, file: string): { ok: true; parsed: ParsedYaml } | { ok: false; errors: ConfigError[] } {
  let value: unknown;
  try {
    value = load(text, { filename: file, schema: CORE_SCHEMA, json: false });
  } catch (err) {
    if (err instanceof YAMLException) {
      const mark = err.mark as { line?: number; column?: number } | undefined;
      return {
        ok: false,
        errors: [
          {
            file,
            line: mark?.line !== undefined ? mark.line + 1 : null,
            column: mark?.column !== undefined ? mark.column + 1 : null,
            path: '',
            message: `YAML syntax error: ${err.reason}`,
          },
        ],
      };
    }
    throw err;
  }
  if (value === undefined || value === null) {
    return { ok: false, errors: [{ file, line: 1, column: 1, path: '', message: 'the file is empty' }] };
  }
  if (typeof value !== 'object' || Array.isArray(value)) {
    return { ok: false, errors: [{ file, line: 1, column: 1, path: '', message: 'must be a mapping of keys (stages, risk, deploy)' }] };
  }
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, keepSourceTokens: false, uniqueKeys: false });
  return { ok: true, parsed: { file, value, doc, lines } };
}

function locate(parsed: ParsedYaml, path: Path, keyOf?: string): { line: number; col: number } | null {
  let node: unknown = parsed.doc.contents;
  let last: { line: number; col: number } | null = null;
  const pos = (n: unknown): { line: number; col: number } | null => {
    const range = (n as YamlNode | undefined)?.range;
    if (!range) return null;
    return parsed.lines.linePos(range[0]);
  };
  last = pos(node);
  const segs: Path = keyOf !== undefined ? [...path, keyOf] : path;
  for (let i = 0; i < segs.length; i++) {
    const seg = segs[i]!;
    if (isMap(node)) {
      const pair = node.items.find((p) => isPair(p) && isScalar(p.key) && String(p.key.value) === String(seg));
      if (!pair) return last;
      const isLast = i === segs.length - 1;
      if (isLast && keyOf !== undefined) return pos(pair.key) ?? last;
      last = pos(pair.value) ?? pos(pair.key) ?? last;
      node = pair.value;
    } else if (node && typeof node === 'object' && 'items' in node && Array.isArray((node as { items: unknown[] }).items)) {
      const item = (node as { items: unknown[] }).items[Number(seg)];
      if (item === undefined) return last;
      last = pos(item) ?? last;
      node = item;
    } else {
      return last;
    }
  }
  return last;
}

type JsonSchema = {
  properties?: Record<string, JsonSchema>;
  items?: JsonSchema;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  allOf?: JsonSchema[];
};

let cachedJsonSchema: JsonSchema | null = null;

function knownKeys(path: Path): string[] {
  cachedJsonSchema ??= configJsonSchema() as JsonSchema;
  let nodes: JsonSchema[] = [cachedJsonSchema];
  const expand = (list: JsonSchema[]): JsonSchema[] => list.flatMap((n) => [n, ...expand([...(n.anyOf ?? []), ...(n.oneOf ?? []), ...(n.allOf ?? [])])]);
  for (const seg of path) {
    nodes = expand(nodes).flatMap((n) => {
      if (typeof seg === 'number') return n.items ? [n.items] : [];
      const child = n.properties?.[seg];
      return child ? [child] : [];
    });
  }
  return [...new Set(expand(nodes).flatMap((n) => Object.keys(n.properties ?? {})))];
}

function suggest(key: string, candidates: string[]): string | undefined {
  if (candidates.length === 0) return undefined;
  const best = closest(key, candidates);
  const limit = Math.max(2, Math.floor(best.length / 3));
  return distance(key, best) <= limit ? best : undefined;
}

function valueAt(root: unknown, path: Path): unknown {
  return path.reduce<unknown>((v, seg) => (v !== null && typeof v === 'object' ? (v as Record<string | number, unknown>)[seg] : undefined), root);
}

function issueToErrors(root: unknown, issue: z.core.$ZodIssue, locateIn: (path: Path, key?: string) => { file: string; line: number | null; column: number | null }): ConfigError[] {
  const path = issue.path.filter((p): p is string | number => typeof p !== 'symbol');
  if (issue.code === 'unrecognized_keys') {
    const candidates = knownKeys(path);
    return issue.keys.map((key) => {
      const at = locateIn(path, key);
      const suggestion = suggest(key, candidates);
      return {
        ...at,
        path: formatPath([...path, key]),
        message: `unknown key "${key}"`,
        ...(suggestion ? { suggestion } : {}),
      };
    });
  }
  const at = locateIn(path);
  let message = issue.message;
  if (issue.code === 'invalid_type' && valueAt(root, path) === undefined) message = 'is required';
  else if (issue.code === 'invalid_type') message = `must be ${issue.expected === 'object' ? 'a mapping' : issue.expected === 'array' ? 'a list' : `a ${issue.expected}`}`;
  else if (issue.code === 'invalid_union') message = 'matches none of the allowed forms (an HTTP check has url, a command check has run)';
  return [{ ...at, path: formatPath(path), message }];
}

/** Validates a parsed object; `locateIn` maps a key path to its place in the source. */
function validate(value: unknown, locateIn: (path: Path, key?: string) => { file: string; line: number | null; column: number | null }): ParseResult {
  const result = configSchema.safeParse(value);
  if (result.success) return { ok: true, config: result.data };
  const errors = result.error.issues.flatMap((i) => issueToErrors(value, i, locateIn));
  errors.sort((a, b) => (a.line ?? 0) - (b.line ?? 0) || (a.column ?? 0) - (b.column ?? 0));
  return { ok: false, errors };
}

/** Parses and validates one configuration file's text (no `_extends` resolution). */
export function parseConfig(text: string, file: string = CONFIG_PATH): ParseResult {
  const y = parseYaml(text, file);
  if (!y.ok) return y;
  return validate(y.parsed.value, (path, key) => {
    const p = locate(y.parsed, path, key);
    return { file, line: p?.line ?? null, column: p?.col ?? null };
  });
}

type Json = unknown;
const isPlainObject = (v: Json): v is Record<string, Json> => typeof v === 'object' && v !== null && !Array.isArray(v);

function deepMerge(base: Json, over: Json): Json {
  if (isPlainObject(base) && isPlainObject(over)) {
    const out: Record<string, Json> = { ...base };
    for (const [k, v] of Object.entries(over)) out[k] = k in base ? deepMerge(base[k], v) : v;
    return out;
  }
  return over;
}

/**
 * Merges a repository's file over its `_extends` base: objects merge key by key, stages merge by
 * name (a repo stage overrides the base stage of the same name), other arrays are replaced.
 * Returns the merged value and, for each merged stage, its index in the repo file and in the base.
 */
function mergeConfigs(base: Record<string, Json>, repo: Record<string, Json>): { value: Record<string, Json>; stageOrigin: { repo?: number; base?: number }[] } {
  const { _extends: _ignored, ...repoRest } = repo;
  const baseStages = Array.isArray(base.stages) ? base.stages : [];
  const repoStages = Array.isArray(repoRest.stages) ? repoRest.stages : [];
  const stageOrigin: { repo?: number; base?: number }[] = [];
  const stages: Json[] = [];
  const nameOf = (s: Json): unknown => (isPlainObject(s) ? s.name : undefined);
  baseStages.forEach((s, bi) => {
    const ri = repoStages.findIndex((r) => nameOf(r) !== undefined && nameOf(r) === nameOf(s));
    stages.push(ri >= 0 ? deepMerge(s, repoStages[ri]) : s);
    stageOrigin.push(ri >= 0 ? { base: bi, repo: ri } : { base: bi });
  });
  repoStages.forEach((r, ri) => {
    if (!baseStages.some((s) => nameOf(s) !== undefined && nameOf(s) === nameOf(r))) {
      stages.push(r);
      stageOrigin.push({ repo: ri });
    }
  });
  const merged = deepMerge(base, repoRest) as Record<string, Json>;
  if (baseStages.length || repoStages.length) merged.stages = stages;
  return { value: merged, stageOrigin };
}

function parseExtends(spec: string, owner: string): { owner: string; repo: string; path: string } | null {
  const m = /^(?:([A-Za-z0-9-]+)\/)?([A-Za-z0-9._-]+)(?::(.+))?$/.exec(spec.trim());
  if (!m) return null;
  return { owner: m[1] ?? owner, repo: m[2]!, path: m[3] ?? CONFIG_PATH };
}

/**
 * Loads `.github/stagegate.yml` for a promotion: from the PR's base branch, falling back to the
 * default branch only when the base branch has no file. Never reads the PR's head.
 */
export async function loadConfig(opts: { source: ConfigSource; owner: string; repo: string; baseRef: string; defaultBranch: string }): Promise<LoadResult> {
  const { source, owner, repo, baseRef, defaultBranch } = opts;
  let ref = baseRef;
  let text = await source.read({ owner, repo, path: CONFIG_PATH, ref: baseRef });
  let fellBack = false;
  if (text === null && defaultBranch !== baseRef) {
    text = await source.read({ owner, repo, path: CONFIG_PATH, ref: defaultBranch });
    ref = defaultBranch;
    fellBack = true;
  }
  if (text === null) return { kind: 'absent' };
  const origin: ConfigOrigin = { ref, fellBack };
  return resolveConfigText({ text, file: CONFIG_PATH, owner, source, origin });
}

/** Parses a repository file's text, resolves `_extends` through `source`, and validates the merge. */
export async function resolveConfigText(opts: { text: string; file: string; owner: string; source: ConfigSource; origin: ConfigOrigin }): Promise<LoadResult> {
  const { text, file, owner, source } = opts;
  const origin = { ...opts.origin };
  const y = parseYaml(text, file);
  if (!y.ok) return { kind: 'invalid', errors: y.errors, origin };
  const repoDoc = y.parsed;
  const repoValue = repoDoc.value as Record<string, Json>;
  const inRepo = (path: Path, key?: string) => {
    const p = locate(repoDoc, path, key);
    return { file, line: p?.line ?? null, column: p?.col ?? null };
  };
  const ext = repoValue._extends;
  if (ext === undefined) {
    const r = validate(repoValue, inRepo);
    return r.ok ? { kind: 'ok', config: r.config, origin } : { kind: 'invalid', errors: r.errors, origin };
  }
  const target = typeof ext === 'string' ? parseExtends(ext, owner) : null;
  if (!target) {
    return { kind: 'invalid', origin, errors: [{ ...inRepo(['_extends']), path: '_extends', message: 'must be "repo", "owner/repo" or "owner/repo:path"' }] };
  }
  const baseFile = `${target.owner}/${target.repo}:${target.path}`;
  origin.extendsFrom = baseFile;
  let baseText: string | null;
  try {
    baseText = await source.read({ owner: target.owner, repo: target.repo, path: target.path });
  } catch (err) {
    return { kind: 'invalid', origin, errors: [{ ...inRepo(['_extends']), path: '_extends', message: `could not read ${baseFile}: ${(err as Error).message}` }] };
  }
  if (baseText === null) {
    return { kind: 'invalid', origin, errors: [{ ...inRepo(['_extends']), path: '_extends', message: `${baseFile} does not exist or is not readable by the app` }] };
  }
  const b = parseYaml(baseText, baseFile);
  if (!b.ok) return { kind: 'invalid', errors: b.errors, origin };
  const baseDoc = b.parsed;
  const baseValue = baseDoc.value as Record<string, Json>;
  if (baseValue._extends !== undefined) {
    const p = locate(baseDoc, ['_extends']);
    return {
      kind: 'invalid',
      origin,
      errors: [{ file: baseFile, line: p?.line ?? null, column: p?.col ?? null, path: '_extends', message: 'an extended file cannot extend another (one level only)' }],
    };
  }
  const { value, stageOrigin } = mergeConfigs(baseValue, repoValue);
  const locateMerged = (path: Path, key?: string) => {
    let repoPath: Path | null = path;
    let basePath: Path | null = path;
    if (path[0] === 'stages' && typeof path[1] === 'number') {
      const o = stageOrigin[path[1]];
      repoPath = o?.repo !== undefined ? ['stages', o.repo, ...path.slice(2)] : null;
      basePath = o?.base !== undefined ? ['stages', o.base, ...path.slice(2)] : null;
    }
    const has = (doc: ParsedYaml, p: Path | null): boolean => p !== null && (doc.doc.hasIn(key !== undefined ? [...p, key] : p) || (key === undefined && p.length === 0));
    if (has(repoDoc, repoPath)) return inRepo(repoPath!, key);
    if (has(baseDoc, basePath)) {
      const p = locate(baseDoc, basePath!, key);
      return { file: baseFile, line: p?.line ?? null, column: p?.col ?? null };
    }
    if (repoPath) return inRepo(repoPath, key);
    const p = basePath ? locate(baseDoc, basePath, key) : null;
    return { file: baseFile, line: p?.line ?? null, column: p?.col ?? null };
  };
  const r = validate(value, locateMerged);
  return r.ok ? { kind: 'ok', config: r.config, origin } : { kind: 'invalid', errors: r.errors, origin };
}
