import { createHash } from 'node:crypto';
import type { Config } from './schema.js';
import type { ConfigError, KeyPath } from './errors.js';
import { validateConfig, type ParseResult } from './validate.js';
import { hasPath, locate, parseYaml, type ParsedYaml } from './yaml.js';

export { formatConfigError, formatPath, type ConfigError } from './errors.js';
export type { ParseResult } from './validate.js';

/** Where the configuration lives in a repository. */
export const CONFIG_PATH = '.github/stagegate.yml';

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
  /** Git blob sha (`git hash-object`) of the repository's file as read. */
  blobSha?: string;
  /** Git blob sha of the `_extends` file as read. */
  extendsBlobSha?: string;
}

/** The outcome of loading a repository's configuration. */
export type LoadResult = { kind: 'ok'; config: Config; origin: ConfigOrigin } | { kind: 'absent' } | { kind: 'invalid'; errors: ConfigError[]; origin: ConfigOrigin };

type Path = KeyPath;

/** The git blob sha of a text, as `git hash-object` computes it for the file with these bytes. */
export function gitBlobSha(text: string): string {
  const bytes = Buffer.from(text, 'utf8');
  return createHash('sha1').update(`blob ${bytes.length}\0`).update(bytes).digest('hex');
}

function validate(value: unknown, locateIn: (path: Path, key?: string) => { file: string; line: number | null; column: number | null }): ParseResult {
  return validateConfig(value, locateIn);
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

/** The repository and path an `_extends` value names (owner defaults to the repository's), or null. */
export function parseExtends(spec: string, owner: string): { owner: string; repo: string; path: string } | null {
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
  const origin: ConfigOrigin = { ...opts.origin, blobSha: gitBlobSha(text) };
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
  origin.extendsBlobSha = gitBlobSha(baseText);
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
    const has = (doc: ParsedYaml, p: Path | null): boolean => p !== null && hasPath(doc, p, key);
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
